"""Digest jobs: build a recipient's digest from the store, mail it once, record the outcome.

`DigestBuilder` reads what a digest needs (items of the chart's 7 days with
their duplicates, feed names, embeddings when the store has them) and
renders it. `DigestSender` is what the scheduler runs: for every recipient
whose digest is due it claims (recipient, period) in the digest log, builds,
mails and records sent / skipped / failed (5xx) / deferred (4xx or network
after retries, tried again at the next sweep). Store calls run in worker
threads, so the event loop never waits on SQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Final

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from classifiers.base import Labels
from classifiers.taxonomy import Taxonomy, load_taxonomy
from monitor.clock import Clock, SystemClock
from monitor.digest.compose import CHART_DAYS, Digest, Period, Source, compose_digest, period_for
from monitor.digest.mail import (
    Mailer,
    MailParts,
    OutboxMailer,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    build_message,
    mailer_for,
    message_id,
    sender_address,
    unsubscribe_links,
)
from monitor.digest.render import RenderedDigest, render_digest
from monitor.digest.schedule import digest_triggers, due_date
from monitor.feeds import load_feeds
from monitor.filters import OFFICIAL_SOURCES
from monitor.models import DEFERRED, FAILED, SENT, SKIPPED, Recipient, StoredItem
from monitor.scheduler import add_digest_sweep, sync_digest_jobs
from monitor.settings import Settings
from monitor.store import Store

log = logging.getLogger(__name__)

OFFICIAL_TAGS: Final = frozenset({"official", "ministry", "government", "who", "un"})
SWEEP_EVERY: Final = timedelta(minutes=5)


@dataclass(frozen=True)
class BuiltDigest:
    """A digest, its rendering and its MIME message."""

    digest: Digest
    rendered: RenderedDigest
    message: EmailMessage


@dataclass(frozen=True)
class DigestOutcome:
    """What happened to one (recipient, period)."""

    email: str
    period_key: str
    status: str  # sent | skipped | failed | deferred | already (someone else's or done)
    items: int = 0
    where: str = ""  # SMTP host or .eml path
    error: str | None = None


def topic_names(taxonomy: Taxonomy, language: str) -> dict[str, str]:
    """Slug -> the topic's name in `language` (Korean or English)."""
    return {t.slug: (t.name_ko if language == "ko" else t.name) for t in taxonomy}


def feed_sources(store: Store, feeds_path: Path | None) -> dict[str, Source]:
    """Feed URL -> name and officialness (feeds.toml tags; the store's names otherwise)."""
    kinds = store.feed_sources()
    sources = {h.url: Source(name=h.name, kind=kinds.get(h.url)) for h in store.feed_health()}
    if feeds_path is not None and feeds_path.exists():
        try:
            specs = load_feeds(feeds_path)
        except Exception:  # a broken feeds.toml must not stop the digests
            log.warning("digest: cannot read %s for source names", feeds_path, exc_info=True)
            specs = []
        for spec in specs:
            official = spec.source in OFFICIAL_SOURCES or bool(
                OFFICIAL_TAGS & {t.lower() for t in spec.tags}
            )
            sources[spec.url] = Source(name=spec.name, official=official, kind=spec.source)
    return sources


