"""For support staff: the outbox, and the audited fixes an admin asks for.

``outbox`` shows what the kit sent (the demo phone and inbox; ``--failed`` the
deliveries that failed, with why). ``unlock``, ``reset-phone``,
``issue-password`` and ``release-domain`` help an admin who is stuck;
``add-staff`` adds a Connect team member. Each fix writes an audit row (in core).
"""

from __future__ import annotations

from typing import Annotated

import typer

from connect_widgets.cli.context import kit_services
from connect_widgets.core.auth.passwords import generate_temporary_password
from connect_widgets.core.delivery.outbox import read_outbox
from connect_widgets.core.staff.members import add_staff_member, ensure_name_free, read_staff_name, staff_personal_words
from connect_widgets.core.staff.support import issue_temporary_password, reset_phone, unlock_user
from connect_widgets.core.tasks.validate_domains import release_domain


def outbox(
    to: Annotated[
        str | None,
        typer.Option(
            help="Only messages to this phone number or email (an admin's Connect address also finds their SMS)."
        ),
    ] = None,
    last: Annotated[int, typer.Option(min=1, max=1000, help="How many messages to show.")] = 10,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only messages that could not be delivered, with the reason.")
    ] = False,
) -> None:
    """Show stored SMS and email, newest first (the demo phone and inbox); --failed lists failures."""
    messages = read_outbox(kit_services(), to=to, last=last, failed=failed)
    if not messages:
        typer.echo(("no failed messages" if failed else "no messages") + (f" to {to}" if to else ""))
        return
    for message in messages:
        when = message.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        typer.echo(f"{when}  {message.channel:<5}  {message.recipient}  {message.status}")
        if message.subject:
            typer.echo(f"  Subject: {message.subject}")
        if failed:  # what went wrong, not the whole text again
            typer.echo(f"  Error ({message.transport}): {message.error}")
            typer.echo("")
            continue
        for line in message.body.splitlines():
            typer.echo(f"  {line}".rstrip())
        if message.error:
            typer.echo(f"  (delivery failed: {message.error})")
        typer.echo("")


def unlock(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Clear an admin's failed logins and lock (support staff; audited)."""
    typer.echo(f"unlocked: {unlock_user(kit_services(), email=email)}")


def reset_phone_command(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Forget an admin's phone so the next login enrols a new one (lost phone; audited)."""
    typer.echo(f"phone reset: {reset_phone(kit_services(), email=email)}")


def issue_password_command(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Give an admin a new supplied password, to change at next login (support; audited)."""
    typer.echo(f"email: {email.strip().lower()}")
    typer.echo(f"password: {issue_temporary_password(kit_services(), email=email)}")


def release_domain_command(
    domain: Annotated[str, typer.Argument(help="The domain name, e.g. acme.example.")],
    account: Annotated[str, typer.Option("--account", help="The code of the account whose claim is released.")],
) -> None:
    """Remove an account's claim on a domain so its real owner can verify it (support staff; audited)."""
    typer.echo(f"released: {release_domain(kit_services(), name=domain, account_code=account)}")


def add_staff_command(
    name: Annotated[str, typer.Argument(help="The staff member's name; they log in with it.")],
    generate: Annotated[
        bool, typer.Option("--generate", help="Make up a strong password and print it once (no prompt).")
    ] = False,
) -> None:
    """Add a Connect team member who may work the review queue (their own password; audited)."""
    services = kit_services()
    staff_name = read_staff_name(name)  # a bad or taken name is refused before the password is asked for
    ensure_name_free(services, staff_name)
    if generate:
        password = generate_temporary_password(personal_words=staff_personal_words(staff_name))
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    stored = add_staff_member(services, name=staff_name, password=password)
    typer.echo(f"staff: {stored}")
    if generate:
        typer.echo(f"password: {password}")
    typer.echo(f"url: {str(services.settings.base_url).rstrip('/')}/voila/render/connect_team.ipynb")
