"""Digest scheduling: local send times (triggers as data), catch-up after downtime, once only.

The clock is injected and the jobs are called directly; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from digestdata import MODEL, digest_settings, populate
from fakes import FakeClock
from smtpserver import SmtpServer

from monitor.digest.jobs import DigestSender, digest_sender, install_digest_jobs
from monitor.digest.mail import SmtpMailer
from monitor.digest.schedule import digest_triggers, due_date, job_id
from monitor.models import WEEKLY, Recipient
from monitor.scheduler import DIGEST_SWEEP_JOB, build_scheduler
from monitor.store import Store

SEOUL = Recipient("kim@example.kr", send_time=time(8, 0), timezone="Asia/Seoul")
JAKARTA = Recipient("sari@example.id", send_time=time(8, 0), timezone="Asia/Jakarta")
# 08:00 in Seoul (UTC+9) and in Jakarta (UTC+7) on 3 December 2026
SEOUL_8 = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
JAKARTA_8 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


async def no_sleep(seconds: float) -> None:
    """The backoff's waits, skipped."""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def make_sender(tmp_path: Path, url: str, smtp: SmtpServer, clock: FakeClock) -> DigestSender:
    """A fresh sender on its own connection: what a (re)started service builds."""
    settings = digest_settings(
        tmp_path, url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none"
    )
    mailer = SmtpMailer.from_settings(settings, sleep=no_sleep, wait_s=0.01)
    return digest_sender(settings, Store.open(url), model_id=MODEL, clock=clock, mailer=mailer)


def test_due_dates() -> None:
    assert due_date(SEOUL, SEOUL_8 - timedelta(seconds=1)) is None
    assert due_date(SEOUL, SEOUL_8) == date(2026, 12, 3)
    assert due_date(SEOUL, datetime(2026, 12, 3, 14, 59, tzinfo=UTC)) == date(2026, 12, 3)
    assert due_date(SEOUL, datetime(2026, 12, 3, 15, 0, tzinfo=UTC)) is None  # next local day
    weekly = Recipient("a@b.co", frequency=WEEKLY, weekday=3, timezone="UTC")  # Thursday
    assert due_date(weekly, datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == date(2026, 12, 3)
    assert due_date(weekly, datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) is None
    from dataclasses import replace

    assert due_date(replace(SEOUL, active=False), SEOUL_8) is None
    assert due_date(replace(SEOUL, confirmed=False), SEOUL_8) is None
    late = replace(SEOUL, created_at=SEOUL_8 + timedelta(hours=1))
    assert due_date(late, SEOUL_8 + timedelta(hours=2)) is None  # added after today's 08:00
    assert due_date(late, SEOUL_8 + timedelta(days=1)) == date(2026, 12, 4)


def test_triggers_fire_at_each_local_eight() -> None:
    triggers = digest_triggers([SEOUL, JAKARTA, Recipient("x@example.kr", timezone="Asia/Seoul")])
    assert sorted(triggers) == ["digest:Asia/Jakarta:08:00", "digest:Asia/Seoul:08:00"]
    start = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert triggers[job_id(SEOUL)].get_next_fire_time(None, start) == SEOUL_8
    assert triggers[job_id(JAKARTA)].get_next_fire_time(None, start) == JAKARTA_8
    # daylight saving: 08:00 in New York is 13:00 UTC in winter, 12:00 UTC in summer
    ny = Recipient("a@b.co", timezone="America/New_York")
    [trigger] = digest_triggers([ny]).values()
    winter = trigger.get_next_fire_time(None, datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2026, 3, 8, 0, 0, tzinfo=UTC))
    assert winter == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)
    assert summer == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    weekly = Recipient("w@b.co", frequency=WEEKLY, weekday=0, timezone="UTC")
    [(name, trigger)] = digest_triggers([weekly]).items()
    assert name == "digest:UTC:08:00:mon"
    assert trigger.get_next_fire_time(None, start) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    off = Recipient("off@b.co", active=False)
    assert digest_triggers([off]) == {}


