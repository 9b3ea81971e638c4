"""Settings: defaults, CONNECT_* overrides, one-line errors naming the variable."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from connect_widgets.settings import ARGON2_MIN_MEMORY_KIB, Settings, SettingsError, load_settings

DB_PASSWORD = "s3cretpw"


def test_defaults_when_nothing_is_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CONNECT_* set: mimecast.connect, data/var made absolute, SQLite inside it, outbox."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings()

    assert settings.holding_suffix == "mimecast.connect"
    assert settings.data_dir.is_absolute()
    assert settings.data_dir == (tmp_path / "data" / "var").resolve()
    assert settings.database_url is None
    url = make_url(settings.sqlalchemy_url)
    assert url.get_backend_name() == "sqlite"
    assert Path(url.database) == settings.data_dir / "connect.db"
    assert (settings.sms_transport, settings.email_transport) == ("outbox", "outbox")
    assert settings.default_country == "GB"
    assert str(settings.base_url) == "http://127.0.0.1:8866/"
    assert settings.argon2_memory_kib >= ARGON2_MIN_MEMORY_KIB


def test_data_dir_stays_where_it_was_resolved_after_a_chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative data folder is pinned at load time (Voila kernels start elsewhere)."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'data' / 'var').resolve() / 'connect.db'}"


def test_environment_overrides_every_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CONNECT_* variables are read and normalised (suffix lower-cased, country upper-cased)."""
    monkeypatch.setenv("CONNECT_DATA_DIR", str(tmp_path / "kit"))
    monkeypatch.setenv("CONNECT_HOLDING_SUFFIX", "Holding.Example.")
    monkeypatch.setenv("CONNECT_BASE_URL", "https://connect.example.com/")
    monkeypatch.setenv("CONNECT_DEFAULT_COUNTRY", "us")
    monkeypatch.setenv("CONNECT_ARGON2_TIME_COST", "4")
    monkeypatch.setenv("CONNECT_ARGON2_MEMORY_KIB", str(ARGON2_MIN_MEMORY_KIB))
    monkeypatch.setenv("CONNECT_ARGON2_PARALLELISM", "2")

    settings = load_settings()

    assert settings.data_dir == (tmp_path / "kit").resolve()
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'kit').resolve() / 'connect.db'}"
    assert settings.holding_suffix == "holding.example"
    assert settings.account_url("ACME") == "https://connect.example.com/voila/render/connect.ipynb?account=ACME"
    assert settings.default_country == "US"
    assert (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism) == (
        4,
        ARGON2_MIN_MEMORY_KIB,
        2,
    )


def test_database_url_from_the_environment_replaces_the_sqlite_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """CONNECT_DATABASE_URL wins over the SQLite file in data_dir."""
    monkeypatch.setenv("CONNECT_DATABASE_URL", "  postgresql://u:pw@db.example/connect  ")
    assert load_settings().sqlalchemy_url == "postgresql://u:pw@db.example/connect"


def test_blank_database_url_falls_back_to_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty CONNECT_DATABASE_URL means 'use the default', not an error."""
    monkeypatch.setenv("CONNECT_DATABASE_URL", "")
    monkeypatch.setenv("CONNECT_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.database_url is None
    assert make_url(settings.sqlalchemy_url).get_backend_name() == "sqlite"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONNECT_HOLDING_SUFFIX", "bad suffix"),
        ("CONNECT_HOLDING_SUFFIX", ""),
        ("CONNECT_DATABASE_URL", "not-a-url"),
        ("CONNECT_SMS_TRANSPORT", "pigeon"),
        ("CONNECT_EMAIL_TRANSPORT", "pigeon"),
        ("CONNECT_BASE_URL", "ftp:/x"),
        ("CONNECT_DEFAULT_COUNTRY", "XX"),
        ("CONNECT_ARGON2_MEMORY_KIB", "1024"),
        ("CONNECT_ARGON2_MEMORY_KIB", "lots"),
        ("CONNECT_ARGON2_TIME_COST", "1"),
        ("CONNECT_ARGON2_PARALLELISM", "0"),
    ],
)
def test_a_bad_value_raises_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """Each unusable CONNECT_* value gives a SettingsError: one line, starting with its name."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message
    assert len(message) > len(variable) + 2  # says what is wrong, not just the name