class DigestBuilder:
    """Builds digests from the store for one configuration."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        taxonomy: Taxonomy,
        *,
        model_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.taxonomy = taxonomy
        self.model_id = model_id

    def compose(self, recipient: Recipient, period: Period) -> Digest:
        """The digest of `period` for `recipient` (reads the store: call in a thread)."""
        since = min(period.start, period.end - timedelta(days=CHART_DAYS))
        rows, duplicates = self.store.digest_items(since, period.end, model_id=self.model_id)
        return compose_digest(
            recipient,
            period,
            rows,
            duplicates,
            sources=feed_sources(self.store, self.settings.feeds_path),
            vectors=self._vectors(rows),
            topic_order=self.taxonomy.slugs,
        )

    def build(self, recipient: Recipient, period: Period, now: datetime) -> BuiltDigest:
        """Compose, render and wrap as MIME (reads the store: call in a thread)."""
        digest = self.compose(recipient, period)
        return self.wrap(digest, now)

    def wrap(self, digest: Digest, now: datetime) -> BuiltDigest:
        """Render a composed digest and make its message."""
        recipient = digest.recipient
        sender = sender_address(self.settings)
        mailto, one_click = unsubscribe_links(sender, recipient.token, self.settings.public_url)
        rendered = render_digest(
            digest,
            topic_names=topic_names(self.taxonomy, recipient.language),
            topic_order=self.taxonomy.slugs,
            unsubscribe_url=one_click or mailto,
        )
        parts = MailParts(
            to=recipient.email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id(recipient.email, digest.period.key, sender),
            unsubscribe_mailto=mailto,
            unsubscribe_url=one_click,
            date=now,
        )
        return BuiltDigest(digest, rendered, build_message(parts, sender=sender))

    def _vectors(self, rows: Sequence[tuple[StoredItem, Labels]]) -> Mapping[int, Sequence[float]]:
        if not rows:
            return {}
        model_id = self.model_id or self.store.latest_model_id()
        return {} if model_id is None else self.store.embeddings([i.id for i, _ in rows], model_id)


class DigestSender:
    """Sends every due digest once; what the scheduler's digest jobs call."""

    def __init__(
        self, builder: DigestBuilder, mailer: Mailer, clock: Clock, *, store: Store
    ) -> None:
        self.builder = builder
        self.mailer = mailer
        self.clock = clock
        self.store = store
        self._lock = asyncio.Lock()  # a trigger and the sweep firing together send once

    async def run_due(self) -> list[DigestOutcome]:
        """Send the digests due now (catching up on today's missed ones); their outcomes."""
        async with self._lock:
            now = self.clock.now()
            recipients = await asyncio.to_thread(self.store.recipients, active_only=True)
            outcomes = []
            for recipient in recipients:
                try:
                    day = due_date(recipient, now)
                    if day is None:
                        continue
                    outcome = await self.send(recipient, period_for(recipient, day))
                except (ValueError, KeyError) as exc:  # one broken row must not stop the others
                    log.error("digest for %s skipped: %s", recipient.email, exc)
                    continue
                if outcome.status != "already":
                    outcomes.append(outcome)
            return outcomes

    async def send(self, recipient: Recipient, period: Period) -> DigestOutcome:
        """Claim, build, mail and record one digest; never raises for a delivery problem."""
        now = self.clock.now()
        claimed = await asyncio.to_thread(
            self.store.claim_digest,
            recipient.email,
            period.key,
            period_start=period.start,
            period_end=period.end,
            now=now,
        )
        if not claimed:
            return DigestOutcome(recipient.email, period.key, "already")
        try:
            built = await asyncio.to_thread(self.builder.build, recipient, period, now)
        except Exception as exc:  # a bug or the database: the next sweep tries again
            log.exception("digest for %s (%s) could not be built", recipient.email, period.key)
            error = f"build failed: {type(exc).__name__}: {exc}"
            await self._finish(recipient, period, DEFERRED, error=error)
            return DigestOutcome(recipient.email, period.key, DEFERRED, error=error)
        count = built.digest.story_count
        if built.digest.empty and recipient.skip_empty:
            await self._finish(recipient, period, SKIPPED)
            return DigestOutcome(recipient.email, period.key, SKIPPED)
        try:
            where = await self.mailer.send(built.message)
        except PermanentDeliveryError as exc:
            log.warning("digest to %s refused: %s", recipient.email, exc)
            await self._finish(recipient, period, FAILED, items=count, error=str(exc))
            return DigestOutcome(recipient.email, period.key, FAILED, count, error=str(exc))
        except TemporaryDeliveryError as exc:
            log.warning("digest to %s deferred: %s", recipient.email, exc)
            await self._finish(recipient, period, DEFERRED, items=count, error=str(exc))
            return DigestOutcome(recipient.email, period.key, DEFERRED, count, error=str(exc))
        await self._finish(
            recipient, period, SENT, items=count, message_id=str(built.message["Message-ID"])
        )
        log.info("digest %s to %s: %d stories, %s", period.key, recipient.email, count, where)
        return DigestOutcome(recipient.email, period.key, SENT, count, where=where)

    async def _finish(
        self,
        recipient: Recipient,
        period: Period,
        status: str,
        *,
        items: int = 0,
        error: str | None = None,
        message_id: str | None = None,
    ) -> None:
        await asyncio.to_thread(
            self.store.finish_digest,
            recipient.email,
            period.key,
            status,
            self.clock.now(),
            items=items,
            error=error,
            message_id=message_id,
        )


def digest_sender(
    settings: Settings,
    store: Store,
    *,
    model_id: str | None = None,
    clock: Clock | None = None,
    taxonomy: Taxonomy | None = None,
    mailer: Mailer | None = None,
) -> DigestSender:
    """The service's digest sender: SMTP when configured, else ``.eml`` files in the outbox."""
    mailer = mailer or mailer_for(settings)
    if isinstance(mailer, OutboxMailer):
        log.info("SMTP is not configured: digests are written to %s", mailer.directory)
    builder = DigestBuilder(settings, store, taxonomy or load_taxonomy(), model_id=model_id)
    return DigestSender(builder, mailer, clock or SystemClock(), store=store)


def install_digest_jobs(
    scheduler: AsyncIOScheduler,
    sender: DigestSender,
    *,
    every: timedelta = SWEEP_EVERY,
    now: datetime | None = None,
) -> None:
    """Add the digest sweep to the service's scheduler; each sweep syncs the triggers.

    The triggers fire at each recipient's local send time; the sweep (at once, then
    every `every`) catches up after downtime and retries deferred digests.
    """

    async def sweep() -> None:
        recipients = await asyncio.to_thread(sender.store.recipients, active_only=True)
        sync_digest_jobs(scheduler, digest_triggers(recipients), sender.run_due)
        await sender.run_due()

    add_digest_sweep(scheduler, sweep, every=every, now=now)
