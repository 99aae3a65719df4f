"""Fault injection: delivery under kill -9, a locked or full SQLite, PostgreSQL cutting its
connections, and Telegram answering too late. Alerts lost and repeated, counted.

Real components throughout (tests/faults.py): a worker process running the production
`Deliverer` with python-telegram-bot's client against the Bot API stand-in, SQLite files
and PostgreSQL schemas. The promise checked: nothing is lost; a crash repeats at most the
one send whose answer was not yet recorded; a database error repeats nothing; a send
Telegram accepted but answered after the client's timeout is repeated (Telegram has no
idempotency key), once per late answer. bench/faults.py prints the same at a larger size.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
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

pytestmark = pytest.mark.slow  # worker processes, real waits

CHATS = 12
ITEMS = 6  # 72 alerts: the size issue #18 names
SMALL = 4  # 48 alerts for the database and late-answer faults


def faults_happened_mid_delivery(outcome: Outcome) -> None:
    """Some alerts went out before the fault and some after: it hit a running delivery."""
    assert outcome.sent_before > 0, outcome
    assert outcome.sent_after > 0, outcome


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_kills_during_72_alerts_to_12_chats_lose_none_and_repeat_at_most_two(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    expected = fill_outbox(url, chat_ids(CHATS), ITEMS)
    with FakeBotAPI() as api:
        api.delay_s = 0.03  # every answer a little late: a kill finds a send in flight
        api.fail(429, retry_after=1, times=2)
        outcome = kill_run(url, api, expected, kills=2, seed=18)
        too_many = len(api.failed)

    faults_happened_mid_delivery(outcome)
    assert too_many == 2  # the 429s were met
    assert outcome.lost == 0, outcome
    assert outcome.repeated <= 2, outcome


def test_sqlite_locked_past_the_busy_timeout_loses_and_repeats_nothing(sqlite_url: str) -> None:
    expected = fill_outbox(sqlite_url, chat_ids(CHATS), SMALL)
    with FakeBotAPI() as api:
        outcome = locked_run(sqlite_url, api, expected, hold_s=3)

    faults_happened_mid_delivery(outcome)
    assert "database is locked" in outcome.worker_log
    assert outcome.lost == 0, outcome
    assert outcome.repeated == 0, outcome


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, mounted for the test (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_in_mid_delivery_loses_and_repeats_nothing(small_disk: Path) -> None:
    url = f"sqlite:///{small_disk / 'monitor.db'}"
    expected = fill_outbox(url, chat_ids(CHATS), SMALL)
    with FakeBotAPI() as api:
        outcome = full_disk_run(url, api, expected, full_s=2)

    faults_happened_mid_delivery(outcome)
    assert "full" in outcome.worker_log
    assert outcome.lost == 0, outcome
    assert outcome.repeated == 0, outcome


def test_postgresql_cutting_every_connection_loses_and_repeats_nothing(postgres_url: str) -> None:
    expected = fill_outbox(postgres_url, chat_ids(CHATS), SMALL)
    with FakeBotAPI() as api:
        outcome = postgres_cut_run(postgres_url, api, expected, cut_s=2)

    faults_happened_mid_delivery(outcome)
    assert outcome.faults > 0  # connections were terminated
    assert outcome.lost == 0, outcome
    assert outcome.repeated == 0, outcome


def test_answers_after_the_client_timeout_repeat_exactly_those_messages(sqlite_url: str) -> None:
    expected = fill_outbox(sqlite_url, chat_ids(CHATS), SMALL)
    with FakeBotAPI() as api:
        outcome = late_answers_run(sqlite_url, api, expected, late=2)

    faults_happened_mid_delivery(outcome)
    assert outcome.lost == 0, outcome
    assert outcome.repeated == 2, outcome  # no idempotency key: the retry sends it again
