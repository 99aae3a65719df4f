"""Items in five languages with labels, for the digest tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from classifiers.base import Labels
from monitor.models import FeedSpec, Item
from monitor.settings import Settings
from monitor.store import Store

MODEL = "digest-test-model"
MOHW = "https://feeds.example/mohw"
WIRE = "https://feeds.example/wire"
NHC = "https://feeds.example/nhc"
MHLW = "https://feeds.example/mhlw"
MOPH = "https://feeds.example/moph"

FEEDS_TOML = f"""
[[feed]]
url = "{MOHW}"
name = "보건복지부"
tags = ["ministry", "official"]

[[feed]]
url = "{WIRE}"
name = "Wire <News> & Co"

[[feed]]
url = "{NHC}"
name = "国家卫生健康委员会"
tags = ["official"]

[[feed]]
url = "{MHLW}"
name = "厚生労働省"

[[feed]]
url = "{MOPH}"
name = "กระทรวงสาธารณสุข"
"""


@dataclass(frozen=True)
class Story:
    guid: str
    feed: str
    title: str
    labels: Labels
    age: timedelta  # how long before `now` it was first seen


def labels(
    language: str,
    topics: tuple[str, ...],
    countries: tuple[str, ...],
    summary: str,
    *,
    cooperation: bool = True,
    relevant: bool = True,
) -> Labels:
    return Labels(language, relevant, cooperation, topics, countries, summary, 0.9, 0.8)


KO_TITLE = "한-인도네시아 디지털 헬스 협력 양해각서 체결"
ZH_TITLE = "中国与老挝签署卫生合作协议"
JA_TITLE = "日本とベトナム、介護人材の育成で協力"
TH_TITLE = "ไทยและลาวร่วมมือควบคุมไข้เลือดออก"
EVIL_TITLE = "<script>alert('x')</script> WHO & partners sign AMR pact"

STORIES = (
    Story("ko", MOHW, KO_TITLE,
          labels("ko", ("digital_health",), ("KR", "ID"), "복지부가 인도네시아와 협력한다."),
          timedelta(hours=2)),
    Story("zh", NHC, ZH_TITLE,
          labels("zh", ("health_systems",), ("CN", "LA"), "中国与老挝签署协议。"),
          timedelta(hours=5)),
    Story("ja", MHLW, JA_TITLE,
          labels("ja", ("workforce",), ("JP", "VN"), "厚生労働省はベトナムと協力する。"),
          timedelta(hours=8)),
    Story("th", MOPH, TH_TITLE,
          labels("th", ("health_security",), ("TH", "LA"), "กระทรวงสาธารณสุขร่วมมือกับลาว"),
          timedelta(hours=12)),
    Story("evil", WIRE, EVIL_TITLE,
          labels("en", ("amr",), ("KR",), "Partners agree on <b>stewardship</b>."),
          timedelta(hours=20)),
    Story("domestic", WIRE, "Seoul hospital opens new wing",
          labels("en", ("health_systems",), ("KR",), "Domestic news.", cooperation=False),
          timedelta(hours=3)),
    Story("old", WIRE, "Last week's agreement on vaccines",
          labels("en", ("health_industry",), ("JP",), "Older news."),
          timedelta(days=3)),
)  # fmt: skip


def url_of(guid: str) -> str:
    return f"https://news.example/{guid}?id=1&lang=x"


def populate(store: Store, now: datetime) -> dict[str, int]:
    """Store the stories (and a wire copy of the Korean one); their ids by guid."""
    store.sync_feeds(
        [FeedSpec(url=u, name=u.rsplit("/", 1)[1]) for u in (MOHW, WIRE, NHC, MHLW, MOPH)], now
    )
    ids: dict[str, int] = {}
    for s in STORIES:
        item = Item(s.feed, s.guid, url_of(s.guid), s.title, f"Text of {s.title}", None)
        item_id = store.add_item(
            item,
            first_seen_at=now - s.age,
            content_hash=f"hash-{s.guid}",
            signature=(1,),
            bands=(),
            duplicate_of=None,
        )
        assert item_id is not None
        ids[s.guid] = item_id
        store.save_labels(f"hash-{s.guid}", MODEL, s.labels, now)
    copy = Item(WIRE, "ko-copy", url_of("ko-copy"), KO_TITLE + " (종합)", "copy", None, "ko")
    copy_id = store.add_item(
        copy,
        first_seen_at=now - timedelta(hours=1),
        content_hash="hash-ko-copy",
        signature=(1,),
        bands=(),
        duplicate_of=ids["ko"],
    )
    assert copy_id is not None
    ids["ko-copy"] = copy_id
    return ids


def digest_settings(tmp_path: Path, database_url: str, **values: object) -> Settings:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(FEEDS_TOML, encoding="utf-8")
    return Settings(
        feeds_path=feeds,
        data_dir=tmp_path / "data",
        database_url=database_url,
        mail_from="digest@monitor.example",
        **values,  # type: ignore[arg-type]
    )
