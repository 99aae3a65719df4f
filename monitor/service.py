"""Assembles the running service from Settings: store, fetcher, classifier, poller, scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from classifiers.base import Classifier
from classifiers.taxonomy import load_taxonomy
from monitor.alerts.deliver import Deliverer
from monitor.alerts.operators import feed_notices
from monitor.alerts.sinks import CONSOLE_CHAT, ConsoleSink
from monitor.alerts.telegram_sink import TelegramSink
from monitor.clock import Clock, SystemClock
from monitor.cpu_pool import open_cpu_pool
from monitor.digest.chats import ChatDigests, install_chat_digests
from monitor.digest.jobs import DigestBuilder, digest_sender, install_digest_jobs
from monitor.digest.unsubscribe import start_unsubscribe_server
from monitor.errors import DeliveryError, MonitorError
from monitor.feeds import FeedsFile
from monitor.filters import Filter
from monitor.ingest.address_guard import FetchGuards
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.pipeline import PollOutcome
from monitor.ingest.poller import Poller
from monitor.ingest.silence import HISTORY, silent_feeds
from monitor.models import Subscription
from monitor.scheduler import (
    add_chat_answering,
    add_feed_notices,
    add_outbox_drain,
    build_scheduler,
)
from monitor.settings import Settings
from monitor.store import Store
from monitor.workers import dead_workers

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from telegram import Bot

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
    await asyncio.to_thread(free_leases_of_dead_workers, store, clock.now())
    pool = open_cpu_pool(CPU_WORKERS)  # its workers end with this process, even on kill -9
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
                guards=FetchGuards(allow_private_feeds=settings.allow_private_feeds),
                max_entries=settings.poll.max_entries,
            )
            yield Components(store, fetcher, poller, feeds)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        store.close()


def free_leases_of_dead_workers(store: Store, now: datetime) -> None:
    """Free the feeds, alerts and roles that killed processes of this machine still hold.

    Without this a restart after `kill -9` would wait out their leases (alerts: 2 min).
    """
    dead = dead_workers(store.lease_holders(now))
    if dead:
        feeds, alerts, roles = store.release_leases_of(dead)
        log.info(
            "freed what %d stopped process(es) held: %d feed(s), %d alert(s), %d role(s)",
            len(dead),
            feeds,
            alerts,
            roles,
        )


async def run_service(
    settings: Settings,
    *,
    classifier: Classifier | None,
    stop: asyncio.Event | None = None,
    on_outcomes: Callable[[list[PollOutcome]], None] | None = None,
    console: Callable[[str], None] | None = None,
    clock: Clock | None = None,
) -> None:
    """Poll due feeds until SIGINT/SIGTERM (or `stop`), then finish in-flight work and exit.

    The Telegram bot runs in the same event loop and the outbox is drained every
    `DRAIN_EVERY`; without a token alerts are printed through `console`.

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
            settings,
            classifier=classifier,
            stop=stop,
            hurry=hurry,
            on_outcomes=on_outcomes,
            console=console,
            clock=clock or SystemClock(),
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
    console: Callable[[str], None] | None,
    clock: Clock,
) -> None:
    async with open_components(
        settings, classifier=classifier, on_outcomes=on_outcomes, clock=clock
    ) as parts:
        scheduler = build_scheduler(
            poll=functools.partial(_scheduled_round, parts.poller), tick=settings.poll.tick
        )
        model_id = classifier.model_id if classifier is not None else None
        alerts = contextlib.AsyncExitStack()  # the bot starts first and stops last
        deliverer = await alerts.enter_async_context(
            open_alerts(
                settings,
                parts.store,
                clock=clock,
                worker=parts.poller.worker,
                model_id=model_id,
                serve_bot=True,
                console=console,
                scheduler=scheduler,
            )
        )
        add_outbox_drain(scheduler, functools.partial(drain_outbox, deliverer), every=DRAIN_EVERY)
        add_feed_notices(
            scheduler,
            functools.partial(tell_operators, parts.store, settings, clock),
            every=FEED_CHECK_EVERY,
        )
        install_digest_jobs(scheduler, digest_sender(settings, parts.store, model_id=model_id))
        install_chat_digests(
            scheduler,
            ChatDigests(
                DigestBuilder(settings, parts.store, load_taxonomy(), model_id=model_id),
                parts.store,
                clock,
            ),
        )
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
            with contextlib.suppress(TimeoutError, MonitorError):  # what is due still goes out
                await asyncio.wait_for(deliverer.drain(), FINAL_DRAIN.total_seconds())
            await alerts.aclose()


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
    console: Callable[[str], None] | None = None,
    clock: Clock | None = None,
) -> list[PollOutcome]:
    """One round over due (or all) feeds, deliver the pending alerts, then exit.

    Raises:
        DeliveryError: a token is set and Telegram refuses it or cannot be reached
            (checked before polling: the round's alerts stay queued either way).
    """
    clock = clock or SystemClock()
    async with (
        open_components(
            settings, classifier=classifier, on_outcomes=on_outcomes, clock=clock
        ) as parts,
        open_alerts(
            settings,
            parts.store,
            clock=clock,
            worker=parts.poller.worker,
            model_id=classifier.model_id if classifier is not None else None,
            serve_bot=False,
            console=console,
        ) as deliverer,
    ):
        outcomes = await parts.poller.poll_round(include_not_due=include_not_due)
        await deliverer.drain_until_idle(POLL_ONCE_DELIVERY_WAIT)
        return outcomes


