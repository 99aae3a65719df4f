"""Alembic environment: migrate on the connection `monitor.store` hands over.

The caller opens the transaction (``BEGIN IMMEDIATE`` on SQLite, an advisory
lock on PostgreSQL) and commits it, so concurrent upgrades are serialised.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from monitor.store.schema import METADATA


def run_migrations() -> None:
    """Run the requested upgrade or downgrade on the connection in `config.attributes`."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "monitor migrations run through monitor.store (Store.open, upgrade_schema), "
            "not the alembic command line"
        )
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_migrations()
