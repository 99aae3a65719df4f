"""APScheduler wiring only: which job runs when. The jobs themselves live elsewhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

POLL_JOB = "poll"


def build_scheduler(
    *,
    poll: Callable[[], Awaitable[object]],
    tick: timedelta,
    now: datetime | None = None,
) -> AsyncIOScheduler:
    """A scheduler that looks for due feeds every `tick`, starting at once.

    Feeds have their own intervals (kept as `next_due_at` in the store); the tick
    only says how often we look. One round at a time: a slow round is not stacked.
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        poll,
        IntervalTrigger(seconds=tick.total_seconds(), timezone=UTC),
        id=POLL_JOB,
        name="poll due feeds",
        next_run_time=now or datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
