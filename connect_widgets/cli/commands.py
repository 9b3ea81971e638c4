"""``connect-kit``: set up the database, create accounts, read the outbox, help admins.

Every command calls the same core services the screens use. Mistakes in what was
typed end in one ``error:`` line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, or_, select

from connect_widgets.core.accounts.create import PLATFORMS, REGIONS, WelcomeEmail, create_account, send_welcome
from connect_widgets.core.auth.passwords import generate_temporary_password
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.core.staff.members import add_staff_member, ensure_name_free, read_staff_name, staff_personal_words
from connect_widgets.core.staff.support import issue_temporary_password, reset_phone, unlock_user
from connect_widgets.core.tasks.validate_domains import release_domain
from connect_widgets.demo.stages import STAGES as DEMO_STAGES
from connect_widgets.demo.stages import reset_demo_account, seed_demo_accounts
from connect_widgets.paths import project_path
from connect_widgets.settings import Settings, SettingsError, load_settings
from connect_widgets.store.engine import make_engine, new_session
from connect_widgets.store.models import AdminUser, Message
from connect_widgets.store.schema import current_revision, head_revision, upgrade_schema

app = typer.Typer(
    name="connect-kit",
    help="Connect onboarding kit: database, accounts, outbox and support tools.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class CommandError(Exception):
    """A problem to report in one line (exit status 1)."""


def _settings() -> Settings:
    return load_settings()


def _where(settings: Settings) -> str:
    return make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)


def _engine(settings: Settings) -> Engine:
    """The engine, with a missing driver or an unusable data folder said in one line."""
    try:
        return make_engine(settings)
    except ImportError as exc:
        raise CommandError(
            f"no database driver for {make_url(settings.sqlalchemy_url).drivername} "
            f"(missing module {exc.name}); for PostgreSQL: pip install 'connect-widgets[postgres]'"
        ) from None
    except OSError as exc:
        raise CommandError(f"cannot create the data folder {settings.data_dir}: {exc.strerror or exc}") from None


def _services() -> ConnectServices:
    """Services on an initialised database, or a clear error saying to run init."""
    settings = _settings()
    engine = _engine(settings)
    if current_revision(engine) != head_revision():
        raise CommandError(
            f"the database at {_where(settings)} is not initialised or is out of date; run: connect-kit init"
        )
    return build_services(settings, engine=engine)


@app.command()
def init() -> None:
    """Create the database, or upgrade it to this version's schema (safe to repeat)."""
    settings = _settings()
    before, after = upgrade_schema(_engine(settings))
    if before == after:
        state = "already up to date"
    elif before is None:
        state = "created"
    else:
        state = f"upgraded from {before}"
    typer.echo(f"database: {_where(settings)}")
    typer.echo(f"schema: {after} ({state})")


@app.command("create-account")
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
        _services(),
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