def test_argon2_memory_below_the_owasp_floor_is_refused_even_as_an_override() -> None:
    """Code cannot weaken hashing below OWASP's floor either."""
    with pytest.raises(SettingsError, match=r"^CONNECT_ARGON2_MEMORY_KIB: "):
        load_settings(argon2_memory_kib=ARGON2_MIN_MEMORY_KIB - 1)


def test_repr_does_not_show_the_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database URL may carry a password; repr/str of Settings never shows it."""
    monkeypatch.setenv("CONNECT_DATABASE_URL", f"postgresql://u:{DB_PASSWORD}@h/db")
    settings = load_settings()
    assert settings.sqlalchemy_url == f"postgresql://u:{DB_PASSWORD}@h/db"  # it is loaded...
    assert DB_PASSWORD not in repr(settings)  # ...but not shown
    assert DB_PASSWORD not in str(settings)
    assert "holding_suffix" in repr(settings)


def test_an_unparseable_database_url_error_does_not_echo_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken URL with a password in it is reported without the password."""
    monkeypatch.setenv("CONNECT_DATABASE_URL", f"postgresql://u:{DB_PASSWORD}@h:notaport/db")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("CONNECT_DATABASE_URL: ")
    assert DB_PASSWORD not in str(caught.value)


def test_account_url_opens_the_connect_notebook_with_the_account_code() -> None:
    """The dedicated URL is <base>/voila/render/connect.ipynb?account=<CODE>."""
    settings = load_settings()
    url = settings.account_url("ACME")
    assert url == "http://127.0.0.1:8866/voila/render/connect.ipynb?account=ACME"
    parts = urlsplit(url)
    assert parts.path == "/voila/render/connect.ipynb"
    assert parse_qs(parts.query) == {"account": ["ACME"]}


def test_account_url_keeps_a_base_path_without_doubling_slashes() -> None:
    """A base URL with a path prefix and trailing slash gives exactly one slash before voila."""
    settings = load_settings(base_url="https://tools.example.com/connect/")
    assert settings.account_url("ACME") == ("https://tools.example.com/connect/voila/render/connect.ipynb?account=ACME")


def test_settings_are_frozen() -> None:
    """Settings are built once and passed around; nobody can change them in place."""
    settings = load_settings()
    with pytest.raises(ValidationError, match="frozen"):
        settings.holding_suffix = "other.example"  # type: ignore[misc]
    assert settings.holding_suffix == "mimecast.connect"
    assert isinstance(settings, Settings)


def test_a_secret_key_must_be_a_fernet_key_and_never_shows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from connect_widgets.core.adapters.secretbox import SecretBox

    monkeypatch.setenv("CONNECT_SECRET_KEY", "not a key")
    with pytest.raises(SettingsError, match="CONNECT_SECRET_KEY"):
        load_settings(data_dir=tmp_path)
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("CONNECT_SECRET_KEY", key)
    settings = load_settings(data_dir=tmp_path)
    assert key not in repr(settings) and key not in str(settings)
    box = SecretBox.from_settings(settings)
    assert box.open(box.seal("bind pässword")) == "bind pässword" and key not in repr(box)
    assert not (tmp_path / "secret.key").exists()  # an operator's key: no key file is made


def test_without_a_secret_key_an_owner_only_key_file_is_made_once(tmp_path: Path) -> None:
    from connect_widgets.core.adapters.secretbox import SecretBox, SecretUnreadable

    settings = load_settings(data_dir=tmp_path)
    sealed = SecretBox.from_settings(settings).seal("s3cret")
    key_file = tmp_path / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and "s3cret" not in sealed
    assert SecretBox.from_settings(settings).open(sealed) == "s3cret"  # the same key next time
    key_file.unlink()
    with pytest.raises(SecretUnreadable):
        SecretBox.from_settings(settings).open(sealed)  # a new key cannot read the old secret
