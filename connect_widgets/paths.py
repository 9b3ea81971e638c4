"""Where the kit's own files are: the source checkout, or the copies bundled in the wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_path(relative: str) -> Path:
    """``<checkout>/<relative>`` (e.g. ``data/tasks.toml``), else the bundled copy.

    Raises:
        FileNotFoundError: neither exists.
    """
    for candidate in (PACKAGE_DIR.parent / relative, PACKAGE_DIR / "bundled" / relative):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{relative} is missing from the kit's installation")
