"""When each recipient's digest is due, as values: pure functions of a recipient and `now`.

A digest is due on a local date once the recipient's send time has passed on
that date (and, for weekly ones, on their weekday): the service runs
`due_date` at each trigger and on a regular sweep, so a digest missed while
the service was down goes out when it is back, the same day; the digest log
(keyed by `Period.key`) makes sure it goes out once.

`digest_triggers` gives one APScheduler cron trigger per (time zone, time,
weekday) that recipients use, named by a stable job id: the scheduler fires
exactly at each local send time, daylight-saving changes included.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from monitor.digest.compose import local_send_time
from monitor.digest.recipient import WEEKDAYS
from monitor.durations import format_send_time
from monitor.models import WEEKLY, Recipient

JOB_PREFIX: Final = "digest:"


def due_date(recipient: Recipient, now: datetime) -> date | None:
    """The local date whose digest is due for `recipient` at `now`, or None.

    Due from the send time until the end of that local day; None before the
    send time, on another weekday (weekly), for an inactive or unconfirmed
    recipient, or when the recipient was added after that day's send time.
    """
    if not (recipient.active and recipient.confirmed):
        return None
    zone = ZoneInfo(recipient.timezone)
    today = now.astimezone(zone).date()
    if recipient.frequency == WEEKLY and today.weekday() != recipient.weekday:
        return None
    send_at = local_send_time(today, recipient.send_time, zone)
    if now < send_at:
        return None
    if recipient.created_at is not None and recipient.created_at > send_at:
        return None  # added after today's send time: the first digest is tomorrow's
    return today


def job_id(recipient: Recipient) -> str:
    """``digest:Asia/Seoul:08:00`` (daily) or ``digest:UTC:08:00:mon`` (weekly)."""
    base = f"{JOB_PREFIX}{recipient.timezone}:{format_send_time(recipient.send_time)}"
    return f"{base}:{WEEKDAYS[recipient.weekday]}" if recipient.frequency == WEEKLY else base


def digest_triggers(recipients: Iterable[Recipient]) -> dict[str, CronTrigger]:
    """One cron trigger per distinct schedule of the active, confirmed recipients."""
    triggers: dict[str, CronTrigger] = {}
    for r in recipients:
        if not (r.active and r.confirmed):
            continue
        key = job_id(r)
        if key not in triggers:
            triggers[key] = CronTrigger(
                day_of_week=WEEKDAYS[r.weekday] if r.frequency == WEEKLY else "*",
                hour=r.send_time.hour,
                minute=r.send_time.minute,
                timezone=ZoneInfo(r.timezone),
            )
    return triggers
