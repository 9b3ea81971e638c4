"""Where the kit's own files are (the source checkout, or the copies bundled in the wheel), and
the owner-only modes of the files it writes in its data folder."""

from __future__ import annotations

import os
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


PRIVATE_FOLDER_MODE = 0o700  # the data folder: the database, its journals and the secret key
PRIVATE_FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create ``path`` owner-only (0700), or take group and other access away from an existing one.

    Only ``path`` itself (the kit's data folder) is made private: parents created on
    the way get the usual mode, and no parent is ever changed. A new folder's mode is
    set with ``chmod``, so it does not depend on the umask; an existing folder keeps
    its owner's bits (a folder made read-only on purpose stays read-only).
    """
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        _take_away_group_and_other(path)
    else:
        path.chmod(PRIVATE_FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and owner-only (0600), or take group and other access away from it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        _take_away_group_and_other(path)
    else:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
        os.close(descriptor)
    return path


def _take_away_group_and_other(path: Path) -> None:
    mode = path.stat().st_mode & 0o7777
    if mode & 0o077:
        try:
            path.chmod(mode & ~0o077)
        except PermissionError:  # another user's file: not the kit's to change
            pass
