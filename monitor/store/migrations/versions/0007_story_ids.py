"""Items remember their story: the id of the story's first item (issue #17).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # no foreign key: the story keeps its id when retention deletes its first item.
    # Items routed before this revision have none: each reads as a story of its own.
    op.add_column("items", sa.Column("story_id", sa.Integer(), nullable=True))
    op.create_index("ix_items_story_id", "items", ["story_id"])


def downgrade() -> None:
    op.drop_index("ix_items_story_id", table_name="items")
    with op.batch_alter_table("items") as batch:  # SQLite rebuilds the table
        batch.drop_column("story_id")
