"""One feed, one pass: fetch -> parse -> deduplicate -> (full text) -> classify -> store.

Collaborators come in as small protocols, so the same code runs in the service,
in `monitor poll --once`, in the demo and in tests against real local servers.
One bad feed never stops a round: its error is recorded on its row and logged.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from classifiers.base import CLASSIFY_BATCH, Classifier, Document, Labels
from monitor.alerts.router import Router, RoutingStore
from monitor.clock import Clock
from monitor.errors import FeedFetchError, FeedParseError
from monitor.ingest.address_guard import AddressGuard, FetchGuards
from monitor.ingest.article import extract_article_text
from monitor.ingest.dedup import closest_near_duplicate, dedup_keys
from monitor.ingest.labelling import LabellingStore, ToLabel, label_and_route
from monitor.ingest.localtime import naive_date_zone
from monitor.ingest.parse import ParsedFeed, parse_feed
from monitor.models import FeedSpec, FeedState, FetchResult, Item
from monitor.settings import DEFAULT_MAX_ENTRIES

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)
BACKOFF_JITTER = 0.1  # spread retries of feeds that failed together
# operators' feeds anywhere but metadata addresses; the rest public only (address_guard)
DEFAULT_GUARDS = FetchGuards()
STORE_BATCH = 100  # items per worker-thread hop; the feed's deadline is checked between them


class PageFetcher(Protocol):
    """What the pipeline needs of `monitor.ingest.fetch.Fetcher`: one conditional GET."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        guard: AddressGuard | None = None,
    ) -> FetchResult: ...


class PipelineStore(RoutingStore, LabellingStore, Protocol):
    """The part of `monitor.store.Store` the pipeline uses."""

    def feed_state(self, url: str) -> FeedState | None: ...

    def record_success(
        self,
        url: str,
        *,
        now: datetime,
        status: int,
        etag: str | None,
        last_modified: str | None,
        entries: int | None,
        encoding: str | None,
        problem: str | None,
        next_due_at: datetime,
    ) -> None: ...

    def record_failure(
        self, url: str, *, now: datetime, error: str, status: int | None, next_due_at: datetime
    ) -> None: ...

    def find_item_by_key(
        self, feed_url: str, guid: str, url: str, content_hash: str
    ) -> int | None: ...

    def near_duplicate_candidates(
        self, bands: Sequence[str], limit: int = 50
    ) -> list[tuple[int, tuple[int, ...]]]: ...

    def add_item(
        self,
        item: Item,
        *,
        first_seen_at: datetime,
        content_hash: str,
        signature: Sequence[int],
        bands: Sequence[str],
        duplicate_of: int | None,
    ) -> int | None: ...

    def set_fulltext(self, item_id: int, text: str) -> None: ...

    def cached_labels(self, content_hashes: Sequence[str], model_id: str) -> dict[str, Labels]: ...

    def save_labels(
        self, content_hash: str, model_id: str, labels: Labels, now: datetime
    ) -> None: ...


@dataclass(frozen=True)
class NewItem:
    """An item this pass stored for the first time, with its labels if classified."""

    id: int
    item: Item
    content_hash: str
    duplicate_of: int | None
    labels: Labels | None = None


@dataclass(frozen=True)
class PollOutcome:
    """What one pass over one feed did."""

    feed: FeedSpec
    status: int | None = None  # HTTP status; None when the request failed
    entries: int = 0
    new_items: tuple[NewItem, ...] = ()
    error: str | None = None
    problem: str | None = None  # recoverable parse problem: partial result kept
    encoding: str | None = None
    elapsed_s: float = 0.0

    @property
    def originals(self) -> tuple[NewItem, ...]:
        return tuple(n for n in self.new_items if n.duplicate_of is None)


