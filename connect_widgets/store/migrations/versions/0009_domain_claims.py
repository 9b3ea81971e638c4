"""Domain claims: several accounts may claim a name; the first to verify it owns it.

The name is no longer unique on its own: one claim per (account, name), and at
most one verified claim per name (a partial unique index, on SQLite and
PostgreSQL alike), so two accounts verifying at once cannot both own it.

Downgrading keeps one claim per name (the verified one, else the oldest) and
removes the others, since the old schema allowed only one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERIFIED = sa.text('verified_at IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domains_name'))
        batch_op.create_index(batch_op.f('ix_domains_name'), ['name'], unique=False)
        batch_op.create_unique_constraint('uq_domains_account_id_name', ['account_id', 'name'])
    op.create_index('ux_domains_verified_name', 'domains', ['name'], unique=True,
                    sqlite_where=VERIFIED, postgresql_where=VERIFIED)


def downgrade() -> None:
    op.drop_index('ux_domains_verified_name', table_name='domains')
    op.execute('DELETE FROM domains WHERE verified_at IS NULL '
               'AND name IN (SELECT name FROM domains WHERE verified_at IS NOT NULL)')
    op.execute('DELETE FROM domains WHERE id NOT IN (SELECT MIN(id) FROM domains GROUP BY name)')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_constraint('uq_domains_account_id_name', type_='unique')
        batch_op.drop_index(batch_op.f('ix_domains_name'))
        batch_op.create_index(batch_op.f('ix_domains_name'), ['name'], unique=True)
