"""Benchmark of alerts: routing, delivery rate, end-to-end latency; and the story threshold.

Not a test: run it and read the figures.

    python bench/alerts.py [--subs 10000] [--items 10000] [--store-items 2000]
    python bench/alerts.py --calibrate      # the same-story rule on hand-written stories

Passes:

* routing (pure): `SubscriptionIndex` over N subscriptions with random filters
  (1-3 of the 12 topics, 0-2 of 15 countries, 30 % one language, 10 % a
  keyword, 70 % cooperation only), matched against M items with random labels;
  compared with testing every filter on a sample.
* routing (store): `Router.save_labels_and_route_many` on a SQLite file for
  ``--store-items`` items in the pipeline's batches of 32 (labels, a 384-d
  embedding and the outbox rows, one transaction a batch, story linking included;
  items arrive 86 s apart, so the 48 h story window holds about 2,000 alerted
  items): items/s, outbox rows/s and the time per item.
* delivery: the production `Deliverer` with `TelegramSink` and python-telegram-
  bot's client against the local Bot API stand-in (tests/fakebotapi.py), which
  answers at once: rows/s for many chats (limit 30/s) and for one chat (1/s).
* latency: one feed item through the real pipeline (fetch, parse, dedup, the
  embedded classifier, routing) and the deliverer, timed per stage; the
  end-to-end bound with a 60 s poll interval is computed from the scheduler's
  tick, the drain interval and those stage times rather than waited for.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from classifiers.base import CLASSIFY_BATCH, Labels
from monitor.alerts.deliver import Deliverer, DeliveryLimits
from monitor.alerts.router import Router
from monitor.alerts.routing import SubscriptionIndex
from monitor.alerts.telegram_sink import TelegramSink
from monitor.filters import Filter
from monitor.models import FeedSpec, Item, Subscription
from monitor.service import DRAIN_EVERY
from monitor.settings import PollSettings
from monitor.store import Store

SEED = 20261203
TOPICS = [
    "uhc", "digital_health", "mental_health", "ageing", "health_security", "amr", "ncd",
    "maternal_child", "traditional_medicine", "health_industry", "workforce", "health_systems",
]  # fmt: skip
COUNTRIES = [
    "KR",
    "ID",
    "VN",
    "TH",
    "JP",
    "CN",
    "PH",
    "MY",
    "KH",
    "LA",
    "MM",
    "MN",
    "SG",
    "IN",
    "AU",
]
LANGUAGES = ["en", "ko", "zh", "ja", "id", "vi", "th"]
DIMS = 384
NOW = datetime(2026, 11, 25, tzinfo=UTC)
CLASSIFY_RATE = 38.5  # items/s of the embedded classifier, title + lead (README figures)


def random_filter(rng: random.Random) -> Filter:
    return Filter(
        topics=frozenset(rng.sample(TOPICS, rng.randint(1, 3))),
        countries=frozenset(rng.sample(COUNTRIES, rng.randint(0, 2))),
        languages=frozenset(rng.sample(LANGUAGES, 1)) if rng.random() < 0.3 else frozenset(),
        keywords=(rng.choice(["vaccine", "MOU", "hospital"]),) if rng.random() < 0.1 else (),
        cooperation_only=rng.random() < 0.7,
    )


def random_labels(rng: random.Random, *, vector: bool = False) -> Labels:
    embedding: tuple[float, ...] = ()
    if vector:
        v = np.asarray([rng.gauss(0, 1) for _ in range(DIMS)], dtype=np.float32)
        embedding = tuple(float(x) for x in v / np.linalg.norm(v))
    return Labels(
        language=rng.choice(LANGUAGES),
        relevant=rng.random() < 0.8,
        cooperation=rng.random() < 0.5,
        topics=tuple(rng.sample(TOPICS, rng.randint(1, 3))),
        countries=tuple(rng.sample(COUNTRIES, rng.randint(1, 3))),
        summary="A summary of the item.",
        embedding=embedding,
    )


def bench_routing(subs: int, items: int) -> None:
    rng = random.Random(SEED)
    filters = {chat: random_filter(rng) for chat in range(1, subs + 1)}
    started = time.perf_counter()
    index = SubscriptionIndex.build(filters.items())
    build_s = time.perf_counter() - started
    labelled = [random_labels(rng) for _ in range(items)]
    titles = [
        rng.choice(["Health MOU signed", "New hospital opens", "Vaccine deal"]) for _ in labelled
    ]
    started = time.perf_counter()
    matched = sum(len(index.match(lab, title=t)) for lab, t in zip(labelled, titles, strict=True))
    match_s = time.perf_counter() - started
    sample = min(items, 500)
    started = time.perf_counter()
    for lab, t in zip(labelled[:sample], titles[:sample], strict=True):
        [c for c, f in filters.items() if f.matches(lab, title=t)]
    brute_s = (time.perf_counter() - started) / sample * items
    print(f"routing (pure): {subs:,} subscriptions, {items:,} items")
    print(f"  index build             {build_s * 1000:8.1f} ms")
    print(
        f"  match all items         {match_s:8.2f} s   ({match_s / items * 1e6:.0f} µs/item, "
        f"{matched:,} matches, {matched / items:.0f}/item)"
    )
    print(f"  every filter per item   {brute_s:8.2f} s   (estimated from {sample} items)")
    print(
        f"  classifying them        {items / CLASSIFY_RATE:8.2f} s   "
        f"(at ~{CLASSIFY_RATE:.0f} items/s)"
    )


def bench_store_routing(subs: int, items: int, root: Path, url: str | None = None) -> None:
    rng = random.Random(SEED + 1)
    store = Store.open(url or f"sqlite:///{root / 'route.db'}")
    try:
        for chat in range(1, subs + 1):
            store.save_subscription(Subscription(chat_id=chat, filter=random_filter(rng)), NOW)
        store.sync_feeds([FeedSpec(url="https://f.example/rss", name="F")], NOW)
        prepared = []
        for n in range(items):
            seen = NOW + timedelta(seconds=86 * n)
            item = Item(
                "https://f.example/rss", f"g{n}", f"https://n.example/{n}", "Health MOU", "", seen
            )
            item_id = store.add_item(
                item,
                first_seen_at=seen,
                content_hash=f"h{n}",
                signature=[n],
                bands=[],
                duplicate_of=None,
            )
            assert item_id is not None
            prepared.append((item_id, f"h{n}", seen, random_labels(rng, vector=True)))
        router = Router(store)
        times = []  # per item: its batch's time over the batch's size
        rows = 0
        started = time.perf_counter()
        for start in range(0, len(prepared), CLASSIFY_BATCH):
            batch = prepared[start : start + CLASSIFY_BATCH]
            t = time.perf_counter()
            results = router.save_labels_and_route_many(
                [(item_id, content_hash, labels) for item_id, content_hash, _, labels in batch],
                "bench",
                batch[-1][2],
            )
            times += [(time.perf_counter() - t) / len(batch)] * len(batch)
            rows += sum(len(r.alerts) + len(r.replies) for r in results)
        total = time.perf_counter() - started
    finally:
        store.close()
    times.sort()
    backend = "PostgreSQL" if url and url.startswith("postgres") else "SQLite"
    print(f"routing (store, {backend}): {items:,} items against {subs:,} subscriptions")
    print(
        f"  {items / total:8.0f} items/s   {rows / total:8.0f} outbox rows/s   "
        f"({rows:,} rows, {total:.1f} s)"
    )
    print(
        f"  per item: mean {statistics.mean(times) * 1000:.1f} ms, "
        f"slowest batch {times[-1] * 1000:.1f} ms an item "
        f"(classification: {1000 / CLASSIFY_RATE:.0f} ms/item)"
    )


async def bench_delivery(root: Path, chats: int, one_chat: int) -> None:
    from fakebotapi import FakeBotAPI
    from telegram import Bot

    with FakeBotAPI() as api:
        store = Store.open(f"sqlite:///{root / 'deliver.db'}")
        try:
            now = datetime.now(UTC)
            for chat in range(1, chats + 1):
                store.add_notices([chat], f"message to chat {chat}", now)
            async with Bot("1:BENCH", base_url=f"{api.url}/bot") as bot:
                deliverer = Deliverer(
                    store=store, sink=TelegramSink(bot), clock=_Clock(), worker="bench"
                )
                started = time.perf_counter()
                report = await deliverer.drain()
                many = time.perf_counter() - started
                store.add_notices([999_999] * one_chat, "same chat", datetime.now(UTC))
                started = time.perf_counter()
                single = await deliverer.drain()
                one = time.perf_counter() - started
        finally:
            store.close()
    limits = DeliveryLimits()
    print("delivery (python-telegram-bot -> local Bot API stand-in answering at once)")
    print(
        f"  {report.sent} chats:  {report.sent / many:6.1f} messages/s   "
        f"(limit {limits.overall_per_s:.0f}/s overall, after a first burst of "
        f"{limits.overall_per_s:.0f}; {many:.1f} s)"
    )
    print(
        f"  one chat: {(single.sent - 1) / one:6.2f} messages/s   "
        f"(limit {limits.per_chat_per_s:.0f}/s per chat; {single.sent} in {one:.1f} s)"
    )


async def bench_latency(root: Path) -> None:
    from fakebotapi import FakeBotAPI
    from feedserver import FeedServer

    from classifiers.factory import load_classifier
    from monitor.service import open_components
    from monitor.settings import Settings

    started = time.perf_counter()
    classifier = load_classifier(model=None, summary_model=None, cache_dir=root / "models")
    load_s = time.perf_counter() - started
    with FeedServer() as feeds, FakeBotAPI() as api:
        body = _rss(
            "Korea and Indonesia sign MOU on telemedicine cooperation",
            "The health ministers of South Korea and Indonesia signed a memorandum of "
            "understanding in Jakarta to expand telemedicine to remote islands.",
        )
        url = feeds.add("/f.xml", body)
        path = root / "feeds.toml"
        path.write_text(f'[[feed]]\nurl = "{url}"\nname = "Antara"\ninterval = "1m"\n', "utf-8")
        settings = Settings(
            feeds_path=path,
            data_dir=root / "data",
            database_url=f"sqlite:///{root / 'latency.db'}",
            telegram_token="1:BENCH",
            telegram_api_url=api.url,
        )
        with Store.open(settings.database_url) as store:
            store.save_subscription(Subscription(chat_id=7), datetime.now(UTC))
        from telegram import Bot

        async with (
            open_components(settings, classifier=classifier) as parts,
            Bot("1:BENCH", base_url=f"{api.url}/bot") as bot,
        ):
            deliverer = Deliverer(
                store=parts.store, sink=TelegramSink(bot), clock=_Clock(), worker="bench"
            )
            # a first round starts the parsing processes and warms the caches (as a
            # running service has); the second, with one new item, is the one timed
            feeds.add("/f.xml", _rss("Football results", "The league's weekend results."))
            await parts.poller.poll_round(include_not_due=True)
            assert (await deliverer.drain()).sent == 0  # nothing for chat 7 to wait behind
            feeds.add("/f.xml", _rss(*SECOND, guid="x2"))
            t0 = time.perf_counter()
            outcomes = await parts.poller.poll_round(include_not_due=True)
            t1 = time.perf_counter()
            report = await deliverer.drain()
            t2 = time.perf_counter()
    assert report.sent == 1 and outcomes[0].originals, (report, outcomes)
    poll_s, send_s = t1 - t0, t2 - t1
    interval = 60.0
    print(f"latency (one new item in a warm service; model loaded in {load_s:.1f} s beforehand)")
    print(f"  poll stage (fetch, parse, dedup, classify, route)  {poll_s * 1000:8.0f} ms")
    print(f"  delivery stage (claim, format, send, record)       {send_s * 1000:8.0f} ms")
    for tick in (PollSettings().tick.total_seconds(), 5.0):
        worst = interval + tick + poll_s + DRAIN_EVERY.total_seconds() + send_s
        print(
            f"  worst case, 60 s interval, tick {tick:4.0f} s, drain every "
            f"{DRAIN_EVERY.total_seconds():.0f} s: {worst:6.1f} s  "
            f"(target {interval + 10:.0f} s: {'met' if worst <= interval + 10 else 'missed'})"
        )


def calibrate() -> None:
    """The same-story rule on 20 hand-written stories in 8 languages (monitor.alerts.stories)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_stories import STORIES

    from classifiers.base import Document
    from classifiers.factory import load_classifier
    from monitor.alerts.stories import StoryCandidate, same_story

    classifier = load_classifier(model=None, summary_model=None, cache_dir=None)
    docs = [Document(str(i), t, x, lang) for i, (_, lang, t, x) in enumerate(STORIES)]
    labels = classifier.classify(docs)
    same_cos: list[float] = []
    other_cos: list[float] = []
    tp = fn = fp = tn = 0
    for i in range(len(STORIES)):
        for j in range(i + 1, len(STORIES)):
            cosine = float(np.dot(labels[i].embedding, labels[j].embedding))
            same = STORIES[i][0] == STORIES[j][0]
            (same_cos if same else other_cos).append(cosine)
            candidate = StoryCandidate(
                j, labels[j].embedding, frozenset(labels[j].countries), frozenset(labels[j].topics)
            )
            linked = bool(same_story(labels[i], [candidate]))
            tp += same and linked
            fn += same and not linked
            fp += linked and not same
            tn += not same and not linked
    print(f"cosine, same story in two languages: min {min(same_cos):.3f}, max {max(same_cos):.3f}")
    print(f"cosine, different stories:           max {max(other_cos):.3f}")
    print(f"rule (same countries, shared topic, cosine): linked {tp}/{tp + fn} same-story pairs,")
    print(f"  {fp}/{fp + tn} different-story pairs")


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


