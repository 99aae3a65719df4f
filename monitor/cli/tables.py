"""Rich tables shared by the commands that show poll results."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from monitor.ingest.pipeline import PollOutcome


def add_plain_row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are shown as they are: a title like "[update]" is no markup."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


def outcome_table(outcomes: list[PollOutcome]) -> Table:
    table = Table(title="poll round")
    for column in ("feed", "status", "entries", "new", "dups", "encoding", "seconds", "error"):
        table.add_column(column)
    for o in sorted(outcomes, key=lambda o: o.feed.name):
        dups = len(o.new_items) - len(o.originals)
        add_plain_row(
            table,
            o.feed.name,
            str(o.status or "-"),
            str(o.entries),
            str(len(o.originals)),
            str(dups),
            o.encoding or "-",
            f"{o.elapsed_s:.2f}",
            o.error or o.problem or "",
        )
    return table
