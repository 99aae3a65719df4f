"""Tables for the console and for scripts: one list of records, shown as a rich table that fits
the terminal (80 columns and pipes included), or written as JSON or CSV.

In a table, text wraps between words and a word is never broken: one longer than its column
is shortened in the middle ("Closed…name"), and so is a cell that would need more than its
column's `max_lines`. Codes and numbers never wrap, and URLs are shortened in the middle so
both the host and the file name stay readable. When the columns cannot all fit, the widest
text column gives up width first.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.ingest.pipeline import PollOutcome
from monitor.ingest.report import diagnosis, feed_label, short_error

Format = Literal["table", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv")


def format_option(
    help: str = "table for people; json or csv for scripts.",
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """The ``--format table|json|csv`` option of the commands that print records."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help=help,
    )


Kind = Literal["text", "code", "number", "url"]
Value = str | int | float | bool | None | datetime | date | Sequence[str]
Record = Mapping[str, Value]

MAX_WORD = 24  # longer words (rare: tokens, hashes) may be cut; shorter ones never are
TEXT_NATURAL = 30  # a text column wider than this only when space is left over
MIN_URL = 24  # narrower than this a URL says nothing
URL_SHARE = 40  # a URL this wide shows host and file name; more only when space is left over
CELL_CHROME = 3  # a rich column's border and padding
SHORT_TEXT = 20  # a text column no wider than this keeps its whole width
MIN_TEXT = 8  # a text column shrunk to fit the terminal keeps at least this width
MAX_LINES = 4  # a text cell's lines; a longer text is shortened in the middle


@dataclass(frozen=True)
class Column:
    """One column: its header, the record key it shows, and how its cells behave."""

    header: str
    key: str
    kind: Kind = "text"
    show: Callable[[Value], str] | None = None  # custom cell text; default: `cell_text`
    max_lines: int = MAX_LINES  # for text: more would be shortened in the middle


def cell_text(value: Value) -> str:
    """A value as a table shows it: "-" for none, yes/no, lists joined, times to the minute."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str | int):
        return str(value)
    return ", ".join(value) or "-"


def middle(text: str, width: int) -> str:
    """`text` cut to `width` cells by dropping its middle: "https://www.who…/news.xml".

    Widths are terminal cells, so a Korean or Chinese name (two cells a character) fits too.
    """
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head_room = (width - 1) // 2 + (width - 1) % 2
    tail_room = width - 1 - head_room
    head = ""
    for ch in text:
        if cell_len(head + ch) > head_room:
            break
        head += ch
    tail = ""
    for ch in reversed(text):
        if cell_len(ch + tail) > tail_room:
            break
        tail = ch + tail
    return head + "…" + tail


def wrap_words(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, broken only between words; a word wider
    than `width` is shortened in the middle instead of broken."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            word = middle(word, width)
            if line and cell_len(line) + 1 + cell_len(word) <= width:
                line += " " + word
            else:
                if line:
                    lines.append(line)
                line = word
        lines.append(line)
    return lines


def fit_text(text: str, width: int, max_lines: int) -> str:
    """`text` wrapped between words into at most `max_lines` lines of `width` cells; a longer
    text is shortened in the middle until it fits."""
    lines = wrap_words(text, width)
    if len(lines) <= max_lines:
        return "\n".join(lines)
    flat = " ".join(text.split())
    budget = width * max_lines
    while budget > 1:
        lines = wrap_words(middle(flat, budget), width)
        if len(lines) <= max_lines:
            return "\n".join(lines)
        budget -= max(1, budget // 20)
    return middle(flat, width)


def _longest_word(cells: Sequence[str]) -> int:
    return max((cell_len(word) for cell in cells for word in cell.split()), default=1)


def column_widths(
    columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int
) -> list[int]:
    """Each column's width so the table fits `width` where it can.

    Codes and numbers get their full width; text columns at least their longest word
    (up to `MAX_WORD`), URLs at least `MIN_URL`; what is left goes first to URLs up to
    `URL_SHARE` of it, then to text up to `TEXT_NATURAL`, then to URLs again.
    """
    natural = [
        max([cell_len(c.header)] + [max((cell_len(x) for x in str(row[i]).splitlines()), default=0)
                                    for row in cells])
        for i, c in enumerate(columns)
    ]  # fmt: skip
    sizes = []
    for i, column in enumerate(columns):
        if column.kind == "text" and natural[i] <= SHORT_TEXT:
            sizes.append(natural[i])  # a short phrase ("cannot connect") stays on one line
        elif column.kind == "text":
            word = _longest_word([row[i] for row in cells])
            sizes.append(min(natural[i], max(cell_len(column.header), min(word, MAX_WORD))))
        elif column.kind == "url":
            sizes.append(min(natural[i], MIN_URL))
        else:
            sizes.append(natural[i])
    slack = width - 1 - CELL_CHROME * len(columns) - sum(sizes)

    def grow(kinds: tuple[Kind, ...], limit: Callable[[int], int]) -> None:
        nonlocal slack
        wanted = [i for i, c in enumerate(columns) if c.kind in kinds and sizes[i] < limit(i)]
        while slack > 0 and wanted:
            for i in list(wanted):
                if slack <= 0:
                    break
                sizes[i] += 1
                slack -= 1
                if sizes[i] >= limit(i):
                    wanted.remove(i)

    grow(("url",), lambda i: min(natural[i], URL_SHARE))
    grow(("text",), lambda i: min(natural[i], TEXT_NATURAL))
    grow(("url", "text"), lambda i: natural[i])
    # too wide even so: the widest text or URL column gives up width, down to a floor
    while slack < 0:
        shrinkable = [
            i
            for i, c in enumerate(columns)
            if sizes[i] > max(MIN_URL if c.kind == "url" else MIN_TEXT, cell_len(c.header))
            and c.kind in ("text", "url")
        ]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: sizes[i])
        sizes[widest] -= 1
        slack += 1
    return sizes


def build_table(
    title: str, columns: Sequence[Column], records: Sequence[Record], *, width: int
) -> Table:
    """A rich table of `records` that fits `width` columns of terminal."""
    cells = [[(c.show or cell_text)(record.get(c.key)) for c in columns] for record in records]
    sizes = column_widths(columns, cells, width)
    table = Table(title=title)
    for i, column in enumerate(columns):
        for row in cells:
            if column.kind == "url":
                row[i] = middle(row[i], sizes[i])
            elif column.kind == "text":  # wrapped here, between words: rich only prints it
                row[i] = fit_text(row[i], sizes[i], column.max_lines)
        table.add_column(
            column.header,
            width=sizes[i],
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if column.kind == "number" else "left",
        )
    for row in cells:
        table.add_row(*(Text(c) for c in row))  # plain text: a title like "[update]" is no markup
    return table


def _json_value(value: Value) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return list(value)


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float):
        return str(value)
    return ";".join(value)


def to_json(data: object) -> str:
    """JSON of records (or of a mapping of record lists), times as ISO 8601, keys as given."""

    def convert(value: object) -> object:
        if isinstance(value, Mapping):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return _json_value(value)  # type: ignore[arg-type]

    return json.dumps(convert(data), ensure_ascii=False, indent=2)


def to_csv(records: Sequence[Record], keys: Sequence[str]) -> str:
    """CSV with a header row of `keys`; lists joined with ";", booleans true/false."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    for record in records:
        writer.writerow([_csv_value(record.get(k)) for k in keys])
    return buffer.getvalue()


