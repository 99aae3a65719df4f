"""Quiet hours, holding and a chosen time zone per chat (issue #20 parts 1-3).

``subscriptions.quiet_start`` / ``quiet_end``: the chat's quiet window as local
"HH:MM" (NULL: none); ``quiet_hold``: inside the window alerts are held and
summarised when it ends, rather than sent silently. ``timezone`` is
now "" until the chat chooses one (the UI language then guesses it): every row
still holding the old default "UTC" was never chosen (there was no /timezone).

Deliveries gain the statuses ``held`` (waiting for the chat's mute or quiet
window to end) and ``summarised`` (reported in the "while muted" summary).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("quiet_start", sa.Text(), nullable=True))
        batch.add_column(sa.Column("quiet_end", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("quiet_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE subscriptions SET timezone = '' WHERE timezone = 'UTC'")


def downgrade() -> None:
    op.execute("UPDATE subscriptions SET timezone = 'UTC' WHERE timezone = ''")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("quiet_hold")
        batch.drop_column("quiet_end")
        batch.drop_column("quiet_start")
