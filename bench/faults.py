"""Fault injection at a larger size: alerts lost and repeated under each fault.

Not a test (tests/test_alerts_faults.py checks the same at 72 alerts): run it and read the
table. Each scenario fills a fresh database with ``--items`` items routed to
``--chats`` chats, and delivery worker processes (tests/faults.py: the production
`Deliverer`, python-telegram-bot's client, Telegram's real rate limits) send them to the
Bot API stand-in (tests/fakebotapi.py) while the fault is injected:

* kill -9: ``--kills`` SIGKILLs at seeded random moments, each followed by a restart;
  the stand-in answers 30 ms late and sends a few 429s (retry after 1 s);
* SQLite locked: another connection holds the write lock for 5 s; the worker's busy
  timeout is 0.5 s;
* disk full: the SQLite file lives on an 8 MB tmpfs that a filler file fills for 5 s
  (needs root, to mount it);
* PostgreSQL cut: for 5 s every connection of the worker is terminated
  (``pg_terminate_backend``) as it appears: what clients see of a server restart,
  without restarting the server others use;
* late answers: 3 sends are answered 7 s late, past the client's 5 s read timeout.

    python bench/faults.py [--runs 1] [--seed 18] [--items 20] [--chats 30] [--kills 5]
                           [--postgres]

``--postgres`` adds the PostgreSQL scenarios (kill -9 and cut), on
MONITOR_TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test, each in a
schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakebotapi import FakeBotAPI
from faults import (
    Outcome,
    chat_ids,
    fill_outbox,
    full_disk_run,
    kill_run,
    late_answers_run,
    locked_run,
    postgres_cut_run,
)

POSTGRES_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

Scenario = Callable[[str, Any, set[tuple[int, str]], int], Outcome]


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="faults-") as root:
        yield f"sqlite:///{root}/monitor.db"


@contextlib.contextmanager
def tmpfs_url(size: str = "8m") -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="faults-disk-") as root:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", root], check=True)
        try:
            yield f"sqlite:///{root}/monitor.db"
        finally:
            subprocess.run(["umount", "-l", root], check=True)


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(os.environ.get("MONITOR_TEST_DATABASE_URL") or POSTGRES_DEFAULT_URL)
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    libpq = base.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"faults_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(
    name: str,
    database: Callable[[], contextlib.AbstractContextManager[str]],
    scenario: Callable[[str, FakeBotAPI, set[tuple[int, str]]], Outcome],
    *,
    chats: int,
    items: int,
    prepare: Callable[[FakeBotAPI], None] = lambda api: None,
) -> tuple[str, Outcome]:
    with database() as url:
        expected = fill_outbox(url, chat_ids(chats), items)
        with FakeBotAPI() as api:
            prepare(api)
            outcome = scenario(url, api, expected)
    return name, outcome


def slow_and_429s(api: FakeBotAPI) -> None:
    api.delay_s = 0.03
    api.fail(429, retry_after=1, times=3)


def main() -> None:
    parser = argparse.ArgumentParser(description="alerts lost and repeated under faults")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="add the PostgreSQL scenarios")
    args = parser.parse_args()
    size = {"chats": args.chats, "items": args.items}
    rows: list[tuple[str, Outcome]] = []
    for n in range(args.runs):
        seed = args.seed + n
        rows.append(
            run(
                "kill -9 (SQLite)",
                sqlite_url,
                lambda url, api, exp, s=seed: kill_run(url, api, exp, kills=args.kills, seed=s),
                prepare=slow_and_429s,
                **size,
            )
        )
        if args.postgres:
            rows.append(
                run(
                    "kill -9 (PostgreSQL)",
                    postgres_url,
                    lambda url, api, exp, s=seed: kill_run(url, api, exp, kills=args.kills, seed=s),
                    prepare=slow_and_429s,
                    **size,
                )
            )
        rows.append(
            run(
                "SQLite locked 5 s",
                sqlite_url,
                lambda url, api, exp: locked_run(url, api, exp, hold_s=5),
                **size,
            )
        )
        if os.geteuid() == 0:
            rows.append(
                run(
                    "disk full 5 s (tmpfs)",
                    tmpfs_url,
                    lambda url, api, exp: full_disk_run(url, api, exp, full_s=5),
                    **size,
                )
            )
        else:
            print("disk full: skipped (mounting a tmpfs needs root)", file=sys.stderr)
        if args.postgres:
            rows.append(
                run(
                    "PostgreSQL cut 5 s",
                    postgres_url,
                    lambda url, api, exp: postgres_cut_run(url, api, exp, cut_s=5),
                    **size,
                )
            )
        rows.append(
            run(
                "answers after timeout",
                sqlite_url,
                lambda url, api, exp: late_answers_run(url, api, exp, late=3),
                **size,
            )
        )
    print(f"fault injection: {args.items} items x {args.chats} chats, {args.runs} run(s)")
    print(f"{'scenario':<24} {'alerts':>6} {'faults':>6} {'lost':>5} {'repeated':>8} {'s':>6}")
    for name, o in rows:
        print(
            f"{name:<24} {o.alerts:>6} {o.faults:>6} {o.lost:>5} {o.repeated:>8} {o.seconds:>6.1f}"
        )
    print(
        "faults: kills; lock, full disk: 1 each; PostgreSQL: connections terminated; "
        "late answers: sends answered after the client's timeout"
    )


if __name__ == "__main__":
    main()