# -- alerts: the Telegram bot, the deliverer, operators' notices ----------------

DRAIN_EVERY = timedelta(seconds=2)  # routing happens in poll rounds; this bounds the wait after
FEED_CHECK_EVERY = timedelta(minutes=1)
POLL_ONCE_DELIVERY_WAIT = timedelta(seconds=60)  # `poll --once` waits out 429s up to this long
FINAL_DRAIN = timedelta(seconds=10)  # on the way out: what is due is still sent


@contextlib.asynccontextmanager
async def open_alerts(
    settings: Settings,
    store: Store,
    *,
    clock: Clock,
    worker: str,
    model_id: str | None,
    serve_bot: bool,
    console: Callable[[str], None] | None = None,
    scheduler: AsyncIOScheduler | None = None,
) -> AsyncIterator[Deliverer]:
    """A deliverer into Telegram (with the bot answering chats if `serve_bot`) or the console.

    With ``MONITOR_TELEGRAM_TOKEN`` the bot is started in this event loop
    (``async with application`` semantics: initialize, start, long polling) and
    stopped in reverse on the way out. Of several processes on one database, only
    the one holding the ``telegram-updates`` role polls for updates
    (`monitor.telegram.answering`); `scheduler` renews the role. Without a token,
    alerts are printed through `console` and, while nobody subscribed, the console
    itself is a subscriber of all relevant news (chat 0).

    Raises:
        DeliveryError: the token is refused or the Bot API cannot be reached at start.
    """
    taxonomy = load_taxonomy()
    topic_names = {
        "en": {t.slug: t.name for t in taxonomy},
        "ko": {t.slug: t.name_ko for t in taxonomy},
    }
    if not settings.telegram_token:
        await asyncio.to_thread(_console_subscriber, store, clock.now(), True)
        write = console or (lambda line: print(line, flush=True))
        yield Deliverer(
            store=store,
            sink=ConsoleSink(write),
            clock=clock,
            worker=worker,
            topic_names=topic_names,
            urgent_through_quiet=settings.urgent_through_quiet,
        )
        return
    await asyncio.to_thread(_console_subscriber, store, clock.now(), False)
    async with contextlib.AsyncExitStack() as stack:
        bot = await _start_telegram(
            stack,
            settings,
            store,
            clock=clock,
            model_id=model_id,
            serve_bot=serve_bot,
            worker=worker,
            scheduler=scheduler,
        )
        yield Deliverer(
            store=store,
            sink=TelegramSink(bot),
            clock=clock,
            worker=worker,
            topic_names=topic_names,
            urgent_through_quiet=settings.urgent_through_quiet,
        )


