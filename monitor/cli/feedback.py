"""`monitor feedback export`: the readers' 👍/👎 on alerts as labelled JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from monitor.cli.main import main, out, settings_of

if TYPE_CHECKING:
    from monitor.store import Store


@main.group()
def feedback() -> None:
    """Readers' votes on alerts (the users' verdict on the classifier)."""


@feedback.command(name="export")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@click.option(
    "--model",
    "model_id",
    default=None,
    help="Labels of this model id (default: the latest that labelled items).",
)
@click.pass_context
def feedback_export(ctx: click.Context, out_path: Path | None, model_id: str | None) -> None:
    """One JSON line per voted item: id, title, url, the labels shown, votes up and down."""
    from monitor.store import Store

    settings = settings_of(ctx)
    with Store.open(settings.database_url, create=False) as store:  # only reads
        model_id = model_id or store.latest_model_id() or "-"
        if out_path is None:
            count = _write(store, model_id, sys.stdout)
        else:
            with out_path.open("w", encoding="utf-8") as stream:
                count = _write(store, model_id, stream)
            out.print(f"{count} items written to {out_path}", highlight=False)


def _write(store: Store, model_id: str, stream: TextIO) -> int:
    count = 0
    for voted in store.voted_items(model_id):
        labels = voted.labels
        record = {
            "id": voted.item.id,
            "title": voted.item.title,
            "url": voted.item.url,
            "feed": voted.item.feed_url,
            "model": model_id,
            "labels": None
            if labels is None
            else {
                "language": labels.language,
                "relevant": labels.relevant,
                "cooperation": labels.cooperation,
                "topics": list(labels.topics),
                "countries": list(labels.countries),
                "summary": labels.summary,
            },
            "up": voted.up,
            "down": voted.down,
        }
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