SECOND = (
    "Vietnam and Japan launch joint dengue vaccine trial",
    "Vietnam's Ministry of Health and Japan's JICA started a joint clinical trial of a "
    "dengue vaccine in Hanoi and Ho Chi Minh City.",
)


def _rss(title: str, text: str, guid: str = "x1") -> bytes:
    now = format_datetime(datetime.now(UTC))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://n.example/</link><description>d</description><item><guid>{guid}</guid>"
        f"<title>{title}</title><link>https://n.example/{guid}</link><description>{text}"
        f"</description><pubDate>{now}</pubDate></item></channel></rss>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--store-items", type=int, default=2_000)
    parser.add_argument("--chats", type=int, default=300, help="Delivery pass: distinct chats.")
    parser.add_argument("--one-chat", type=int, default=5, help="Delivery pass: rows to one chat.")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["route", "store", "deliver", "latency"]
    )
    parser.add_argument(
        "--database-url", default=None, help="Store pass on this (empty) database instead."
    )
    parser.add_argument("--calibrate", action="store_true", help="Only the same-story calibration.")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "route" not in args.skip:
            bench_routing(args.subs, args.items)
        if "store" not in args.skip:
            bench_store_routing(args.subs, args.store_items, root, args.database_url)
        if "deliver" not in args.skip:
            asyncio.run(bench_delivery(root, args.chats, args.one_chat))
        if "latency" not in args.skip:
            asyncio.run(bench_latency(root))


if __name__ == "__main__":
    main()