async def _start_telegram(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    store: Store,
    *,
    clock: Clock,
    model_id: str | None,
    serve_bot: bool,
    worker: str,
    scheduler: AsyncIOScheduler | None,
) -> Bot:
    """Initialize (getMe checks token and reachability), start and long-poll; stops on exit."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from monitor.telegram import build_application
    from monitor.telegram.answering import RENEW_EVERY, ChatAnswering

    api = settings.telegram_api_url.rstrip("/")
    try:
        if not serve_bot:  # `poll --once`: send only; leave the chats' updates to the service
            bot = Bot(settings.telegram_token or "", base_url=f"{api}/bot")
            await bot.initialize()
            stack.push_async_callback(bot.shutdown)
            return bot
        application = build_application(settings, store, model_id=model_id, clock=clock)
        sender: Bot = application.bot
        await application.initialize()
        stack.push_async_callback(application.shutdown)
        await application.start()
        stack.push_async_callback(application.stop)
        if application.updater is not None:
            answering = ChatAnswering(application.updater, store, worker=worker, clock=clock)
            await answering.keep()  # alone on the database: polls at once
            stack.push_async_callback(answering.stop)
            if scheduler is not None:
                add_chat_answering(scheduler, answering.keep, every=RENEW_EVERY)
        log.info("Telegram bot @%s started (%s)", sender.username, api)
        return sender
    except InvalidToken as exc:
        raise DeliveryError(
            f"the Telegram Bot API at {api} refused MONITOR_TELEGRAM_TOKEN ({exc.message}): "
            "check the token (from @BotFather)"
        ) from exc
    except TelegramError as exc:
        raise DeliveryError(f"cannot reach the Telegram Bot API at {api}: {exc.message}") from exc


def _console_subscriber(store: Store, now: datetime, console: bool) -> None:
    """Console mode with nobody subscribed: the console gets all relevant news (chat 0).

    With a token the console subscription is switched off, so Telegram never sees chat 0.
    """
    existing = store.subscription(CONSOLE_CHAT)
    if console:
        if existing is None and not store.subscriptions():
            store.save_subscription(
                Subscription(
                    chat_id=CONSOLE_CHAT,
                    filter=Filter(cooperation_only=False),
                    title="console (MONITOR_TELEGRAM_TOKEN unset)",
                ),
                now,
            )
    elif existing is not None and existing.active:
        store.deactivate_subscription(CONSOLE_CHAT, "Telegram token set: console alerts off", now)


async def drain_outbox(deliverer: Deliverer) -> None:
    """One scheduled drain; a database or Bot API outage is logged and tried again next time."""
    try:
        report = await deliverer.drain()
    except asyncio.CancelledError:
        log.info("outbox drain abandoned on the way out")
        return
    except MonitorError as exc:
        log.warning("alerts not delivered now, retrying: %s", exc)
        return
    if report.sent or report.failed:
        log.info(
            "alerts: %d sent, %d retried, %d failed, %d skipped",
            report.sent,
            report.retried,
            report.failed,
            report.skipped,
        )


async def tell_operators(store: Store, settings: Settings, clock: Clock) -> int:
    """Queue one message to the operators per feed that started failing, fell silent, or came
    back."""
    if not settings.telegram_admins:
        return 0

    def check() -> int:
        now = clock.now()
        health = store.feed_health(now)
        arrivals = store.feed_arrivals(HISTORY)
        quiet = {
            url: found.describe() for url, found in silent_feeds(health, arrivals, now).items()
        }
        notices = feed_notices(health, store.feed_notices(), silent=quiet)
        return sum(
            store.tell_operators(n.feed_url, n.state, n.text, settings.telegram_admins, now)
            for n in notices
        )

    try:
        return await asyncio.to_thread(check)
    except MonitorError as exc:
        log.warning("feed notices not checked: %s", exc)
        return 0
