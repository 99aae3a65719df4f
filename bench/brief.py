"""Benchmark of `monitor brief`: a 12-month brief over a store of 100,000 items.

Not a test: run it and read the figures.

    python bench/brief.py [--items 100000] [--postgres | --sqlite-only] [--repeat 3]

Fills a fresh store (SQLite file; and a new schema on the PostgreSQL of
MONITOR_TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test unless
``--sqlite-only``) with items spread over the last 13 months, labelled like a
real feed mix: 35 % relevant, 40 % of those cooperation, two or three of 15
countries each, one or two of 12 topics, event types and organisations on
cooperation items, one story per 1-3 items. ``--pair-share`` of the cooperation
items name Korea and Viet Nam (default 2 %: about 280 items a year, more than
the real feeds carry; 0.12 is a stress case). Then it times the work of
``monitor brief KR VN --since 12m`` — the store's read (`Store.brief_items`),
composing (stories, threads, chart), rendering HTML — and prints the best of
``--repeat`` runs per backend.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.base import Labels, labels_record  # noqa: E402
from monitor.brief.compose import compose_brief  # noqa: E402
from monitor.brief.parties import resolve_parties  # noqa: E402
from monitor.brief.period import parse_since  # noqa: E402
from monitor.brief.render import render_html  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.store.schema import ITEMS, LABELS  # noqa: E402

SEED = 20261206
MODEL = "bench-model"
POSTGRES_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COUNTRIES = "KR VN JP CN TH ID PH MY SG KH LA MM MN US AU".split()
TOPICS = [
    "uhc", "digital_health", "mental_health", "ageing", "health_security", "amr", "ncd",
    "maternal_child", "traditional_medicine", "health_industry", "workforce", "health_systems",
]  # fmt: skip
EVENTS = "agreement meeting statement funding project training visit conference".split()
ORGS = ["WHO", "ASEAN", "APT", "KOICA", "JICA", "UNICEF"]
LANGUAGES = "en ko vi ja zh th id".split()
BATCH = 5000
WORDS = (
    "ministers meet sign agreement health digital hospital vaccine training nurses grant "
    "project launch pilot dialogue forum summit delegation visit care ageing cancer data "
    "telemedicine outbreak surveillance pandemic preparedness emergency medicine workforce "
    "exchange fellowship donation equipment clinic insurance coverage primary maternal child "
    "nutrition tobacco mental suicide dementia antimicrobial resistance traditional herbal "
    "pharmaceutical manufacturing devices research laboratory network referral strengthen"
).split()


def fill(store: Store, items: int, now: datetime, pair_share: float = 0.02) -> int:
    """Insert `items` items with labels and story ids in batches; the KR–VN cooperation count."""
    rng = random.Random(SEED)
    pair = 0
    story_left = 0
    story_id = 0
    item_rows: list[dict[str, object]] = []
    label_rows: list[dict[str, object]] = []
    for n in range(1, items + 1):
        published = now - timedelta(seconds=rng.randrange(0, 395 * 86400))
        relevant = rng.random() < 0.35
        cooperation = relevant and rng.random() < 0.4
        countries = rng.sample(COUNTRIES, rng.choice((1, 2, 2, 3)))
        if cooperation and rng.random() < pair_share:
            countries = ["KR", "VN", *countries[:1]]
        countries = list(dict.fromkeys(countries))
        if cooperation and {"KR", "VN"} <= set(countries):
            pair += 1
        if story_left == 0:
            story_id, story_left = n, rng.choice((1, 1, 2, 3))
        story_left -= 1
        language = rng.choice(LANGUAGES)
        title = " ".join(rng.sample(WORDS, 7)).capitalize()
        item_rows.append(
            {
                "id": n,
                "feed_url": f"https://feeds.example/{n % 40}",
                "guid": str(n),
                "url": f"https://news.example/{n}",
                "title": title,
                "text": title + ". " + "Body text. " * 20,
                "published_at": published,
                "first_seen_at": published + timedelta(minutes=rng.randrange(1, 120)),
                "language_hint": language,
                "content_hash": f"h{n}",
                "signature": "[1]",
                "story_id": story_id,
            }
        )
        labels = Labels(
            language=language,
            relevant=relevant,
            cooperation=cooperation,
            topics=tuple(rng.sample(TOPICS, rng.choice((1, 2)))) if relevant else (),
            countries=tuple(countries),
            summary=title + ". A second sentence.",
            relevance_score=0.9 if relevant else 0.1,
            cooperation_score=0.9 if cooperation else 0.1,
            events=tuple(rng.sample(EVENTS, rng.choice((1, 2)))) if cooperation else (),
            organisations=tuple(rng.sample(ORGS, 1)) if cooperation and rng.random() < 0.3 else (),
        )
        label_rows.append(
            {"content_hash": f"h{n}", "model_id": MODEL, "created_at": now, **labels_record(labels)}
        )
        if len(item_rows) == BATCH or n == items:
            with store._begin("filling the bench store", write=True) as conn:
                conn.execute(ITEMS.insert(), item_rows)
                conn.execute(LABELS.insert(), label_rows)
            item_rows, label_rows = [], []
    with store._begin("analysing", write=True) as conn:
        conn.exec_driver_sql("ANALYZE")
    return pair


def measure(url: str, items: int, repeat: int, pair_share: float) -> None:
    now = datetime.now(UTC)
    with Store.open(url) as store:
        started = time.perf_counter()
        pair = fill(store, items, now, pair_share)
        filled = time.perf_counter() - started
        parties = resolve_parties(["KR", "Viet Nam"])
        since = parse_since("12m", now)
        best: tuple[float, float, float] | None = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = store.brief_items(
                countries=["KR", "VN"], organisations=[], since=since, until=now, model_id=MODEL
            )
            t1 = time.perf_counter()
            brief = compose_brief(
                rows,
                parties=parties,
                since=since,
                until=now,
                language="en",
                outlets=store.feed_names(),
            )
            t2 = time.perf_counter()
            page = render_html(brief, topic_names={}, today=now.date())
            t3 = time.perf_counter()
            run = (t1 - t0, t2 - t1, t3 - t2)
            if best is None or sum(run) < sum(best):
                best = run
        assert best is not None
        backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        print(f"{backend}: {items:,} items (filled in {filled:.1f} s), {pair:,} KR–VN cooperation")
        print(
            f"  brief KR VN --since 12m: {len(brief.stories):,} stories, {brief.report_count:,}"
            f" reports, {len(brief.threads)} threads, HTML {len(page) / 1e6:.1f} MB"
        )
        print(
            f"  read {best[0] * 1000:.0f} ms + compose {best[1] * 1000:.0f} ms + render HTML"
            f" {best[2] * 1000:.0f} ms = {sum(best):.2f} s (best of {repeat})"
        )


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(os.environ.get("MONITOR_TEST_DATABASE_URL") or POSTGRES_DEFAULT_URL)
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    libpq = base.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"bench_brief_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--pair-share",
        type=float,
        default=0.02,
        help="share of cooperation items that are Korea–Viet Nam (0.02: ~280 a year; "
        "0.12 is a stress case with ~1,700 stories)",
    )
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{folder}/bench.db", args.items, args.repeat, args.pair_share)
    if not args.sqlite_only:
        with postgres_url() as url:
            measure(url, args.items, args.repeat, args.pair_share)


if __name__ == "__main__":
    main()
