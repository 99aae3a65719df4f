"""`monitor demo`: the whole pipeline, offline, on bundled sample feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import tomlkit
from rich.console import Console
from rich.table import Table

from classifiers.base import Classifier
from monitor.cli.tables import add_plain_row, outcome_table
from monitor.ingest.pipeline import PollOutcome
from monitor.service import poll_once
from monitor.settings import Settings

DEMO_DIR = Path(__file__).parent / "demo_feeds"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the demo folder; answers If-Modified-Since with 304 like a real feed host."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_demo_feeds(directory: Path = DEMO_DIR) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) and yield the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, name="demo-feeds", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_feeds_toml(base_url: str, directory: Path = DEMO_DIR) -> str:
    """The bundled feeds.toml with its relative URLs pointed at the local server."""
    document = tomlkit.parse((directory / "feeds.toml").read_text(encoding="utf-8"))
    for feed in document["feed"]:
        feed["url"] = base_url + "/" + str(feed["url"]).lstrip("/")
    return tomlkit.dumps(document)


def run_demo(
    settings: Settings, *, classifier: Classifier | None, console: Console, keep: Path | None
) -> list[PollOutcome]:
    """Poll every demo feed twice (the second pass shows 304s, no repeats); show the result."""
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(serve_demo_feeds())
        data_dir = keep or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="monitor-demo-"))
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        feeds_path = data_dir / "feeds.toml"
        feeds_path.write_text(demo_feeds_toml(base_url), encoding="utf-8")
        demo_settings = replace(
            settings,
            feeds_path=feeds_path,
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'demo.db'}",
        )
        console.print(f"Serving the sample feeds of {DEMO_DIR} at {base_url}")
        first = asyncio.run(poll_once(demo_settings, classifier=classifier, include_not_due=True))
        console.print(outcome_table(first))
        console.print(items_table(first))
        if classifier is not None:
            console.print(alerts_table(first))
        second = asyncio.run(poll_once(demo_settings, classifier=classifier, include_not_due=True))
        unchanged = sum(1 for o in second if o.status == 304)
        repeated = sum(len(o.new_items) for o in second)
        console.print(
            f"Second pass: {unchanged} of {len(second)} feeds answered 304 Not Modified, "
            f"{repeated} items stored again."
        )
        if keep:
            console.print(f"Demo database kept in {data_dir / 'demo.db'}")
        return first


def items_table(outcomes: list[PollOutcome]) -> Table:
    table = Table(title="collected items")
    for column in ("#", "feed", "lang", "title", "relevant", "coop", "topics", "countries"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        for new in outcome.new_items:
            labels = new.labels
            if new.duplicate_of is not None:
                verdict = [f"duplicate of #{new.duplicate_of}", "", "", ""]
            elif labels is None:
                verdict = ["-", "-", "-", "-"]
            else:
                verdict = [
                    "yes" if labels.relevant else "no",
                    "yes" if labels.cooperation else "no",
                    ", ".join(labels.topics),
                    ", ".join(labels.countries),
                ]
            lang = labels.language if labels else new.item.language_hint or "-"
            add_plain_row(table, str(new.id), outcome.feed.name, lang, new.item.title, *verdict)
    return table


def alerts_table(outcomes: list[PollOutcome]) -> Table:
    """What a default subscription (relevant cooperation news) would be alerted about."""
    table = Table(title="alerts for a default subscriber (relevant + cooperation)")
    for column in ("#", "title", "topics", "countries", "summary"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        for new in outcome.originals:
            labels = new.labels
            if labels and labels.relevant and labels.cooperation:
                add_plain_row(
                    table,
                    str(new.id),
                    new.item.title,
                    ", ".join(labels.topics),
                    ", ".join(labels.countries),
                    labels.summary,
                )
    return table
