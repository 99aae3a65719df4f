"""A chat's own daily digest, for digest-only chats (issue #20 part 2, ``/alerts digest``).

``subscriptions.digest_time``: the local "HH:MM" (in the chat's zone) at which the
chat gets its digest as Telegram messages; NULL: no digest in the chat. ``/alerts
digest`` sets it (instant alerts off), ``/alerts on|off`` clears it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("digest_time", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("digest_time")