@app.command("send-welcome")
def send_welcome_command(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Send an admin's welcome email (the dedicated URL, no password) again."""
    welcome = send_welcome(_services(), email=email)
    _echo_welcome(welcome, email.strip().lower())
    if not welcome.sent:
        raise typer.Exit(1)


@app.command()
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
    services = _services()
    with new_session(services.engine) as db:
        query = select(Message)
        if failed:
            query = query.where(Message.status == "failed")
        if to:
            wanted = to.strip()
            user = db.exec(select(AdminUser).where(AdminUser.email == wanted.lower())).first()
            conditions = [Message.recipient == wanted, Message.recipient == wanted.lower()]
            if user is not None:
                conditions.append(Message.user_id == user.id)
            query = query.where(or_(*conditions))
        rows = db.exec(query.order_by(col(Message.created_at).desc(), col(Message.id).desc()).limit(last)).all()
    if not rows:
        typer.echo(("no failed messages" if failed else "no messages") + (f" to {to}" if to else ""))
        return
    for message in rows:
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


@app.command()
def unlock(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Clear an admin's failed logins and lock (support staff; audited)."""
    typer.echo(f"unlocked: {unlock_user(_services(), email=email)}")


@app.command("reset-phone")
def reset_phone_command(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Forget an admin's phone so the next login enrols a new one (lost phone; audited)."""
    typer.echo(f"phone reset: {reset_phone(_services(), email=email)}")


@app.command("issue-password")
def issue_password_command(email: Annotated[str, typer.Argument(help="The admin's Connect address.")]) -> None:
    """Give an admin a new supplied password, to change at next login (support; audited)."""
    typer.echo(f"email: {email.strip().lower()}")
    typer.echo(f"password: {issue_temporary_password(_services(), email=email)}")


@app.command("release-domain")
def release_domain_command(
    domain: Annotated[str, typer.Argument(help="The domain name, e.g. acme.example.")],
    account: Annotated[str, typer.Option("--account", help="The code of the account whose claim is released.")],
) -> None:
    """Remove an account's claim on a domain so its real owner can verify it (support staff; audited)."""
    typer.echo(f"released: {release_domain(_services(), name=domain, account_code=account)}")


@app.command("add-staff")
def add_staff_command(
    name: Annotated[str, typer.Argument(help="The staff member's name; they log in with it.")],
    generate: Annotated[
        bool, typer.Option("--generate", help="Make up a strong password and print it once (no prompt).")
    ] = False,
) -> None:
    """Add a Connect team member who may work the review queue (their own password; audited)."""
    services = _services()
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


DEMO = {"code": "DEMO", "company": "Demo Ltd", "primary_domain": "demo.example", "admin_name": "alex"}


@app.command("demo-account")
def demo_account_command() -> None:
    """Make sure the demo account exists and print how to log in to it (used by make demo).

    The supplied password is printed once, when the account is created. Running
    again (a second ``make demo``) never replaces it: a trainer may have handed it
    out or be half-way through a demo with it. ``connect-kit issue-password`` makes
    a new one on purpose.
    """
    services = _services()
    settings = services.settings
    email = f"{DEMO['admin_name']}@{DEMO['code'].lower()}.{settings.holding_suffix}"
    with new_session(services.engine) as db:
        admin = db.exec(select(AdminUser).where(AdminUser.email == email)).first()
    if admin is None:
        created = create_account(services, **DEMO, actor="demo")
        password = created.temporary_password
    elif admin.must_change_password:
        password = (
            f"unchanged: the supplied password printed when the account was created "
            f"(lost it? a new one: connect-kit issue-password {email})"
        )
    else:
        password = f"unchanged: the one the admin chose (forgot it? connect-kit issue-password {email})"
    typer.echo(f"url: {settings.account_url(DEMO['code'])}")
    typer.echo(f"email: {email}")
    typer.echo(f"password: {password}")
    typer.echo(f"sms: connect-kit outbox --to {email} --last 1   (the demo phone: passcodes arrive here)")


demo_app = typer.Typer(
    help="Trainers' demo accounts (data/demo_accounts.toml): create them, reset one to a stage.",
    no_args_is_help=True,
)
app.add_typer(demo_app, name="demo")


@demo_app.command("seed")
def demo_seed_command() -> None:
    """Create the demo accounts that are missing (at fresh); existing ones are left as they are."""
    services = _services()
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
    services = _services()
    done = reset_demo_account(services, account, stage, actor="cli")
    typer.echo(f"account: {done.account_code}")
    typer.echo(f"stage: {done.stage}")
    typer.echo(f"email: {done.admin_email}")
    typer.echo(f"password: {done.password}")
    typer.echo(f"url: {services.settings.account_url(done.account_code)}")
    typer.echo(f"sms: connect-kit outbox --to {done.admin_email} --last 1   (the demo phone)")


@app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8866,
    ip: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    notebooks: Annotated[
        Path | None, typer.Option(help="Folder of notebooks to serve (default: the kit's notebooks/).")
    ] = None,
    cull_after: Annotated[
        int, typer.Option(min=30, help="Seconds before an idle kernel whose page is gone is shut down.")
    ] = 300,
    preheat: Annotated[
        bool,
        typer.Option(
            "--preheat/--no-preheat", help="Keep a kernel per notebook started ahead of requests (faster first screen)."
        ),
    ] = True,
) -> None:
    """Serve the Connect notebooks with Voila (sources hidden, kernels culled)."""
    from connect_widgets.serving import PagesFailed, PortInUse, refuse_unwritable_data_folder, serve

    try:  # before the database is opened: on a read-only folder SQLite would only say "unable to open"
        refuse_unwritable_data_folder(_settings())
    except PagesFailed as exc:
        raise CommandError(str(exc)) from None
    services = _services()  # refuses an uninitialised database up front
    folder = notebooks or project_path("notebooks")
    if not (folder / "connect.ipynb").is_file():
        raise CommandError(f"{folder} has no connect.ipynb")
    try:
        serve(services.settings, notebooks=folder, ip=ip, port=port, cull_after_seconds=cull_after, preheat=preheat)
    except (PortInUse, PagesFailed) as exc:
        raise CommandError(str(exc)) from None


def main() -> None:
    """Console entry point: run the command, turning known failures into one line."""
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (CommandError, ConnectError) as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except DBAPIError as exc:  # unreachable server, locked or corrupt file, ...
        typer.echo(f"error: the database could not be used: {exc.orig}", err=True)
        sys.exit(1)
