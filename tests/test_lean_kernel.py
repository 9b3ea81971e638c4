"""A kernel showing the Email page loads none of the heavy libraries only later pages need.

Each Voila page is its own kernel, so what one imports is paid by every admin in the
room. Building the Connect page must leave out ldap3 (Domain login), zxcvbn (a new
password), phonenumbers (Enrol), cryptography (a stored secret), dnspython and
openpyxl (setup tasks) and Alembic (``connect-kit init``): the features that use them
import them on first use (see ``LAZY_IMPORTS_ALLOWED`` in tests/test_layering.py).

The database layer (SQLAlchemy, SQLModel, the tables, the login flow) is needed at
the first Next, not to draw the Email screen: it loads once the screen is drawn, while
the admin types (or before the visitor arrives, in a pre-heated kernel). The check
runs in a fresh interpreter, as a kernel starts. The time and memory this saves are
measured by benchmarks, not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connect_widgets.settings import Settings
from tests.test_layering import LAZY_IMPORTS_ALLOWED

#: Libraries (or modules) a kernel showing the Email page must not have imported.
NOT_AT_THE_EMAIL_PAGE = (
    "alembic",  # migrations: connect-kit init and the server's start-up check only
    "mako",  # (Alembic's; IPython itself imports a little of pygments, so that is not checked)
    "zxcvbn",  # the password strength check (change password)
    "ldap3",  # Domain login and Synchronize Your Directory
    "pyasn1",
    "connect_widgets.core.adapters.ldap",
    "phonenumbers",  # Enrol (parse a number, show an example); the country list is a table
    "phonenumbers.geocoder",
    "cryptography",  # sealing or opening a stored secret
    "dns",  # DNS checks of the setup tasks
    "dns.resolver",
    "openpyxl",  # spreadsheet uploads
)

#: Loaded once the first screen is drawn (ConnectApp.build_ahead), not to draw it.
NOT_BEFORE_THE_FIRST_SCREEN = (
    "sqlalchemy",
    "sqlmodel",
    "connect_widgets.store.models",
    "connect_widgets.core.services",
    "connect_widgets.core.auth.flow",
)

BUILD_THE_PAGE = """
import json, sys
from connect_widgets.pages.connect import build_app
app = build_app(query_string="")
assert type(app.current).__name__ == "EmailScreen", app.current
built = sorted(sys.modules)
app.email_screen._view_count = 1  # what the browser sends once it has drawn the screen
assert type(app.login_screens.built(app.step.METHOD)).__name__ == "MethodScreen"
print(json.dumps(built))
print(json.dumps(sorted(sys.modules)))
"""


def _lazy_libraries() -> set[str]:
    """Every library the layering test lets core/ import lazily: each must stay unloaded too."""
    return {library for _, library in LAZY_IMPORTS_ALLOWED}


def _modules_after_building_the_page(data_dir: Path) -> tuple[set[str], set[str]]:
    """The modules loaded once the page is built, and once its first screen is drawn."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CONNECT_", "VOILA_"))}
    env["CONNECT_DATA_DIR"] = str(data_dir)
    run = subprocess.run(
        [sys.executable, "-c", BUILD_THE_PAGE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    built, drawn = run.stdout.strip().splitlines()[-2:]
    return set(json.loads(built)), set(json.loads(drawn))


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> tuple[set[str], set[str]]:
    """What a fresh interpreter holds after building the Connect page on a migrated database, then drawing it."""
    data_dir = tmp_path_factory.mktemp("lean")
    (data_dir / "connect.db").write_bytes(migrated_template.read_bytes())
    return _modules_after_building_the_page(data_dir)


@pytest.mark.parametrize("module", sorted(set(NOT_AT_THE_EMAIL_PAGE) | _lazy_libraries()))
def test_the_email_page_does_not_load(modules: tuple[set[str], set[str]], module: str) -> None:
    """Building and drawing the page (the core loaded) leaves this module unimported; its feature imports it."""
    assert module not in modules[1], f"the Connect page imported {module}"


@pytest.mark.parametrize("module", NOT_BEFORE_THE_FIRST_SCREEN)
def test_the_first_screen_is_built_before_the_database_layer_loads(
    modules: tuple[set[str], set[str]], module: str
) -> None:
    built, drawn = modules
    assert module not in built, f"building the Connect page imported {module}"
    assert module in drawn, f"drawing the first screen did not load {module} for the first Next"


def test_the_check_sees_what_the_page_does_load(modules: tuple[set[str], set[str]]) -> None:
    """Not vacuous: the page's own modules and libraries are in the lists the checks read."""
    built, drawn = modules
    for module in ("connect_widgets.pages.connect", "connect_widgets.screens.login.email", "ipywidgets"):
        assert module in built
    for module in ("connect_widgets.store.models", "connect_widgets.screens.login.method", "sqlmodel"):
        assert module in drawn


def test_the_default_country_is_checked_without_phonenumbers(settings: Settings) -> None:
    """The settings check a country against the generated table (what phonenumbers supports)."""
    assert settings.default_country == "GB"
    with pytest.raises(ValueError, match="two-letter country code"):
        Settings(data_dir=settings.data_dir, default_country="ZZ")
