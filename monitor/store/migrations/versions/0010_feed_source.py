"""Feeds' source type (issue #20 part 5).

``feeds.source``: the feed's `source` key in feeds.toml (ministry, international,
state_media, wire, news, search), mirrored like its name and country, so routing
can honour "official sources only" and alerts can say what kind of source spoke.
NULL: not labelled (any filter on sources lets such a feed's items through only
when it asks for no source type).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("source")
