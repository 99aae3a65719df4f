"""APScheduler wiring only: which job runs when. The jobs themselves live elsewhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
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
    _add_repeating(
        scheduler,
        poll,
        every=tick,
        job_id=POLL_JOB,
        name="poll due feeds",
        first_run_at=now or datetime.now(UTC),
    )
    return scheduler


def _add_repeating(
    scheduler: AsyncIOScheduler,
    job: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
    job_id: str,
    name: str,
    first_run_at: datetime | None,
) -> None:
    """A job every `every` (first at `first_run_at`, or after one interval when None);
    one run at a time: a slow run is not stacked, missed runs are not caught up."""
    # APScheduler reads an explicit next_run_time=None as "paused": leave it out instead
    first = {} if first_run_at is None else {"next_run_time": first_run_at}
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=every.total_seconds(), timezone=UTC),
        id=job_id,
        name=name,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        **first,
    )


DIGEST_SWEEP_JOB = "digest-sweep"
DIGEST_JOB_PREFIX = "digest:"


def add_digest_sweep(
    scheduler: AsyncIOScheduler,
    sweep: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
    now: datetime | None = None,
) -> None:
    """The digest sweep: at once (today's missed digests go out after a restart), then every
    `every` (new recipients get their triggers; deferred digests are tried again)."""
    _add_repeating(
        scheduler,
        sweep,
        every=every,
        job_id=DIGEST_SWEEP_JOB,
        name="digests: catch up and sync triggers",
        first_run_at=now or datetime.now(UTC),
    )


CHAT_DIGEST_JOB = "chat-digests"


def add_chat_digest_sweep(
    scheduler: AsyncIOScheduler,
    sweep: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
) -> None:
    """Digest-only chats: queue the digests that are due, at once and then every `every`."""
    _add_repeating(
        scheduler,
        sweep,
        every=every,
        job_id=CHAT_DIGEST_JOB,
        name="digests: queue digest-only chats' digests",
        first_run_at=datetime.now(UTC),
    )


def sync_digest_jobs(
    scheduler: AsyncIOScheduler,
    triggers: Mapping[str, BaseTrigger],
    run: Callable[[], Awaitable[object]],
) -> None:
    """One job per digest trigger (ids ``digest:<zone>:<HH:MM>[:<day>]``): add new, drop gone.

    An id names its schedule, so a job whose id stays keeps its trigger.
    """
    current = {job.id for job in scheduler.get_jobs() if job.id.startswith(DIGEST_JOB_PREFIX)}
    for job_id in current - set(triggers):
        scheduler.remove_job(job_id)
    for job_id in sorted(set(triggers) - current):
        scheduler.add_job(
            run,
            triggers[job_id],
            id=job_id,
            name=f"digests at {job_id.removeprefix(DIGEST_JOB_PREFIX)}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,  # a late wake-up still sends; the sweep covers the rest
        )


OUTBOX_JOB = "outbox"
FEED_NOTICE_JOB = "feed-notices"
ANSWERING_JOB = "telegram-updates"


def add_outbox_drain(
    scheduler: AsyncIOScheduler,
    drain: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
    now: datetime | None = None,
) -> None:
    """Drain the alerts outbox at once and then every `every` (a pass ends when it is empty)."""
    _add_repeating(
        scheduler,
        drain,
        every=every,
        job_id=OUTBOX_JOB,
        name="alerts: drain the outbox",
        first_run_at=now or datetime.now(UTC),
    )


def add_feed_notices(
    scheduler: AsyncIOScheduler,
    check: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
) -> None:
    """Tell the operators about feeds that keep failing (or came back), every `every`."""
    _add_repeating(
        scheduler,
        check,
        every=every,
        job_id=FEED_NOTICE_JOB,
        name="alerts: tell operators about failing feeds",
        first_run_at=None,
    )


def add_chat_answering(
    scheduler: AsyncIOScheduler,
    keep: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
) -> None:
    """Renew (or take over) the role of answering the bot's chats, every `every`."""
    _add_repeating(
        scheduler,
        keep,
        every=every,
        job_id=ANSWERING_JOB,
        name="telegram: answer the chats unless another process does",
        first_run_at=None,
    )
