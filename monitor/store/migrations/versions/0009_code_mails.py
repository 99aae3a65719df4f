"""Confirmation-code mails, logged per address and chat (issue #18 item 9).

``code_mails``: one row per code mailed. The bot counts the rows of the last window
for an address (and for a chat) before mailing another code, so five groups cannot
flood one address, and a restart does not reset the count. Old rows are pruned as new
ones are written.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "code_mails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_code_mails"),
    )
    op.create_index("ix_code_mails_email_sent_at", "code_mails", ["email", "sent_at"])
    op.create_index("ix_code_mails_chat_id_sent_at", "code_mails", ["chat_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_code_mails_chat_id_sent_at", table_name="code_mails")
    op.drop_index("ix_code_mails_email_sent_at", table_name="code_mails")
    op.drop_table("code_mails")
