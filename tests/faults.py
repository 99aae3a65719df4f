"""Fault injection for delivery: an outbox to fill, a delivery worker process to kill, a tally.

Shared by tests/test_alerts_faults.py and bench/faults.py. Everything is real: a SQLite
file or a PostgreSQL schema, `monitor.alerts.router.Router` filling the outbox,
the production `Deliverer` with `TelegramSink` and python-telegram-bot's client,
and the Bot API stand-in (tests/fakebotapi.py) on the other end.

The worker is its own process, so it can be killed with SIGKILL:

    python tests/faults.py deliver DB_URL API_URL [--busy-timeout S]

It starts like the service (`free_leases_of_dead_workers`: a restart after a kill
takes over its dead predecessor's rows at once), drains the outbox every 0.2 s
with Telegram's real limits (`DeliveryLimits()`), riding out database errors as
`monitor.service.drain_outbox` does, and exits 0 once nothing is pending.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from classifiers.base import Labels
from monitor.filters import Filter
from monitor.models import FeedSpec, Item, Subscription

TOKEN: Final = "123:FAULTS"
FEED: Final = "https://faults.example/rss"
MARKER = re.compile(r"\[#(\d{3})\]")
COUNTRIES: Final = ("KR", "ID", "VN", "TH", "JP", "CN", "PH", "MY", "KH", "LA", "MM", "MN")
DRAIN_EVERY_S: Final = 0.2
FINISH_S: Final = 180.0  # a scenario's whole delivery is over well before this
LOCKED_BUSY_TIMEOUT_S: Final = 0.5  # the worker's SQLite busy timeout when the lock is held
CLIENT_READ_TIMEOUT_S: Final = 5.0  # python-telegram-bot's default read timeout
ROOT: Final = Path(__file__).resolve().parents[1]
Expected = set[tuple[int, str]]  # (chat, marker) pairs that must each arrive once


def chat_ids(count: int) -> list[int]:
    """Private chats (Telegram's per-chat limit, no group limit): 1001, 1002, ..."""
    return [1001 + n for n in range(count)]


def fill_outbox(url: str, chats: Sequence[int], items: int) -> Expected:
    """`items` relevant cooperation items routed to every one of `chats`; the (chat, marker)s.

    Each title carries a marker ("[#017]"); no embedding, so the story rule links none.
    """
    from monitor.alerts.router import Router
    from monitor.store import Store

    now = datetime.now(UTC)
    with Store.open(url) as store:
        store.sync_feeds([FeedSpec(url=FEED, name="Faults")], now)
        for chat in chats:
            store.save_subscription(
                Subscription(chat_id=chat, filter=Filter(cooperation_only=False)), now
            )
        batch = []
        for n in range(items):
            title = f"[#{n:03d}] Health ministers sign cooperation MOU"
            item = Item(FEED, f"g{n}", f"https://faults.example/{n}", title, "An MOU.", now)
            item_id = store.add_item(
                item,
                first_seen_at=now,
                content_hash=f"h{n}",
                signature=[n],
                bands=[],
                duplicate_of=None,
            )
            assert item_id is not None
            countries = (COUNTRIES[n % len(COUNTRIES)], f"Z{n % 26 + 65:c}")
            labels = Labels(
                language="en",
                relevant=True,
                cooperation=True,
                topics=("health_systems",),
                countries=countries,
                summary="An MOU.",
            )
            batch.append((item_id, f"h{n}", labels))
        results = Router(store).save_labels_and_route_many(batch, "faults", now)
    routed = sum(len(r.alerts) for r in results)
    assert routed == items * len(chats), f"routed {routed} alerts, expected {items * len(chats)}"
    return {(chat, f"{n:03d}") for chat in chats for n in range(items)}


def received(api: Any) -> Counter[tuple[int, str]]:
    """How many times each (chat, marker) reached the Bot API stand-in."""
    counts: Counter[tuple[int, str]] = Counter()
    for call in api.sent():
        found = MARKER.search(str(call.get("text", "")))
        if found:
            counts[(int(call["chat_id"]), found.group(1))] += 1
    return counts


def tally(api: Any, expected: Expected) -> tuple[int, int]:
    """(lost, repeated): alerts that never arrived, and sends beyond the first of each."""
    counts = received(api)
    lost = sum(1 for key in expected if counts[key] == 0)
    repeated = sum(n - 1 for n in counts.values() if n > 1)
    return lost, repeated


# -- the worker process ---------------------------------------------------------


class Worker:
    """One delivery worker process (see the module's docstring)."""

    def __init__(self, db_url: str, api_url: str, *, busy_timeout_s: float | None = None) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "deliver", db_url, api_url]
        if busy_timeout_s is not None:
            command += ["--busy-timeout", str(busy_timeout_s)]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self._stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll `condition` every 10 ms while the worker runs; AssertionError naming `what`
        (and the worker's log) if it exits first or after `FINISH_S`."""
        deadline = time.monotonic() + FINISH_S
        while not condition():
            code = self.proc.poll()
            if code is not None:
                self._reader.join(timeout=5)
                raise AssertionError(f"worker exited ({code}) before {what}:\n{self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {FINISH_S} s waiting for {what}")
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL, then reap it (a zombie's pid would still look alive to the restart)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=5)

    def finish(self, timeout_s: float) -> int:
        """Wait for it to exit (nothing pending); its exit status. Killed after `timeout_s`."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"worker still running after {timeout_s} s:\n{self.stderr}"
            ) from None
        self._reader.join(timeout=5)
        return code


@dataclass
class Outcome:
    """What a scenario did: alerts expected, faults injected, lost, repeated, seconds."""

    alerts: int
    faults: int
    lost: int
    repeated: int
    seconds: float
    sent_before: int = 0  # sends the Bot API had recorded when the (first) fault began
    sent_during: int = 0  # sends recorded while the fault lasted
    sent_after: int = 0  # and after it (the last one) ended
    worker_log: str = ""  # the last worker's stderr


def _finish(
    worker: Worker, api: Any, expected: Expected, started: float, faults: int, marks: list[int]
) -> Outcome:
    """Wait for the worker to drain everything; the outcome (`marks`: send counts at the
    fault's start and end)."""
    code = worker.finish(FINISH_S)
    assert code == 0, worker.stderr
    lost, repeated = tally(api, expected)
    total = len(api.sent())
    return Outcome(
        len(expected),
        faults,
        lost,
        repeated,
        time.monotonic() - started,
        sent_before=marks[0],
        sent_during=marks[-1] - marks[0],
        sent_after=total - marks[-1],
        worker_log=worker.stderr,
    )


def sends(api: Any) -> int:
    return len(api.sent())


def kill_run(db_url: str, api: Any, expected: Expected, *, kills: int, seed: int) -> Outcome:
    """Deliver `expected` with `kills` SIGKILLs at seeded random send counts, then finish.

    Each kill lands when the Bot API has recorded a random number of sends (between
    a tenth and nine tenths of the alerts), a restart follows at once; the last
    worker drains what is left.
    """
    rng = random.Random(seed)
    total = len(expected)
    marks = sorted(rng.sample(range(total // 10, total * 9 // 10), kills))
    started = time.monotonic()
    worker = Worker(db_url, api.url)
    at: list[int] = []
    for mark in marks:
        worker.wait_until(lambda m=mark: sends(api) >= m, f"{mark} sends")
        worker.kill()
        at.append(sends(api))
        worker = Worker(db_url, api.url)
    return _finish(worker, api, expected, started, kills, at)


def locked_run(db_url: str, api: Any, expected: Expected, *, hold_s: float) -> Outcome:
    """Another connection holds SQLite's write lock (``BEGIN IMMEDIATE``) for `hold_s`
    seconds in mid-delivery, while the worker's busy timeout is 0.5 s."""
    path = db_url.removeprefix("sqlite:///")
    started = time.monotonic()
    worker = Worker(db_url, api.url, busy_timeout_s=LOCKED_BUSY_TIMEOUT_S)
    worker.wait_until(lambda: sends(api) >= len(expected) // 4, "a quarter sent")
    blocker = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        marks = [sends(api)]
        worker.wait_until(lambda: "locked" in worker.stderr, "the worker to meet the lock")
        time.sleep(max(0.0, hold_s - (time.monotonic() - started)))  # the fault lasts this long
        marks.append(sends(api))
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    return _finish(worker, api, expected, started, 1, marks)


def full_disk_run(db_url: str, api: Any, expected: Expected, *, full_s: float) -> Outcome:
    """The database's file system (a small tmpfs the caller mounted) fills up for `full_s`
    seconds in mid-delivery: a filler file takes every free byte, then is removed."""
    directory = Path(db_url.removeprefix("sqlite:///")).parent
    filler = directory / "filler"
    started = time.monotonic()
    worker = Worker(db_url, api.url)
    worker.wait_until(lambda: sends(api) >= len(expected) // 4, "a quarter sent")
    try:
        with filler.open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:  # ENOSPC: the disk is full
                pass
    except OSError:  # the close's flush fails too
        pass
    marks = [sends(api)]
    try:
        worker.wait_until(lambda: "full" in worker.stderr, "the worker to meet the full disk")
        fault_began = time.monotonic()
        time.sleep(full_s)  # the fault lasts this long
        marks.append(sends(api))
    finally:
        filler.unlink()
    assert time.monotonic() - fault_began >= full_s
    return _finish(worker, api, expected, started, 1, marks)


def with_application_name(url: str, name: str) -> str:
    """`url` whose connections show as `name` in pg_stat_activity."""
    from sqlalchemy.engine import make_url

    return (
        make_url(url)
        .update_query_dict({"application_name": name})
        .render_as_string(hide_password=False)
    )


def postgres_cut_run(db_url: str, api: Any, expected: Expected, *, cut_s: float) -> Outcome:
    """What clients see of a PostgreSQL restart, without restarting the shared server:
    for `cut_s` seconds every connection of the worker (found by its application_name) is
    terminated as soon as it appears, by ``pg_terminate_backend``."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"faults-{os.getpid()}-{random.randrange(10**9)}"
    worker_url = with_application_name(db_url, name)
    admin_url = make_url(db_url).set(drivername="postgresql", query={})
    started = time.monotonic()
    worker = Worker(worker_url, api.url)
    worker.wait_until(lambda: sends(api) >= len(expected) // 4, "a quarter sent")
    marks = [sends(api)]
    terminated = 0
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as adm:
        deadline = time.monotonic() + cut_s
        while time.monotonic() < deadline:
            row = adm.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            ).fetchone()
            terminated += int(row[0]) if row else 0
            time.sleep(0.02)
    marks.append(sends(api))
    assert terminated > 0, "no connection of the worker was cut"
    return _finish(worker, api, expected, started, terminated, marks)


def late_answers_run(db_url: str, api: Any, expected: Expected, *, late: int) -> Outcome:
    """`late` sends are delivered but answered after the client's read timeout (5 s)."""
    started = time.monotonic()
    worker = Worker(db_url, api.url)
    worker.wait_until(lambda: sends(api) >= len(expected) // 4, "a quarter sent")
    marks = [sends(api)]
    api.slow(CLIENT_READ_TIMEOUT_S + 2, times=late)
    worker.wait_until(lambda: sends(api) >= marks[0] + late, "the late answers' sends")
    marks.append(sends(api))
    return _finish(worker, api, expected, started, late, marks)


# -- the worker's code ----------------------------------------------------------


async def deliver(db_url: str, api_url: str, busy_timeout_s: float | None) -> int:
    """Drain the outbox into the Bot API at `api_url` until nothing is pending; 0."""
    from telegram import Bot

    from monitor.alerts.deliver import Deliverer, DeliveryLimits
    from monitor.alerts.telegram_sink import TelegramSink
    from monitor.clock import SystemClock
    from monitor.errors import StoreError
    from monitor.service import free_leases_of_dead_workers
    from monitor.store import Store
    from monitor.workers import worker_name

    clock = SystemClock()
    options = {} if busy_timeout_s is None else {"busy_timeout_s": busy_timeout_s}
    store = Store.open(db_url, **options)
    try:
        await asyncio.to_thread(free_leases_of_dead_workers, store, clock.now())
        async with Bot(TOKEN, base_url=f"{api_url}/bot") as bot:
            deliverer = Deliverer(
                store=store,
                sink=TelegramSink(bot),
                clock=clock,
                worker=worker_name(),
                limits=DeliveryLimits(),
            )
            while True:
                try:
                    await deliverer.drain()
                    if await asyncio.to_thread(store.next_delivery_at) is None:
                        return 0
                except StoreError as exc:  # locked, full, restarting: next time
                    logging.warning("alerts not delivered now, retrying: %s", exc)
                await asyncio.sleep(DRAIN_EVERY_S)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("deliver", help="drain the outbox at DB_URL into the Bot API at API_URL")
    run.add_argument("db_url")
    run.add_argument("api_url")
    run.add_argument("--busy-timeout", type=float, default=None, metavar="S")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("FAULTS_LOG_LEVEL", "WARNING"),
        format=f"[{os.getpid()}] %(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(deliver(args.db_url, args.api_url, args.busy_timeout))


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "TOKEN",
    "Outcome",
    "Worker",
    "chat_ids",
    "fill_outbox",
    "full_disk_run",
    "kill_run",
    "late_answers_run",
    "locked_run",
    "postgres_cut_run",
    "tally",
]
