"""The deliverer: drains the outbox into a sink (Telegram, or the console without a token).

Each pass claims due rows with a lease, sends them within the rate limits and
settles every row in its own short transaction right after the sink answered
(Telegram's message id is stored, so a later "also reported" can reply to it).

Several processes. A chat is served by one process at a time (`claim_deliveries`
skips chats another process holds leases in), so the per-chat and per-group limits
hold across processes; the overall limit is divided among the processes sending at
the start of each pass.

Exactly once. A row is sent only while its lease is held; a deliverer that dies
mid-pass leaves its leases to expire (`DeliveryLimits.lease`), and the next
pass of any process sends those rows. The one window for a duplicate is between
sending and the commit of ``mark_sent``: a crash there, or a timeout after Telegram
had accepted the message, sends it again. One send is in that window at a time
(`DeliveryLimits.in_flight`: chats take turns for the slot, which is held until the
send is recorded), so a crash repeats at most one message. Nothing is lost in any
case: a row only leaves ``pending`` once the sink has answered.

Errors (the sink raises them, translated from its library):
- `RetryLater` (HTTP 429): the row waits ``retry_after``; the deliverer sends
  nothing more until then.
- `TransientError` (5xx, network, timeout): a few quick retries with
  exponential backoff (tenacity), then the row is retried on later passes with
  a growing delay, and given up after `DeliveryLimits.max_attempts`.
- `ChatGone` (403: bot blocked, kicked, chat deleted): the chat's subscription is
  deactivated and its unsent alerts dropped.
- `ChatMoved` (a group became a supergroup, with a new id): the subscription and the
  unsent alerts move to the new id and are sent there on the next pass.
- `Rejected` (other 4xx): the row failed; the others go on.

Quiet hours and mutes (`monitor.alerts.quiet`). An alert in the chat's quiet window
is sent silently (``silent``: Telegram's ``disable_notification``) unless it is
urgent; a muted chat's alert, or one in a holding quiet window, is settled as
``held``. At the start of each pass, every chat that has held rows and no longer
holds gets one summary (`monitor.alerts.summary`), queued in the transaction that
settles the held rows (`Store.summarise_held`): exactly one summary per hold.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from classifiers.base import Labels
from monitor.alerts import quiet
from monitor.alerts.held import HeldStore, queue_held_summaries
from monitor.alerts.message import feedback_buttons, format_alert, format_also_reported
from monitor.alerts.router import Router, RoutingStore
from monitor.alerts.sinks import (
    AlertSink,
    ChatGone,
    ChatMoved,
    Rejected,
    RetryLater,
    TransientError,
)
from monitor.clock import Clock
from monitor.errors import StoreError
from monitor.models import ALERT, ALSO, NOTICE, Delivery, StoredItem, Subscription

log = logging.getLogger(__name__)

MAX_RETRY_DELAY: Final = timedelta(hours=1)
FIRST_RETRY_DELAY: Final = timedelta(seconds=30)
RECORD_SENT_TRIES: Final = 8  # 0.5 s, 1, 2, 4, 8, 16, 16: about a minute, half a lease


class OutboxStore(RoutingStore, HeldStore, Protocol):
    """The part of `monitor.store.Store` the deliverer uses."""

    def claim_deliveries(
        self, worker: str, now: datetime, lease: timedelta, *, limit: int = 100
    ) -> list[Delivery]: ...

    def renew_leases(
        self, delivery_ids: Sequence[int], token: str, now: datetime, lease: timedelta
    ) -> set[int]: ...

    def mark_sent(
        self, delivery_id: int, message_id: int | None, now: datetime, *, token: str
    ) -> bool: ...

    def mark_retry(
        self, delivery_id: int, *, token: str, error: str, not_before: datetime
    ) -> bool: ...

    def mark_failed(self, delivery_id: int, error: str, *, token: str) -> bool: ...

    def mark_skipped(self, delivery_id: int, reason: str, *, token: str) -> bool: ...

    def release_deliveries(self, delivery_ids: Sequence[int], token: str) -> None: ...

    def release_abandoned(self, worker: str) -> int: ...

    def mark_held(self, delivery_id: int, *, token: str) -> bool: ...

    def next_delivery_at(self) -> datetime | None: ...

    def subscription(self, chat_id: int) -> Subscription | None: ...

    def deactivate_subscription(self, chat_id: int, reason: str, now: datetime) -> None: ...

    def move_chat(self, old_id: int, new_id: int, now: datetime) -> bool: ...

    def delivery_senders(self, now: datetime) -> set[str]: ...

    def items_by_id(
        self, item_ids: Sequence[int], model_id: str | None
    ) -> dict[int, tuple[StoredItem, Labels | None]]: ...

    def feed_names(self) -> dict[str, str]: ...

    def feed_sources(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class DeliveryLimits:
    """Telegram's limits and our patience; the defaults are Telegram's published limits."""

    overall_per_s: float = 30.0
    per_chat_per_s: float = 1.0
    group_per_min: float = 20.0
    lease: timedelta = timedelta(minutes=2)  # a dead deliverer's rows are free after this
    batch: int = 50  # rows claimed at once
    quick_tries: int = 3  # tries of one row within a pass on network/5xx errors
    quick_wait_s: float = 0.5  # first wait between them (then doubled)
    max_attempts: int = 12  # passes with errors before a row is given up (about 6 h)
    # sends awaiting Telegram's answer at once: a crash repeats each of them (their answers
    # are not recorded), so one keeps the promise of at most one duplicate per crash
    in_flight: int = 1


@dataclass
class DrainReport:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0  # kept for the summary after a mute or a holding quiet window
    summaries: int = 0  # "while muted" summaries queued
    chats_gone: list[int] = field(default_factory=list)

    def add(self, other: DrainReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.held += other.held
        self.summaries += other.summaries
        self.chats_gone.extend(other.chats_gone)


class Deliverer:
    """Drains the outbox into one sink for one process (`worker` names it in leases)."""

    def __init__(
        self,
        *,
        store: OutboxStore,
        sink: AlertSink,
        clock: Clock,
        worker: str,
        topic_names: Mapping[str, Mapping[str, str]] | None = None,
        limits: DeliveryLimits | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        urgent_through_quiet: bool = True,
    ) -> None:
        """Args:
        store: the outbox.
        sink: where messages go.
        clock: the time for leases, retries and records.
        worker: this process's name in lease columns.
        topic_names: UI language -> topic slug -> name (slugs shown when missing).
        limits: rates and retries.
        sleep: waits between quick retries and for `drain_until_idle` (tests inject one).
        urgent_through_quiet: urgent items sound in quiet hours (`monitor.alerts.quiet`).
        """
        self._store = store
        self._router = Router(store)
        self._sink = sink
        self._clock = clock
        self.worker = worker
        self._topic_names = topic_names or {}
        self._sources: Mapping[str, str] = {}  # feed URL -> source type, read once per pass
        self.limits = limits or DeliveryLimits()
        self._sleep = sleep
        self._urgent_through_quiet = urgent_through_quiet
        self._overall = AsyncLimiter(self.limits.overall_per_s, 1)
        self._in_flight = asyncio.Semaphore(self.limits.in_flight)
        self._chats: dict[int, AsyncLimiter] = {}
        self._groups: dict[int, AsyncLimiter] = {}
        self._paused_until: datetime | None = None
        self._gone: set[int] = set()  # chats that answered 403 during this process's life
        self._moved: set[int] = set()  # old ids of groups that became supergroups
        self._lock = asyncio.Lock()
        self._abandoned = False  # a pass broke off with rows still leased to this worker

    @property
    def paused_until(self) -> datetime | None:
        """After a 429: nothing is sent before this time."""
        return self._paused_until

    async def drain(self) -> DrainReport:
        """Send every row that is due now; return when none is left (or after a 429)."""
        report = DrainReport()
        async with self._lock:  # one pass at a time per process (the scheduler may overlap)
            # copies dedup linked to alerted items since the last pass: "also reported" rows
            await asyncio.to_thread(self._router.route_duplicates, self._clock.now())
            if self._abandoned:  # the last pass broke off: its rows are this pass's at once
                await asyncio.to_thread(self._store.release_abandoned, self.worker)
                self._abandoned = False
            try:
                await self._pass(report)
            except BaseException:  # a database error (or a cancel) left rows leased
                self._abandoned = True
                raise
        return report

    async def _pass(self, report: DrainReport) -> None:
        # chats whose mute or holding window ended: their one summary, sent in this pass
        report.summaries += await asyncio.to_thread(
            queue_held_summaries, self._store, self._clock.now()
        )
        await self._share_overall_limit()
        while not self._paused():
            now = self._clock.now()
            batch = await asyncio.to_thread(
                self._store.claim_deliveries,
                self.worker,
                now,
                self.limits.lease,
                limit=self.limits.batch,
            )
            if not batch:
                break
            report.add(await self._send_batch(batch))

    async def drain_until_idle(self, max_wait: timedelta) -> DrainReport:
        """Drain, then wait for rows due within `max_wait` (429 waits, retries), and drain again.

        For `monitor poll --once`: it exits with nothing left that is due soon.
        """
        report = DrainReport()
        deadline = self._clock.now() + max_wait
        while True:
            report.add(await self.drain())
            due = await asyncio.to_thread(self._store.next_delivery_at)
            if self._paused_until is not None and (due is None or due < self._paused_until):
                due = self._paused_until
            if due is None or due > deadline:
                return report
            wait = (due - self._clock.now()).total_seconds()
            if wait > 0:
                await self._sleep(wait)

    async def _share_overall_limit(self) -> None:
        """Split the overall rate with the other processes sending right now.

        Per-chat limits hold across processes because a chat is served by one process
        at a time (`claim_deliveries`); the overall one is divided by the number of
        processes holding delivery leases, counted at the start of each pass.
        """
        senders = await asyncio.to_thread(self._store.delivery_senders, self._clock.now())
        share = len(senders - {self.worker}) + 1
        rate = max(1.0, self.limits.overall_per_s / share)
        if rate != self._overall.max_rate:
            self._overall = AsyncLimiter(rate, 1)
            log.info("%d processes sending: %.0f messages/s for this one", share, rate)

    def _paused(self) -> bool:
        if self._paused_until is None:
            return False
        if self._clock.now() >= self._paused_until:
            self._paused_until = None
            return False
        return True

    async def _send_batch(self, batch: Sequence[Delivery]) -> DrainReport:
        """Each chat's rows in order, chats side by side; the limiters set the pace."""
        by_chat: defaultdict[int, list[Delivery]] = defaultdict(list)
        for delivery in batch:
            by_chat[delivery.chat_id].append(delivery)
        names = await asyncio.to_thread(self._store.feed_names)
        self._sources = await asyncio.to_thread(self._store.feed_sources)
        # every chat's task ends before the pass does, even when one raises (a database
        # error): a task left running would send rows the next pass claims again
        reports = await asyncio.gather(
            *(self._send_chat(rows, names) for rows in by_chat.values()), return_exceptions=True
        )
        total = DrainReport()
        for r in reports:
            if isinstance(r, BaseException):
                raise r
            total.add(r)
        return total

    async def _send_chat(self, rows: Sequence[Delivery], names: Mapping[str, str]) -> DrainReport:
        report = DrainReport()
        chat_id = rows[0].chat_id
        sub = await asyncio.to_thread(self._store.subscription, chat_id)
        for index, delivery in enumerate(rows):
            rest = [d.id for d in rows[index:]]
            if self._paused():  # a 429 elsewhere: leave the rest for after the wait
                await asyncio.to_thread(self._store.release_deliveries, rest, delivery.lease_token)
                break
            # the fence: renewed right before each send, so a long batch keeps its rows,
            # and a worker that stalled past its lease learns here that another took them
            held = await asyncio.to_thread(
                self._store.renew_leases,
                rest,
                delivery.lease_token,
                self._clock.now(),
                self.limits.lease,
            )
            if delivery.id not in held:
                log.warning(
                    "deliveries to chat %s: lease lost to another worker; %d left to it",
                    chat_id,
                    len(rest),
                )
                break
            outcome = await self._deliver_through_a_stop(delivery, sub, names)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "failed" and chat_id in self._gone:
                report.chats_gone.append(chat_id)
                report.skipped += len(rows) - index - 1  # deactivation skipped them already
                break
            if chat_id in self._moved:  # the rest moved to the new id, for the next pass
                break
        return report

    async def _deliver_through_a_stop(
        self, delivery: Delivery, sub: Subscription | None, names: Mapping[str, str]
    ) -> str:
        """`_deliver`, which a stop lets finish: cancelled between the send and its record, the
        row was sent again by the next pass (one alert in six on the way out)."""
        task = asyncio.ensure_future(self._deliver(delivery, sub, names))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await task
            raise

    async def _deliver(
        self, delivery: Delivery, sub: Subscription | None, names: Mapping[str, str]
    ) -> str:
        """Send one row and record the outcome: "sent", "retried", "failed" or "skipped"."""
        now = self._clock.now()
        skip = _skip_reason(delivery, sub, now)
        if skip is not None:
            await asyncio.to_thread(
                self._store.mark_skipped, delivery.id, skip, token=delivery.lease_token
            )
            return "skipped"
        message = await self._message(delivery, sub, names)
        if message is None:
            await asyncio.to_thread(
                self._store.mark_skipped, delivery.id, "item gone", token=delivery.lease_token
            )
            return "skipped"
        text, reply_to, buttons, urgent = message
        how = quiet.Mode.SOUND
        if sub is not None and delivery.kind != NOTICE:
            how = quiet.mode(sub, now, urgent=urgent and self._urgent_through_quiet)
        if how is quiet.Mode.HOLD:
            await asyncio.to_thread(self._store.mark_held, delivery.id, token=delivery.lease_token)
            return "held"
        thread_id = sub.thread_id if sub is not None and delivery.kind != NOTICE else None
        try:
            await self._send_quickly_retried(
                delivery.chat_id,
                text,
                thread_id=thread_id,
                reply_to=reply_to,
                buttons=buttons,
                silent=how is quiet.Mode.SILENT,
                group=sub is not None and sub.is_group,
                record=functools.partial(self._record_sent, delivery),
            )
        except RetryLater as exc:
            wait = timedelta(seconds=max(exc.retry_after_s, 1.0))
            self._paused_until = self._clock.now() + wait
            log.warning("Telegram asked to wait %s (chat %s)", wait, delivery.chat_id)
            await asyncio.to_thread(
                self._store.mark_retry,
                delivery.id,
                token=delivery.lease_token,
                error=str(exc),
                not_before=self._paused_until,
            )
            return "retried"
        except ChatGone as exc:
            log.warning("chat %s is gone (%s): subscription deactivated", delivery.chat_id, exc)
            await asyncio.to_thread(
                self._store.mark_failed, delivery.id, str(exc), token=delivery.lease_token
            )
            await asyncio.to_thread(
                self._store.deactivate_subscription, delivery.chat_id, str(exc), self._clock.now()
            )
            self._gone.add(delivery.chat_id)
            return "failed"
        except ChatMoved as exc:
            new_id = exc.new_chat_id
            log.info("chat %s is now %s: its subscription follows", delivery.chat_id, new_id)
            await asyncio.to_thread(
                self._store.move_chat, delivery.chat_id, new_id, self._clock.now()
            )
            self._moved.add(delivery.chat_id)
            return "retried"
        except Rejected as exc:
            log.warning("delivery %s to chat %s refused: %s", delivery.id, delivery.chat_id, exc)
            await asyncio.to_thread(
                self._store.mark_failed, delivery.id, str(exc), token=delivery.lease_token
            )
            return "failed"
        except TransientError as exc:
            attempts = delivery.attempts + 1
            if attempts >= self.limits.max_attempts:
                log.error("delivery %s given up after %d attempts: %s", delivery.id, attempts, exc)
                await asyncio.to_thread(
                    self._store.mark_failed, delivery.id, str(exc), token=delivery.lease_token
                )
                return "failed"
            delay = min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
            log.info("delivery %s: %s; retrying in %s", delivery.id, exc, delay)
            await asyncio.to_thread(
                self._store.mark_retry,
                delivery.id,
                token=delivery.lease_token,
                error=str(exc),
                not_before=self._clock.now() + delay,
            )
            return "retried"
        return "sent"

    async def _record_sent(self, delivery: Delivery, message_id: int | None) -> None:
        """`mark_sent` in its own short transaction, right away: the duplicate window ends here.

        A database that is locked or restarting is waited for (about a minute, within the
        lease): giving up would leave the row pending, to be sent a second time.
        """
        recording = AsyncRetrying(
            stop=stop_after_attempt(RECORD_SENT_TRIES),
            wait=wait_exponential(multiplier=0.5, max=16),
            retry=retry_if_exception_type(StoreError),
            sleep=self._sleep,
            before_sleep=lambda state: log.warning(
                "delivery %s sent; recording it failed, trying again: %s",
                delivery.id,
                state.outcome.exception() if state.outcome else "?",
            ),
            reraise=True,
        )
        recorded = False
        async for attempt in recording:
            with attempt:
                recorded = await asyncio.to_thread(
                    self._store.mark_sent,
                    delivery.id,
                    message_id,
                    self._clock.now(),
                    token=delivery.lease_token,
                )
        if not recorded:  # stalled past the lease between the renewal and the answer
            log.warning("delivery %s sent after its lease was taken over", delivery.id)

    async def _send_quickly_retried(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None,
        reply_to: int | None,
        buttons: Sequence[tuple[str, str]],
        group: bool,
        record: Callable[[int | None], Awaitable[None]],
        silent: bool = False,
    ) -> None:
        """Send within the limits and `record` the message id while still in flight.

        The in-flight slot is held until the record is committed: a crash repeats only
        the sends whose answer is not yet recorded, so at most `DeliveryLimits.in_flight`.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.limits.quick_tries),
            wait=wait_exponential(multiplier=self.limits.quick_wait_s, max=10),
            retry=retry_if_exception_type(TransientError),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self._limit(chat_id, group), self._in_flight:
                    message_id = await self._sink.send(
                        chat_id,
                        text,
                        thread_id=thread_id,
                        reply_to=reply_to,
                        buttons=buttons,
                        silent=silent,
                    )
                    await record(message_id)
                    return
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _limit(self, chat_id: int, group: bool) -> _Limits:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = AsyncLimiter(1, 1 / self.limits.per_chat_per_s)
        limiters = [self._overall, chat]
        if group:
            if chat_id not in self._groups:
                self._groups[chat_id] = AsyncLimiter(self.limits.group_per_min, 60)
            limiters.append(self._groups[chat_id])
        return _Limits(limiters)

    async def _message(
        self, delivery: Delivery, sub: Subscription | None, names: Mapping[str, str]
    ) -> tuple[str, int | None, Sequence[tuple[str, str]], bool] | None:
        """(HTML, message to reply to, buttons, urgent), or None when the item is gone."""
        if delivery.kind == NOTICE:
            return delivery.text or "", None, (), False
        if delivery.item_id is None:
            return None
        found = await asyncio.to_thread(
            self._store.items_by_id, [delivery.item_id], delivery.model_id
        )
        if delivery.item_id not in found:
            return None
        item, labels = found[delivery.item_id]
        labels = labels or Labels(
            language=item.language_hint or "und",
            relevant=True,
            cooperation=False,
            topics=(),
            countries=(),
            summary="",
        )
        lang = sub.ui_language if sub is not None else "en"
        feed = names.get(item.feed_url, item.feed_url)
        urgent = quiet.is_urgent(labels, (item.title, item.text))
        if delivery.kind == ALSO and delivery.reply_to_message_id is not None:
            text = format_also_reported(feed, labels.language, ui_language=lang)
            return text, delivery.reply_to_message_id, (), urgent
        # an alert, or a reply whose first alert never reached the chat: the full alert
        text = format_alert(
            item,
            labels,
            feed_name=feed,
            topic_names=self._topic_names.get(lang, self._topic_names.get("en", {})),
            tz=sub.zone if sub is not None else "UTC",
            ui_language=lang,
            source=self._sources.get(item.feed_url),
        )
        return text, None, feedback_buttons(item.id), urgent


class _Limits:
    """Enter several limiters in order (overall, chat, group)."""

    def __init__(self, limiters: Sequence[AsyncLimiter]) -> None:
        self._limiters = limiters

    async def __aenter__(self) -> None:
        for limiter in self._limiters:
            await limiter.acquire()

    async def __aexit__(self, *exc: object) -> None:
        return None


def _skip_reason(delivery: Delivery, sub: Subscription | None, now: datetime) -> str | None:
    if delivery.kind == NOTICE:
        return None
    if sub is None or not sub.active:
        return "not subscribed"
    if not sub.instant:
        return "instant alerts off"
    return None  # a muted chat's alerts are held (`quiet.mode`), not dropped


__all__ = ["ALERT", "ALSO", "NOTICE", "Deliverer", "DeliveryLimits", "DrainReport"]