def next_poll_at(
    now: datetime,
    interval: timedelta,
    consecutive_errors: int,
    retry_after_s: float | None = None,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """When to poll a feed next: its interval when healthy, doubling per failure, capped.

    A server's Retry-After is a floor.
    """
    if consecutive_errors <= 0:
        delay = interval
    else:
        factor = 2 ** min(consecutive_errors - 1, 16)
        delay = min(interval * factor, max(MAX_BACKOFF, interval))
        delay += delay * BACKOFF_JITTER * rand()
    if retry_after_s is not None:
        delay = max(delay, timedelta(seconds=retry_after_s))
    return now + delay


async def poll_feed(
    spec: FeedSpec,
    *,
    fetcher: PageFetcher,
    store: PipelineStore,
    clock: Clock,
    classifier: Classifier | None = None,
    run_cpu: Callable[..., Awaitable[object]] | None = None,
    router: Router | None = None,
    guards: FetchGuards = DEFAULT_GUARDS,
    max_entries: int | None = DEFAULT_MAX_ENTRIES,
    deadline: datetime | None = None,
) -> PollOutcome:
    """Poll one feed and store what is new. Never raises for a feed's own problems.

    New originals' labels and their alerts are saved by `router` (pass one that
    lives across polls: it keeps the routing caches; by default a new one).
    Only the newest `max_entries` entries are read. Items are stored in batches
    until `deadline` (the feed's lease running short): what is left waits for
    the next round, which fetches the feed whole again.
    """
    started = clock.now()
    # every store call runs in a worker thread: a locked or slow database must not stall
    # the event loop that fetches other feeds and answers Telegram chats
    state = await asyncio.to_thread(store.feed_state, spec.url) or FeedState(url=spec.url)
    try:
        result = await fetcher.fetch(
            spec.url,
            etag=state.etag,
            last_modified=state.last_modified,
            guard=guards.for_feed(spec),  # every hop, every poll, and the address reached
        )
    except FeedFetchError as exc:
        return await _failed(spec, store, clock, state, str(exc), exc.status, exc.retry_after_s)

    if result.not_modified:
        await asyncio.to_thread(
            store.record_success,
            spec.url,
            now=clock.now(),
            status=304,
            etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
            entries=None,
            encoding=state.last_encoding,
            problem=None,
            next_due_at=next_poll_at(clock.now(), spec.interval, 0),
        )
        return PollOutcome(spec, status=304, elapsed_s=_since(clock, started))

    try:
        parsed = await _parse(result, spec, clock.now(), run_cpu, max_entries)
    except FeedParseError as exc:
        return await _failed(spec, store, clock, state, str(exc), result.status, None)
    if parsed.over_cap:
        log.info(
            "%s: %d older entries skipped, the newest %d read ([poll] max_entries)",
            spec.name or spec.url,
            parsed.over_cap,
            len(parsed.items),
        )

    new_items, unstored = await _store_batches(parsed.items, store, clock, deadline)
    if unstored:  # no validators kept: the next round fetches the whole feed and goes on
        log.warning(
            "%s: %d of %d entries stored before the feed's lease ran short; "
            "the other %d next round",
            spec.name or spec.url,
            len(parsed.items) - unstored,
            len(parsed.items),
            unstored,
        )
    originals = [n for n in new_items if n.duplicate_of is None]
    if spec.fulltext and originals:
        originals = await _add_fulltext(originals, fetcher, store, guards.articles)
    if classifier is not None and originals:
        originals = await _classify(originals, classifier, router or Router(store), store, clock)
    updated = {n.id: n for n in originals}
    new_items = [updated.get(n.id, n) for n in new_items]

    await asyncio.to_thread(
        store.record_success,
        spec.url,
        now=clock.now(),
        status=result.status,
        etag=None if unstored else result.etag,
        last_modified=None if unstored else result.last_modified,
        entries=len(parsed.items),
        encoding=parsed.encoding,
        problem=parsed.problem,
        next_due_at=clock.now() if unstored else next_poll_at(clock.now(), spec.interval, 0),
    )
    if parsed.problem:  # reported once in the round's report; the detail here
        log.debug("%s: partial feed: %s", spec.name or spec.url, parsed.problem)
    return PollOutcome(
        spec,
        status=result.status,
        entries=len(parsed.items),
        new_items=tuple(new_items),
        problem=parsed.problem,
        encoding=parsed.encoding,
        elapsed_s=_since(clock, started),
    )


async def poll_feeds(
    specs: Sequence[FeedSpec],
    *,
    fetcher: PageFetcher,
    store: PipelineStore,
    clock: Clock,
    classifier: Classifier | None = None,
    run_cpu: Callable[..., Awaitable[object]] | None = None,
    router: Router | None = None,
    guards: FetchGuards = DEFAULT_GUARDS,
    max_entries: int | None = DEFAULT_MAX_ENTRIES,
    deadline: datetime | None = None,
) -> list[PollOutcome]:
    """Poll several feeds concurrently; the fetcher's limits bound the concurrency."""
    return list(
        await asyncio.gather(
            *(
                poll_feed(
                    s,
                    fetcher=fetcher,
                    store=store,
                    clock=clock,
                    classifier=classifier,
                    run_cpu=run_cpu,
                    router=router,
                    guards=guards,
                    max_entries=max_entries,
                    deadline=deadline,
                )
                for s in specs
            )
        )
    )


async def _failed(
    spec: FeedSpec,
    store: PipelineStore,
    clock: Clock,
    state: FeedState,
    error: str,
    status: int | None,
    retry_after_s: float | None,
) -> PollOutcome:
    errors = state.consecutive_errors + 1
    now = clock.now()
    # at DEBUG: the round's report (monitor.ingest.report) gives each failure its one line
    log.debug("%s: %s (failure %d in a row)", spec.name or spec.url, error, errors)
    await asyncio.to_thread(
        store.record_failure,
        spec.url,
        now=now,
        error=error,
        status=status,
        next_due_at=next_poll_at(now, spec.interval, errors, retry_after_s),
    )
    return PollOutcome(spec, status=status, error=error)


async def _parse(
    result: FetchResult,
    spec: FeedSpec,
    now: datetime,
    run_cpu: Callable[..., Awaitable[object]] | None,
    max_entries: int | None,
) -> ParsedFeed:
    parse = functools.partial(
        parse_feed,
        result.content,
        result.headers,
        feed_url=spec.url,
        language_hint=spec.language,
        now=now,
        naive_zone=naive_date_zone(spec.country),
        max_entries=max_entries,
    )
    if run_cpu is None:
        return parse()
    parsed = await run_cpu(parse)
    assert isinstance(parsed, ParsedFeed)
    return parsed


async def _store_batches(
    items: Sequence[Item], store: PipelineStore, clock: Clock, deadline: datetime | None
) -> tuple[list[NewItem], int]:
    """Store `items` a batch per worker-thread hop until `deadline`: the new ones, and how
    many items were left unstored."""
    new_items: list[NewItem] = []
    for start in range(0, len(items), STORE_BATCH):
        if deadline is not None and clock.now() >= deadline:
            return new_items, len(items) - start
        batch = items[start : start + STORE_BATCH]
        new_items += await asyncio.to_thread(_store_items, batch, store, clock.now())
    return new_items, 0


def _store_items(items: Sequence[Item], store: PipelineStore, now: datetime) -> list[NewItem]:
    """Store parsed items in order (one worker-thread hop for the lot); the new ones."""
    return [n for n in (_store_item(item, store, now) for item in items) if n is not None]


def _store_item(item: Item, store: PipelineStore, now: datetime) -> NewItem | None:
    """Store one parsed item unless it is already known; link re-posts and near-duplicates."""
    if item.published_at is None:
        item = replace(item, published_at=now)
    keys = dedup_keys(item.title, item.text)
    duplicate_of = store.find_item_by_key(item.feed_url, item.guid, item.url, keys.content_hash)
    if duplicate_of is None:
        candidates = store.near_duplicate_candidates(keys.bands)
        duplicate_of = closest_near_duplicate(keys.signature, candidates)
    item_id = store.add_item(
        item,
        first_seen_at=now,
        content_hash=keys.content_hash,
        signature=keys.signature,
        bands=keys.bands,
        duplicate_of=duplicate_of,
    )
    if item_id is None:  # this feed already gave us this entry
        return None
    return NewItem(item_id, item, keys.content_hash, duplicate_of)


async def _add_fulltext(
    originals: list[NewItem], fetcher: PageFetcher, store: PipelineStore, guard: AddressGuard
) -> list[NewItem]:
    async def one(new: NewItem) -> NewItem:
        if not new.item.url:
            return new
        try:  # the publisher names these URLs: guarded like a feed added from outside
            page = await fetcher.fetch(new.item.url, guard=guard)
        except FeedFetchError as exc:
            log.debug("%s: article not fetched: %s", new.item.url, exc)
            return new
        # trafilatura holds the CPU for a while on a big page: not on the event loop
        text = await asyncio.to_thread(
            extract_article_text, page.content, url=page.url, headers=page.headers
        )
        if len(text) <= len(new.item.text):
            return new
        await asyncio.to_thread(store.set_fulltext, new.id, text)
        return replace(new, item=replace(new.item, text=text))

    return list(await asyncio.gather(*(one(n) for n in originals)))


async def _classify(
    originals: list[NewItem],
    classifier: Classifier,
    router: Router,
    store: PipelineStore,
    clock: Clock,
) -> list[NewItem]:
    """Label new originals, reusing labels stored for the same text and model."""
    model_id = classifier.model_id
    hashes = [n.content_hash for n in originals]
    cached = await asyncio.to_thread(store.cached_labels, hashes, model_id)
    todo = [n for n in originals if n.content_hash not in cached]
    for start in range(0, len(todo), CLASSIFY_BATCH):
        batch = todo[start : start + CLASSIFY_BATCH]
        docs = [
            Document(
                str(n.id),
                n.item.title,
                n.item.text,
                n.item.language_hint,
                published=n.item.published_at,  # what "on Tuesday" in the item counts from
            )
            for n in batch
        ]
        # labels and the alerts they cause in one transaction (the outbox); a failure is
        # recorded on the items, and the sweep (`monitor.ingest.labelling`) tries again
        labels = await label_and_route(
            [ToLabel(n.id, n.content_hash, doc) for n, doc in zip(batch, docs, strict=True)],
            classifier=classifier,
            router=router,
            store=store,
            clock=clock,
        )
        for new, label in zip(batch, labels or (), strict=False):
            cached[new.content_hash] = label
    return [replace(n, labels=cached.get(n.content_hash)) for n in originals]


def _since(clock: Clock, started: datetime) -> float:
    return (clock.now() - started).total_seconds()
