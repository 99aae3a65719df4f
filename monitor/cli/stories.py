"""`monitor stories`: group items into stories offline, by the rule alerts use."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click

from classifiers.base import Document
from monitor.alerts.stories import Report, group_stories
from monitor.cli.classify import classify_with_progress, read_documents
from monitor.cli.main import build_classifier, err, main, settings_of

# items without "published" before any item with one: all at one instant
NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@main.command()
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("rb"),
    required=True,
    help='Input: JSON lines {id, title, text[, published]} in arrival order; "-" for stdin.',
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    help="Output JSON lines {id, story} (default stdout).",
)
@click.pass_context
def stories(ctx: click.Context, jsonl: IO[bytes], out_path: Path) -> None:
    """Group items into stories: one {id, story} line per valid line in, same order.

    `story` is the id of the story's first item (the item's own when it starts
    one), decided as alerts decide: the same rule and window (`STORY_WINDOW`),
    over the items published within the window before or after it that came
    earlier. "published" is ISO 8601 (a time without zone is UTC); an item
    without one takes the time of the item before it.
    """
    settings = settings_of(ctx)
    items, skipped = read_items(jsonl, getattr(jsonl, "name", "<stdin>"))
    with click.open_file(str(out_path), "w", encoding="utf-8") as out_file:
        classifier = build_classifier(settings)
        # relative event dates ("on Tuesday", "지난 12일") count from the item's date
        docs = [replace(doc, published=published) for doc, published in items]
        reports = [
            Report(doc.id, labels, doc.title, doc.text, published)
            for (doc, labels), (_, published) in zip(
                classify_with_progress(classifier, docs), items, strict=True
            )
        ]
        story = group_stories(reports)
        for report in reports:
            line = {"id": report.id, "story": story[report.id]}
            out_file.write(json.dumps(line, ensure_ascii=False) + "\n")
    if skipped:
        err.print(f"{skipped} malformed line(s) skipped, {len(items)} grouped", highlight=False)


def read_items(lines: Iterable[bytes], name: str) -> tuple[list[tuple[Document, datetime]], int]:
    """Parse the input; a bad line is reported on stderr with its number and skipped.

    Ids must be unique: a story is named by the id of its first item.
    """
    seen: set[str] = set()

    def unique(doc: Document) -> None:
        if doc.id in seen:
            raise ValueError(f"id {doc.id!r} repeats an earlier line's")
        seen.add(doc.id)

    docs, skipped = read_documents(lines, name, check=unique)
    items: list[tuple[Document, datetime]] = []
    last = NO_TIME
    for doc in docs:
        published = doc.published or last
        if published.tzinfo is None:  # a date or time without a zone: UTC
            published = published.replace(tzinfo=UTC)
        items.append((doc, published))
        last = published
    return items, skipped
