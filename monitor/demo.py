"""`monitor demo`: the whole pipeline, offline, on bundled sample feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import tomlkit

from classifiers.base import Classifier
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


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: the first pass (every item new) and the second (all 304)."""

    first: list[PollOutcome]
    second: list[PollOutcome]
    base_url: str
    kept_database: Path | None


def run_demo(
    settings: Settings,
    *,
    classifier: Classifier | None,
    keep: Path | None,
    on_serving: Callable[[str], None] | None = None,
) -> DemoRun:
    """Poll every demo feed twice (the second pass shows 304s, no repeats); return both passes."""
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
        if on_serving is not None:
            on_serving(base_url)
        first = asyncio.run(poll_once(demo_settings, classifier=classifier, include_not_due=True))
        second = asyncio.run(poll_once(demo_settings, classifier=classifier, include_not_due=True))
        return DemoRun(first, second, base_url, data_dir / "demo.db" if keep else None)
