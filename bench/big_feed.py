"""Benchmark of one poll of one huge feed: what the entries cap (`[poll] max_entries`) saves.

Not a test: run it and read the figures.

    python bench/big_feed.py [--entries 20000] [--max-entries 500] [--uncapped]

A local HTTP server (a thread, 127.0.0.1, ETag-aware) serves one generated RSS
feed of ``--entries`` items with distinct texts, newest first. The production
path polls it: `Fetcher`, `poll_feed` (parse in the forkserver pool of
`monitor.cpu_pool`, dedup keys, storing in batches) into a fresh SQLite store,
without a classifier. Passes:

* capped: the first poll with ``--max-entries`` (the default 500);
* again: the second poll of the unchanged feed (304, nothing parsed);
* uncapped (``--uncapped``): a first poll into a fresh store keeping every entry,
  what a round cost before the cap (slow: minutes for 20,000).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import random
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from monitor.clock import SystemClock
from monitor.cpu_pool import open_cpu_pool
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.parse import parse_feed
from monitor.ingest.pipeline import PollOutcome, poll_feed
from monitor.models import FeedSpec
from monitor.settings import DEFAULT_MAX_ENTRIES
from monitor.store import Store

WORDS = (
    "health ministry cooperation vaccine hospital clinic agreement training programme "
    "outbreak surveillance dengue malaria tuberculosis nurses doctors funding grant "
    "delegation visit conference workshop memorandum pilot telemedicine insurance "
    "primary care maternal child nutrition pharmacy laboratory emergency response"
).split()
ETAG = '"big-1"'


def big_feed(entries: int, seed: int = 18) -> bytes:
    """RSS with `entries` items one minute apart, newest first, each with its own text."""
    rng = random.Random(seed)
    newest = datetime.now(UTC).replace(microsecond=0)
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>']
    for i in range(entries):
        title = " ".join(rng.choices(WORDS, k=8))
        text = " ".join(rng.choices(WORDS, k=40))
        when = format_datetime(newest - timedelta(minutes=i), usegmt=True)
        parts.append(
            f"<item><guid>e{i}</guid><title>{title} {i}</title>"
            f"<link>https://news.example/a/{i}</link><description>{text}</description>"
            f"<pubDate>{when}</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve(body: bytes) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", ETAG)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def timed_poll(
    spec: FeedSpec,
    store: Store,
    fetcher: Fetcher,
    run_cpu: Callable[..., Awaitable[object]],
    max_entries: int | None,
) -> tuple[PollOutcome, float]:
    started = time.perf_counter()
    outcome = await poll_feed(
        spec,
        fetcher=fetcher,
        store=store,
        clock=SystemClock(),
        run_cpu=run_cpu,
        max_entries=max_entries,
    )
    return outcome, time.perf_counter() - started


async def run(entries: int, max_entries: int, uncapped: bool) -> None:
    body = big_feed(entries)
    server = serve(body)
    url = f"http://127.0.0.1:{server.server_address[1]}/big.xml"
    spec = FeedSpec(url, "big")
    print(f"feed: {entries:,} entries, {len(body) / 1e6:.1f} MB")
    started = time.perf_counter()
    parsed = parse_feed(body, {}, feed_url=url, language_hint=None, now=datetime.now(UTC))
    print(f"parse alone (this process): {time.perf_counter() - started:.1f} s, "
          f"{len(parsed.items):,} items")  # fmt: skip
    pool = open_cpu_pool(1)
    loop = asyncio.get_running_loop()

    def run_cpu(fn: Callable[..., object], *args: object, **kwargs: object) -> Awaitable[object]:
        return loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    limits = FetchLimits(retries=0, max_bytes=max(len(body) + 1, FetchLimits().max_bytes))
    try:
        async with Fetcher(user_agent="monitor-bench", limits=limits) as fetcher:
            passes: list[tuple[str, int | None, bool]] = [
                (f"capped at {max_entries}", max_entries, True),
                ("again (304)", max_entries, False),
            ]
            if uncapped:
                passes.append(("uncapped", None, True))
            store: Store | None = None
            with tempfile.TemporaryDirectory() as folder:
                for number, (name, cap, fresh) in enumerate(passes):
                    if fresh:
                        if store is not None:
                            store.close()
                        store = Store.open(f"sqlite:///{Path(folder) / f'{number}.db'}")
                        store.sync_feeds([spec], datetime.now(UTC))
                    assert store is not None
                    outcome, elapsed = await timed_poll(spec, store, fetcher, run_cpu, cap)
                    print(
                        f"{name:>16}: {elapsed:6.1f} s, status {outcome.status}, "
                        f"{outcome.entries:,} entries read, {len(outcome.new_items):,} stored"
                        + (f", error {outcome.error}" if outcome.error else "")
                    )
                if store is not None:
                    store.close()
    finally:
        pool.shutdown(wait=True)
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--max-entries", type=int, default=DEFAULT_MAX_ENTRIES)
    parser.add_argument("--uncapped", action="store_true", help="also poll keeping every entry")
    args = parser.parse_args(argv)
    asyncio.run(run(args.entries, args.max_entries, args.uncapped))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