def emit(
    console: Console,
    fmt: Format,
    title: str,
    columns: Sequence[Column],
    records: Sequence[Record],
) -> None:
    """Print `records` in `fmt`: a fitted table, JSON (a list of objects), or CSV."""
    if fmt == "json":
        click.echo(to_json(list(records)))
    elif fmt == "csv":
        keys = list(records[0]) if records else [c.key for c in columns]
        click.echo(to_csv(records, keys), nl=False)
    else:
        console.print(build_table(title, columns, records, width=console.width))


def add_plain_row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are shown as they are: a title like "[update]" is no markup."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


def brief_error(value: Value) -> str:
    """A failure's cell: the log's short phrase ("cannot connect", "HTTP 404"); the whole text
    is in ``--format json`` and in the log at -v."""
    if not isinstance(value, str) or not value:
        return "-"
    return diagnosis(value)


OUTCOME_COLUMNS = (
    Column("feed", "feed", max_lines=1),
    Column("status", "status", "code"),
    Column("entries", "entries", "number"),
    Column("new", "new", "number"),
    Column("dups", "duplicates", "number"),
    Column("encoding", "encoding", "code"),
    Column("error", "error", show=brief_error, max_lines=2),
)


def outcome_records(outcomes: Sequence[PollOutcome]) -> list[dict[str, Value]]:
    """One record per polled feed, by feed name. No timing: it would include classification."""
    return [
        {
            "feed": feed_label(o.feed),
            "url": o.feed.url,
            "status": o.status,
            "entries": o.entries,
            "new": len(o.originals),
            "duplicates": len(o.new_items) - len(o.originals),
            "encoding": o.encoding,
            "error": short_error(o.error or o.problem or "", o.feed.url, 200) or None,
        }
        for o in sorted(outcomes, key=lambda o: (feed_label(o.feed).casefold(), o.feed.url))
    ]


def outcome_table(outcomes: list[PollOutcome], *, width: int = 80) -> Table:
    return build_table("poll round", OUTCOME_COLUMNS, outcome_records(outcomes), width=width)