async def test_seoul_and_jakarta_each_at_their_own_eight(
    tmp_path: Path, sqlite_url: str, smtp: SmtpServer
) -> None:
    clock = FakeClock(SEOUL_8 - timedelta(minutes=1))
    sender = make_sender(tmp_path, sqlite_url, smtp, clock)
    populate(sender.store, SEOUL_8 - timedelta(minutes=30))
    for r in (SEOUL, JAKARTA):
        sender.store.save_recipient(r, clock.now())
    assert await sender.run_due() == []
    clock.advance(timedelta(minutes=1))  # 08:00 in Seoul, 06:00 in Jakarta
    assert [o.email for o in await sender.run_due()] == ["kim@example.kr"]
    clock.advance(JAKARTA_8 - SEOUL_8 - timedelta(seconds=1))
    assert await sender.run_due() == []
    clock.advance(timedelta(seconds=1))  # 08:00 in Jakarta
    assert [o.email for o in await sender.run_due()] == ["sari@example.id"]
    clock.advance(timedelta(hours=10))
    assert await sender.run_due() == []
    assert [rcpts for _, rcpts in smtp.envelopes] == [["kim@example.kr"], ["sari@example.id"]]
    seoul, _ = smtp.messages
    assert seoul["Subject"].startswith("Health cooperation digest — 3 Dec 2026")
    assert (
        "News first seen 2 Dec 08:00 – 3 Dec 08:00 (Asia/Seoul)"
        in seoul.get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]
    sender.store.close()


async def test_stopped_over_the_send_time_sends_once_after_restart(
    tmp_path: Path, sqlite_url: str, smtp: SmtpServer
) -> None:
    eight = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    clock = FakeClock(eight - timedelta(minutes=10))
    first = make_sender(tmp_path, sqlite_url, smtp, clock)
    populate(first.store, eight - timedelta(hours=1))
    first.store.save_recipient(Recipient("kim@example.org", timezone="UTC"), clock.now())
    assert await first.run_due() == []
    first.store.close()  # the service stops at 07:50 ...
    clock.advance(timedelta(hours=1, minutes=40))  # ... and is back at 09:30
    second = make_sender(tmp_path, sqlite_url, smtp, clock)
    assert [o.status for o in await second.run_due()] == ["sent"]
    assert await second.run_due() == []
    second.store.close()
    clock.advance(timedelta(minutes=5))  # restarted once more the same day
    third = make_sender(tmp_path, sqlite_url, smtp, clock)
    assert await third.run_due() == []
    assert len(smtp.messages) == 1
    # the next day brings the next digest, once
    clock.advance(timedelta(hours=22, minutes=25))  # 08:00 on 4 December
    assert [o.period_key for o in await third.run_due()] == ["daily:2026-12-04"]
    assert len(smtp.messages) == 2
    third.store.close()


async def test_two_services_at_once_send_once(
    tmp_path: Path, database_url: str, smtp: SmtpServer
) -> None:
    clock = FakeClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    a = make_sender(tmp_path, database_url, smtp, clock)
    b = make_sender(tmp_path, database_url, smtp, clock)
    populate(a.store, clock.now() - timedelta(hours=1))
    a.store.save_recipient(Recipient("kim@example.org", timezone="UTC"), clock.now())
    results = await asyncio.gather(a.run_due(), b.run_due())
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(smtp.messages) == 1
    a.store.close()
    b.store.close()


async def test_the_service_scheduler_holds_a_trigger_per_zone(
    tmp_path: Path, sqlite_url: str, smtp: SmtpServer
) -> None:
    clock = FakeClock(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    sender = make_sender(tmp_path, sqlite_url, smtp, clock)

    async def poll() -> None:
        pass

    scheduler = build_scheduler(poll=poll, tick=timedelta(seconds=30), now=clock.now())
    install_digest_jobs(scheduler, sender, every=timedelta(minutes=5), now=clock.now())
    sweep = scheduler.get_job(DIGEST_SWEEP_JOB)
    assert sweep is not None and sweep.trigger.interval == timedelta(minutes=5)
    sender.store.save_recipient(SEOUL, clock.now())
    sender.store.save_recipient(JAKARTA, clock.now())
    await sweep.func()  # what the scheduler runs: sync triggers, then send what is due
    jobs = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("digest:")}
    assert sorted(jobs) == ["digest:Asia/Jakarta:08:00", "digest:Asia/Seoul:08:00"]
    seoul = jobs["digest:Asia/Seoul:08:00"]
    assert seoul.trigger.get_next_fire_time(None, clock.now()) == SEOUL_8
    assert seoul.func == sender.run_due
    sender.store.remove_recipient(JAKARTA.email)
    await sweep.func()
    assert [j.id for j in scheduler.get_jobs() if j.id.startswith("digest:")] == [
        "digest:Asia/Seoul:08:00"
    ]
    assert smtp.messages == []  # both were added after today's 08:00: their first is tomorrow
    sender.store.close()
