"""A poll round: claim due feeds from the store in small batches and run the pipeline on them.

Claims are leases in the database, so several processes sharing one PostgreSQL
database split the feeds between them, and a crashed worker's feeds return to
the pool when its lease expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from classifiers.base import Classifier
from monitor.alerts.router import Router
from monitor.clock import Clock
from monitor.errors import StoreError
from monitor.ingest.address_guard import FetchGuards
from monitor.ingest.labelling import sweep_unlabelled
from monitor.ingest.pipeline import (
    DEFAULT_GUARDS,
    PageFetcher,
    PipelineStore,
    PollOutcome,
    poll_feeds,
)
from monitor.ingest.report import round_report
from monitor.models import DueOverview, FeedSpec
from monitor.settings import DEFAULT_MAX_ENTRIES
from monitor.workers import worker_name

log = logging.getLogger(__name__)

CLAIM_BATCH = 20  # small batches keep the work balanced between workers
# a feed stores items until this share of its lease is gone; the rest waits for the next round,
# so fulltext, classifying and recording the poll still finish while the lease holds
STORING_SHARE_OF_LEASE = 0.5


class FeedSource(Protocol):
    def current(self) -> list[FeedSpec]: ...


class PollerStore(PipelineStore, Protocol):
    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None: ...

    def claim_due_feeds(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 100,
    ) -> list[str]: ...

    def release(self, url: str, worker: str) -> None: ...

    def mark_all_due(self, now: datetime) -> None: ...

    def due_overview(self) -> DueOverview: ...


class Poller:
    """Runs poll rounds for one process; `stop()` lets the current batch finish."""

    def __init__(
        self,
        *,
        feeds: FeedSource,
        store: PollerStore,
        fetcher: PageFetcher,
        clock: Clock,
        lease: timedelta,
        classifier: Classifier | None = None,
        run_cpu: Callable[..., Awaitable[object]] | None = None,
        worker: str | None = None,
        on_outcomes: Callable[[list[PollOutcome]], None] | None = None,
        guards: FetchGuards = DEFAULT_GUARDS,
        max_entries: int | None = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self._feeds = feeds
        self._store = store
        self._router = Router(store)  # its caches last across rounds
        self._fetcher = fetcher
        self._clock = clock
        self._lease = lease
        self._classifier = classifier
        self._run_cpu = run_cpu
        self._on_outcomes = on_outcomes
        self._guards = guards
        self._max_entries = max_entries
        self.worker = worker or worker_name()
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._reported = False  # the first round is summed up even when no feed was due

    def stop(self) -> None:
        """Claim nothing more; the batch in flight completes."""
        self._stopping = True

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def poll_round(self, *, include_not_due: bool = False) -> list[PollOutcome]:
        """Poll every due feed (or every enabled feed) once; returns what each poll did."""
        if self._stopping:
            return []
        self._idle.clear()
        try:
            return await self._round(include_not_due)
        finally:
            self._idle.set()

    async def _round(self, include_not_due: bool) -> list[PollOutcome]:
        started = self._clock.now()
        outcomes = await self._poll_due(include_not_due)
        await self._report(outcomes, started)
        await self._label_the_left_behind()
        return outcomes

    async def _label_the_left_behind(self) -> None:
        """Items an earlier failure left unlabelled, whose next try is due (`labelling`)."""
        if self._classifier is None or self._stopping:
            return
        try:
            await sweep_unlabelled(
                classifier=self._classifier,
                router=self._router,
                store=self._store,
                clock=self._clock,
            )
        except StoreError as exc:  # the database is down: the next round tries again
            log.warning("unlabelled items not swept: %s", exc)

    async def _report(self, outcomes: list[PollOutcome], started: datetime) -> None:
        """One summary per round that polled something (and for the first round)."""
        first, self._reported = not self._reported, True
        if not outcomes and not first:
            return
        overview = await asyncio.to_thread(self._store.due_overview)
        if not outcomes:
            if overview.feeds:
                waiting = (
                    f" ({overview.failing} of {overview.feeds} feeds failing: they wait longer)"
                    if overview.failing
                    else ""
                )
                when = overview.next_due_at
                log.info(
                    "no feed due yet%s; next round %s",
                    waiting,
                    when.astimezone().strftime("%H:%M") if when is not None else "when one is due",
                )
            return
        report = round_report(outcomes, started_at=started, next_due_at=overview.next_due_at)
        for level, message in report.lines:
            log.log(level, "%s", message)

    async def _poll_due(self, include_not_due: bool) -> list[PollOutcome]:
        specs = {s.url: s for s in self._feeds.current()}
        await asyncio.to_thread(self._store.sync_feeds, list(specs.values()), self._clock.now())
        if include_not_due:
            await asyncio.to_thread(self._store.mark_all_due, self._clock.now())
        outcomes: list[PollOutcome] = []
        done: set[str] = set()
        while not self._stopping:
            claimed_at = self._clock.now()
            claimed = await asyncio.to_thread(
                self._store.claim_due_feeds,
                self.worker,
                claimed_at,
                self._lease,
                limit=CLAIM_BATCH,
            )
            batch = [specs[u] for u in claimed if u in specs and u not in done]
            for url in claimed:
                if url not in specs or url in done:
                    await asyncio.to_thread(self._store.release, url, self.worker)
            if not batch:
                break
            done.update(s.url for s in batch)
            results = await poll_feeds(
                batch,
                fetcher=self._fetcher,
                store=self._store,
                clock=self._clock,
                classifier=self._classifier,
                run_cpu=self._run_cpu,
                guards=self._guards,
                router=self._router,
                max_entries=self._max_entries,
                deadline=claimed_at + self._lease * STORING_SHARE_OF_LEASE,
            )
            outcomes.extend(results)
            if self._on_outcomes is not None:
                self._on_outcomes(results)
        return outcomes
