"""``connect-kit``: set up the database, create accounts, read the outbox, help admins.

The commands are split by who runs them, one module each:

* :mod:`~connect_widgets.cli.accounts`: the operator setting up (``init``,
  ``create-account``, ``send-welcome``);
* :mod:`~connect_widgets.cli.support`: support staff (``outbox``, ``unlock``,
  ``reset-phone``, ``issue-password``, ``release-domain``, ``add-staff``);
* :mod:`~connect_widgets.cli.demo`: trainers (``demo-account``, ``demo seed``,
  ``demo reset``);
* :mod:`~connect_widgets.cli.serve`: whoever runs the pages (``serve``).

This module builds the one Typer :data:`app` from them, in the order ``--help``
lists them. Every command calls the same core services the screens use and runs
no query of its own. Mistakes in what was typed end in one ``error:`` line and a
non-zero exit, never a traceback (:func:`main`, :func:`failure`).
"""

from __future__ import annotations

import sys

import typer

from connect_widgets.cli import accounts, demo, serve, support
from connect_widgets.cli.context import CommandError
from connect_widgets.core.errors import ConnectError
from connect_widgets.settings import SettingsError
from connect_widgets.store.engine import DBAPIError

app = typer.Typer(
    name="connect-kit",
    help="Connect onboarding kit: database, accounts, outbox and support tools.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

app.command()(accounts.init)
app.command("create-account")(accounts.create_account_command)
app.command("send-welcome")(accounts.send_welcome_command)
app.command()(support.outbox)
app.command()(support.unlock)
app.command("reset-phone")(support.reset_phone_command)
app.command("issue-password")(support.issue_password_command)
app.command("release-domain")(support.release_domain_command)
app.command("add-staff")(support.add_staff_command)
app.command("demo-account")(demo.demo_account_command)
app.add_typer(demo.demo_app, name="demo")
app.command("serve")(serve.serve_command)


def failure(exc: BaseException) -> tuple[int, str] | None:
    """The exit status and the one ``error:`` line for a failure the operator can fix; None for a bug.

    Settings that cannot be used exit 2 (like usage mistakes); what was typed or
    found (a refusal of the core, a database that cannot be used) exits 1.
    """
    if isinstance(exc, SettingsError):
        return 2, f"error: {exc}"
    if isinstance(exc, CommandError | ConnectError):
        return 1, f"error: {exc}"
    if isinstance(exc, DBAPIError):  # unreachable server, locked or corrupt file, ...
        return 1, f"error: the database could not be used: {exc.orig}"
    return None


def main() -> None:
    """Console entry point: run the command, turning known failures into one line."""
    try:
        app()
    except Exception as exc:
        known = failure(exc)
        if known is None:
            raise
        status, line = known
        typer.echo(line, err=True)
        sys.exit(status)


__all__ = ["app", "failure", "main"]
