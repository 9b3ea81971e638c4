"""Passcode secrets at rest: phones' OTP secrets sealed with the kit's key; SMS codes blanked once dead.

Existing phones have their secret sealed here, with the key the kit itself uses
(``CONNECT_SECRET_KEY``, else ``secret.key`` in the data folder: for an SQLite file
that is the file's folder). Stored SMS bodies written before this revision have
their codes blanked: no passcode links to them, so nothing could blank them later
(a code still live at the upgrade is asked for again).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:40:12.118207
"""

import os
import re
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet

from connect_widgets.paths import private_folder
from connect_widgets.settings import load_settings

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CODE_RE = re.compile(r"\d{4,}")  # as connect_widgets.core.delivery.courier.blank_codes


def _fernet(connection: sa.Connection) -> Fernet:
    """The kit's key for the database being migrated (as ``core.secretbox.SecretBox.from_settings``
    finds it; written out here because the store layer never imports the core)."""
    settings = load_settings()
    url = connection.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().resolve().parent
        if settings.database_url is None and settings.data_dir != folder:
            settings = load_settings(data_dir=folder)  # a programmatic caller's data folder
    if settings.secret_key is not None:
        return Fernet(settings.secret_key.get_secret_value().encode("ascii"))
    path = private_folder(settings.data_dir) / "secret.key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Fernet(path.read_bytes().strip())
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return Fernet(key)


def upgrade() -> None:
    connection = op.get_bind()
    op.add_column('phones', sa.Column('otp_secret_encrypted', sa.Text(), nullable=False, server_default=''))
    phones = connection.execute(sa.text("SELECT id, otp_secret FROM phones")).all()
    if phones:
        box = _fernet(connection)
        for phone_id, secret in phones:
            connection.execute(sa.text("UPDATE phones SET otp_secret_encrypted = :sealed WHERE id = :id"),
                               {"sealed": box.encrypt(secret.encode()).decode("ascii"), "id": phone_id})
    # Plain ALTER (SQLite >= 3.35 and PostgreSQL): a batch copy of phones would
    # set passcodes.phone_id to NULL through its ON DELETE SET NULL.
    op.execute("ALTER TABLE phones DROP COLUMN otp_secret")
    if connection.dialect.name != "sqlite":
        op.alter_column('phones', 'otp_secret_encrypted', server_default=None)

    with op.batch_alter_table('passcodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_passcodes_message_id'), ['message_id'], unique=False)
        batch_op.create_foreign_key('fk_passcodes_message_id_messages', 'messages', ['message_id'], ['id'],
                                    ondelete='SET NULL')

    for message_id, body in connection.execute(sa.text("SELECT id, body FROM messages WHERE channel = 'sms'")).all():
        blanked = _CODE_RE.sub(lambda match: "●" * len(match.group()), body)
        if blanked != body:
            connection.execute(sa.text("UPDATE messages SET body = :body WHERE id = :id"),
                               {"body": blanked, "id": message_id})


def downgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('passcodes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_passcodes_message_id_messages', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_passcodes_message_id'))
        batch_op.drop_column('message_id')

    op.add_column('phones', sa.Column('otp_secret', sa.String(length=64), nullable=False, server_default=''))
    phones = connection.execute(sa.text("SELECT id, otp_secret_encrypted FROM phones")).all()
    if phones:
        box = _fernet(connection)
        for phone_id, sealed in phones:
            connection.execute(sa.text("UPDATE phones SET otp_secret = :secret WHERE id = :id"),
                               {"secret": box.decrypt(sealed.encode("ascii")).decode(), "id": phone_id})
    op.execute("ALTER TABLE phones DROP COLUMN otp_secret_encrypted")
    if connection.dialect.name != "sqlite":
        op.alter_column('phones', 'otp_secret', server_default=None)
