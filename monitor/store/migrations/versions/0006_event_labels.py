"""Cooperation events on labels: event types, organisations, place and date (issue #17).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # labels cached before this revision have none: NULL reads as "no events"
    op.add_column("labels", sa.Column("events", _json(), nullable=True))
    op.add_column("labels", sa.Column("organisations", _json(), nullable=True))
    op.add_column("labels", sa.Column("place", sa.Text(), nullable=True))
    op.add_column("labels", sa.Column("event_date", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        for column in ("event_date", "place", "organisations", "events"):
            batch.drop_column(column)
