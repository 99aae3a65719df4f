"""Label stored originals and route them, and lose none when that fails.

Items are stored first; their labels and the alerts those cause are written later,
in one transaction (the outbox). If the classifier raises, or that write fails (a
SQLite lock held past the busy timeout, a full disk, PostgreSQL restarting), the
items stay stored without labels and the next poll already knows their entries.
So every failure is recorded on the items with the time of their next try
(exponential backoff), and `sweep_unlabelled` — run by `monitor run` every minute
and by `monitor poll --once` — labels and routes whatever is due. When even the
record cannot be written, the sweep still finds the items after `LABEL_GRACE`.
An item given up after `MAX_LABEL_ATTEMPTS` tries is counted by `monitor stats`
with the last reason. The router's age cut keeps a late item out of alerts; it
still reaches the digests, which read labels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from classifiers.base import CLASSIFY_BATCH, Classifier, Document, Labels
from monitor.alerts.router import Router
from monitor.clock import Clock
from monitor.errors import StoreError
from monitor.models import StoredItem

log = logging.getLogger(__name__)

MAX_LABEL_ATTEMPTS: Final = 8  # 1 min, 2, 4 ... 64 min, 2 h: given up after about 4 h
FIRST_RETRY: Final = timedelta(minutes=1)
MAX_RETRY: Final = timedelta(hours=2)
LABEL_GRACE: Final = timedelta(minutes=5)  # a poll in progress labels its own items
SWEEP_HORIZON: Final = timedelta(days=7)  # older unlabelled items are left alone


@dataclass(frozen=True)
class ToLabel:
    """A stored original to label: its id, content hash, text, and failed tries so far."""

    item_id: int
    content_hash: str
    document: Document
    attempts: int = 0


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    labelled: int = 0
    failed: int = 0


class LabellingStore(Protocol):
    """The part of `monitor.store.Store` the sweep uses."""

    def unlabelled_items(
        self,
        model_id: str,
        now: datetime,
        *,
        grace: timedelta,
        since: datetime,
        max_attempts: int,
        limit: int = 64,
    ) -> list[tuple[StoredItem, int]]: ...

    def record_label_failures(
        self, item_ids: Sequence[int], error: str, retry_at: datetime
    ) -> None: ...


def next_try(now: datetime, attempts: int) -> datetime:
    """When to try again after the `attempts`-th failed try (1, 2, ...)."""
    delay: timedelta = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    return now + delay


def stored_document(item: StoredItem) -> Document:
    """What the classifier reads of a stored item: the article's text when it is longer."""
    text = item.fulltext if item.fulltext and len(item.fulltext) > len(item.text) else item.text
    return Document(str(item.id), item.title, text, item.language_hint, published=item.published_at)


async def label_and_route(
    batch: Sequence[ToLabel],
    *,
    classifier: Classifier,
    router: Router,
    store: LabellingStore,
    clock: Clock,
) -> list[Labels] | None:
    """Classify `batch`, then save its labels and alerts in one transaction.

    None when either step failed: the failure is recorded on the items for the sweep.
    """
    model_id = classifier.model_id
    try:
        # a thread, not the loop: the model holds the CPU for a while
        labels = await asyncio.to_thread(classifier.classify, [t.document for t in batch])
    except Exception as exc:  # a model failure must not lose the stored items
        log.exception("classifier %s failed on %d items; retried later", model_id, len(batch))
        await _record_failure(batch, f"classifier: {type(exc).__name__}: {exc}", store, clock)
        return None
    rows = [(t.item_id, t.content_hash, label) for t, label in zip(batch, labels, strict=True)]
    try:
        await asyncio.to_thread(router.save_labels_and_route_many, rows, model_id, clock.now())
    except StoreError as exc:
        log.warning("labels of %d items not saved (%s); retried later", len(batch), exc)
        await _record_failure(batch, f"saving labels: {exc}", store, clock)
        return None
    return labels


async def sweep_unlabelled(
    *,
    classifier: Classifier,
    router: Router,
    store: LabellingStore,
    clock: Clock,
    limit: int = 4 * CLASSIFY_BATCH,
) -> SweepReport:
    """Label and route up to `limit` originals left unlabelled whose next try is due."""
    now = clock.now()
    found = await asyncio.to_thread(
        store.unlabelled_items,
        classifier.model_id,
        now,
        grace=LABEL_GRACE,
        since=now - SWEEP_HORIZON,
        max_attempts=MAX_LABEL_ATTEMPTS,
        limit=limit,
    )
    todo = [
        ToLabel(item.id, item.content_hash, stored_document(item), attempts)
        for item, attempts in found
    ]
    labelled = failed = 0
    for start in range(0, len(todo), CLASSIFY_BATCH):
        batch = todo[start : start + CLASSIFY_BATCH]
        done = await label_and_route(
            batch, classifier=classifier, router=router, store=store, clock=clock
        )
        if done is None:
            failed += len(batch)
        else:
            labelled += len(batch)
    if labelled or failed:
        log.info("labelling retried: %d items labelled, %d failed again", labelled, failed)
    return SweepReport(labelled=labelled, failed=failed)


async def _record_failure(
    batch: Sequence[ToLabel], error: str, store: LabellingStore, clock: Clock
) -> None:
    now = clock.now()
    by_attempts: dict[int, list[int]] = {}
    for t in batch:
        by_attempts.setdefault(t.attempts + 1, []).append(t.item_id)
    try:
        for attempts, ids in by_attempts.items():
            retry_at = next_try(now, attempts)
            await asyncio.to_thread(store.record_label_failures, ids, error, retry_at)
    except StoreError as exc:  # the database is down: the sweep finds them after the grace
        log.warning("could not record the failure of %d items: %s", len(batch), exc)
