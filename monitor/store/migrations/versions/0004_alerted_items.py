"""Items remember when they were first alerted: same-story candidates without the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE items SET alerted_at = (SELECT min(d.created_at) FROM deliveries d"
        " WHERE d.item_id = items.id AND d.kind = 'alert')"
    )


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:  # SQLite rebuilds the table
        batch.drop_column("alerted_at")
