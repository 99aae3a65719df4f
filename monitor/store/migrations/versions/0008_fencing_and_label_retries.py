"""Fenced delivery leases and retried labelling (issue #18).

- ``deliveries.lease_token``: each claim's own token; a settle or a renewal succeeds
  only while the row is still held under it.
- ``items.label_attempts``, ``label_retry_at``, ``label_error``: an original left
  unlabelled (a failed write, a classifier error) is retried with backoff by the sweep,
  and the last reason is kept for `monitor stats`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("lease_token", sa.Text(), nullable=True))
    op.add_column(
        "items",
        sa.Column("label_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("items", sa.Column("label_retry_at", sa.DateTime(timezone=True)))
    op.add_column("items", sa.Column("label_error", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        for column in ("label_error", "label_retry_at", "label_attempts"):
            batch.drop_column(column)
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("lease_token")
