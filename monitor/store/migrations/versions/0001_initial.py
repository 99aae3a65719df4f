"""Initial schema: feeds, items, item_bands (LSH index), labels (classification cache).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("removed_at", _utc(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", _utc(), nullable=True),
        sa.Column("last_success_at", _utc(), nullable=True),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_entries", sa.Integer(), nullable=True),
        sa.Column("last_encoding", sa.Text(), nullable=True),
        sa.Column("next_due_at", _utc(), nullable=True),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("url", name="pk_feeds"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", _utc(), nullable=True),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("language_hint", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("fulltext", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["items.id"],
            name="fk_items_duplicate_of_items",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("feed_url", "guid", name="uq_items_feed_url_guid"),
    )
    op.create_index("ix_items_url", "items", ["url"])
    op.create_index("ix_items_content_hash", "items", ["content_hash"])
    op.create_index("ix_items_first_seen_at", "items", ["first_seen_at"])
    op.create_table(
        "item_bands",
        sa.Column("band", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_item_bands_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("band", "item_id", name="pk_item_bands"),
    )
    op.create_index("ix_item_bands_band", "item_bands", ["band"])
    op.create_index("ix_item_bands_item_id", "item_bands", ["item_id"])
    op.create_table(
        "labels",
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("model_id", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("cooperation", sa.Boolean(), nullable=False),
        sa.Column("topics", _json(), nullable=False),
        sa.Column("countries", _json(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("relevance_score", sa.Float(), nullable=False),
        sa.Column("cooperation_score", sa.Float(), nullable=False),
        sa.Column("topic_scores", _json(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", "model_id", name="pk_labels"),
    )


def downgrade() -> None:
    op.drop_table("labels")
    op.drop_table("item_bands")
    op.drop_table("items")
    op.drop_table("feeds")
