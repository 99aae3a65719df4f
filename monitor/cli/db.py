"""`monitor db upgrade`: create or migrate the database, the one step read-only commands need."""

from __future__ import annotations

import click

from monitor.cli.main import main, out, settings_of


@main.group()
def db() -> None:
    """The database: set it up or bring its schema to this version."""


@db.command(name="upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the database's tables, or migrate them to this version (idempotent)."""
    from monitor.store import Store

    settings = settings_of(ctx.find_root())
    with Store.open(settings.database_url) as store:  # opening migrates to head
        url = store.url
    out.print(f"database {url} is up to date", highlight=False, markup=False)
