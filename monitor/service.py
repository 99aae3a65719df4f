"""Assembles the running service from Settings: store, fetcher, classifier, poller, scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from classifiers.base import Classifier
from monitor.clock import Clock, SystemClock
from monitor.digest.jobs import digest_sender, install_digest_jobs
from monitor.digest.unsubscribe import start_unsubscribe_server
from monitor.feeds import FeedsFile
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.pipeline import PollOutcome
from monitor.ingest.poller import Poller
from monitor.scheduler import build_scheduler
from monitor.settings import Settings
from monitor.store import Store

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = timedelta(seconds=30)  # in-flight polls get this long to finish
CPU_WORKERS = 2  # feed parsing runs beside the event loop, one process per core


@dataclass
class Components:
    store: Store
    fetcher: Fetcher
    poller: Poller
    feeds: FeedsFile


@contextlib.asynccontextmanager
async def open_components(
    settings: Settings,
    *,
    classifier: Classifier | None,
    clock: Clock | None = None,
    on_outcomes: Callable[[list[PollOutcome]], None] | None = None,
) -> AsyncIterator[Components]:
    """Open everything a poll needs and close it again, whatever happens in between."""
    clock = clock or SystemClock()
    feeds = FeedsFile(settings.feeds_path)
    feeds.current()  # a broken file at start is an error, not a silent empty list
    store = Store.open(settings.database_url)
    # forkserver: workers start from a clean process, not a fork of one running model threads
    pool = ProcessPoolExecutor(
        max_workers=CPU_WORKERS, mp_context=multiprocessing.get_context("forkserver")
    )
    loop = asyncio.get_running_loop()

    def run_cpu(fn: Callable[..., object], *args: object, **kwargs: object) -> Awaitable[object]:
        return loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    try:
        async with Fetcher(
            user_agent=settings.poll.user_agent, limits=FetchLimits.of(settings.poll)
        ) as fetcher:
            poller = Poller(
                feeds=feeds,
                store=store,
                fetcher=fetcher,
                clock=clock,
                lease=settings.poll.lease,
                classifier=classifier,
                run_cpu=run_cpu,
                on_outcomes=on_outcomes,
            )
            yield Components(store, fetcher, poller, feeds)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        store.close()


async def run_service(
    settings: Settings,
    *,
    classifier: Classifier | None,
    stop: asyncio.Event | None = None,
    on_outcomes: Callable[[list[PollOutcome]], None] | None = None,
) -> None:
    """Poll due feeds until SIGINT/SIGTERM (or `stop`), then finish in-flight work and exit.

    A second signal stops waiting for the polls in flight: their leases expire and
    another worker (or the next start) takes their feeds over.
    """
    stop = stop or asyncio.Event()
    hurry = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            hurry.set()
        stop.set()

    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
            handled.append(sig)
    try:
        await _serve(
            settings, classifier=classifier, stop=stop, hurry=hurry, on_outcomes=on_outcomes
        )
    finally:  # the loop may outlive the service (tests, embedding): give the signals back
        for sig in handled:
            loop.remove_signal_handler(sig)
    log.info("monitor stopped")


async def _serve(
    settings: Settings,
    *,
    classifier: Classifier | None,
    stop: asyncio.Event,
    hurry: asyncio.Event,
    on_outcomes: Callable[[list[PollOutcome]], None] | None,
) -> None:
    async with open_components(settings, classifier=classifier, on_outcomes=on_outcomes) as parts:
        scheduler = build_scheduler(
            poll=functools.partial(_scheduled_round, parts.poller), tick=settings.poll.tick
        )
        model_id = classifier.model_id if classifier is not None else None
        install_digest_jobs(scheduler, digest_sender(settings, parts.store, model_id=model_id))
        unsubscribe = await start_unsubscribe_server(settings, parts.store)  # MONITOR_HTTP_LISTEN
        scheduler.start()
        log.info(
            "monitor running: %d feeds from %s", len(parts.feeds.current()), settings.feeds_path
        )
        try:
            await stop.wait()
        finally:
            log.info("stopping: finishing polls in flight (signal again to stop at once)")
            parts.poller.stop()
            scheduler.pause()  # no more ticks, and no "skipped" warnings while we wait
            ending = await _idle_or_hurried(parts.poller, hurry, SHUTDOWN_GRACE)
            if ending == "hurried":
                log.warning("second signal: stopping now; the polls in flight leave their leases")
            elif ending == "grace":
                log.warning("polls still running after %s; their leases expire", SHUTDOWN_GRACE)
            # only now: APScheduler's asyncio executor cancels the jobs still running
            scheduler.shutdown(wait=False)
            if unsubscribe is not None:
                await unsubscribe.close()


async def _scheduled_round(poller: Poller) -> None:
    """One scheduled round. Only a stop that gave up waiting cancels it: that is no error."""
    try:
        await poller.poll_round()
    except asyncio.CancelledError:
        log.info("poll round abandoned on the way out")


async def _idle_or_hurried(
    poller: Poller, hurry: asyncio.Event, grace: timedelta
) -> Literal["idle", "hurried", "grace"]:
    """Wait until the poller is idle, a second signal comes, or the grace ends: which was it."""
    idle = asyncio.ensure_future(poller.wait_idle())
    hurried = asyncio.ensure_future(hurry.wait())
    done, pending = await asyncio.wait(
        {idle, hurried}, timeout=grace.total_seconds(), return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    if idle in done:
        return "idle"
    return "hurried" if hurried in done else "grace"


async def poll_once(
    settings: Settings,
    *,
    classifier: Classifier | None,
    include_not_due: bool,
    on_outcomes: Callable[[list[PollOutcome]], None] | None = None,
) -> list[PollOutcome]:
    """One round over due (or all) feeds, then exit."""
    async with open_components(settings, classifier=classifier, on_outcomes=on_outcomes) as parts:
        return await parts.poller.poll_round(include_not_due=include_not_due)
