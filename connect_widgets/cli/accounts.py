"""For the operator who sets the kit up: the database, new accounts, their welcome email.

``init`` creates or upgrades the database; ``create-account`` makes an account and
its first admin and prints the supplied password once; ``send-welcome`` sends the
welcome email again after a failed delivery.
"""

from __future__ import annotations

from typing import Annotated

import typer

from connect_widgets.cli.context import kit_services, kit_settings
from connect_widgets.core.accounts.create import PLATFORMS, REGIONS, WelcomeEmail, create_account, send_welcome
from connect_widgets.store.schema import upgrade_schema


def init() -> None:
    """Create the database, or upgrade it to this version's schema (safe to repeat)."""
    settings = kit_settings()
    before, after = upgrade_schema(kit_services(settings, initialised=False).engine)
    if before == after:
        state = "already up to date"
    elif before is None:
        state = "created"
    else:
        state = f"upgraded from {before}"
    typer.echo(f"database: {settings.database_location}")
    typer.echo(f"schema: {after} ({state})")


def create_account_command(
    code: Annotated[str, typer.Option(help="Account code, e.g. ACME (the holding domain's first label).")],
    company: Annotated[str, typer.Option(help="Company name.")],
    domain: Annotated[str, typer.Option(help="Primary email domain, e.g. acme.example.")],
    admin: Annotated[str, typer.Option(help="First admin's name: becomes <admin>@<code>.<suffix>.")],
    contact_email: Annotated[str | None, typer.Option(help="Real mailbox that receives the welcome email.")] = None,
    platform: Annotated[str, typer.Option(help=f"One of: {', '.join(PLATFORMS)}.")] = "microsoft_365",
    region: Annotated[str, typer.Option(help=f"One of: {', '.join(REGIONS)}.")] = "uk",
) -> None:
    """Create an account and its first admin; print the address, password and URL."""
    created = create_account(
        kit_services(),
        code=code,
        company=company,
        primary_domain=domain,
        admin_name=admin,
        contact_email=contact_email,
        platform=platform,
        region=region,
    )
    typer.echo(f"account: {created.account_code}")
    typer.echo(f"email: {created.admin_email}")
    typer.echo(f"password: {created.temporary_password}")
    typer.echo(f"url: {created.url}")
    if created.welcome is not None:
        _echo_welcome(created.welcome, created.admin_email)


def _echo_welcome(welcome: WelcomeEmail, admin_email: str) -> None:
    if welcome.sent:
        typer.echo(f"welcome: sent to {welcome.recipient}")
        return
    typer.echo(f"welcome: NOT sent to {welcome.recipient}: {welcome.error}")
    typer.echo(f"  give the admin the url yourself, or send it again: connect-kit send-welcome {admin_email}")


def send_welcome_command(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Send an admin's welcome email (the dedicated URL, no password) again."""
    welcome = send_welcome(kit_services(), email=email)
    _echo_welcome(welcome, email.strip().lower())
    if not welcome.sent:
        raise typer.Exit(1)
