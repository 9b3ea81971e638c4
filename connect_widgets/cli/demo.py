"""For trainers: the demo account ``make demo`` prints, and the demo accounts of the trainer page.

All three read ``data/demo_accounts.toml`` through :mod:`connect_widgets.demo.stages`:
``demo-account`` its ``[demo_account]``, ``demo seed`` and ``demo reset`` its
``[[accounts]]``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from connect_widgets.cli.context import kit_services
from connect_widgets.demo.stages import STAGES as DEMO_STAGES
from connect_widgets.demo.stages import ensure_make_demo_account, reset_demo_account, seed_demo_accounts


def demo_account_command() -> None:
    """Make sure the demo account exists and print how to log in to it (used by make demo).

    The supplied password is printed once, when the account is created. Running
    again (a second ``make demo``) never replaces it: a trainer may have handed it
    out or be half-way through a demo with it. ``connect-kit issue-password`` makes
    a new one on purpose.
    """
    login = ensure_make_demo_account(kit_services())
    email = login.admin_email
    if login.password is not None:
        password = login.password
    elif not login.password_changed:
        password = (
            f"unchanged: the supplied password printed when the account was created "
            f"(lost it? a new one: connect-kit issue-password {email})"
        )
    else:
        password = f"unchanged: the one the admin chose (forgot it? connect-kit issue-password {email})"
    typer.echo(f"url: {login.url}")
    typer.echo(f"email: {email}")
    typer.echo(f"password: {password}")
    typer.echo(f"sms: connect-kit outbox --to {email} --last 1   (the demo phone: passcodes arrive here)")


demo_app = typer.Typer(
    help="Trainers' demo accounts (data/demo_accounts.toml): create them, reset one to a stage.",
    no_args_is_help=True,
)


@demo_app.command("seed")
def demo_seed_command() -> None:
    """Create the demo accounts that are missing (at fresh); existing ones are left as they are."""
    services = kit_services()
    for seeded in seed_demo_accounts(services, actor="cli"):
        typer.echo(f"{seeded.account_code}: {seeded.note}")
        typer.echo(f"  email: {seeded.admin_email}")
        if seeded.password is not None:
            typer.echo(f"  password: {seeded.password}")
        typer.echo(f"  url: {services.settings.account_url(seeded.account_code)}")


@demo_app.command("reset")
def demo_reset_command(
    account: Annotated[str, typer.Argument(help="The demo account's code, e.g. HARBOURSIDE.")],
    stage: Annotated[str, typer.Option(help=f"One of: {', '.join(DEMO_STAGES)}.")],
) -> None:
    """Rebuild a demo account at a stage through Connect's own steps; print how to log in."""
    services = kit_services()
    done = reset_demo_account(services, account, stage, actor="cli")
    typer.echo(f"account: {done.account_code}")
    typer.echo(f"stage: {done.stage}")
    typer.echo(f"email: {done.admin_email}")
    typer.echo(f"password: {done.password}")
    typer.echo(f"url: {services.settings.account_url(done.account_code)}")
    typer.echo(f"sms: connect-kit outbox --to {done.admin_email} --last 1   (the demo phone)")
