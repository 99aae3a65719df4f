"""A store of labelled cooperation items for the brief tests: Korea–Viet Nam stories over a
year (an MOU, its implementation meeting and renewal; a meeting series; training; an
agreement nobody followed up), and what a brief must leave out (another pair, trade news,
an old story, Japan–Viet Nam)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from classifiers.base import Labels
from monitor.models import FeedSpec, Item
from monitor.store import Store

MODEL = "brief-test-model"
YONHAP = "https://feeds.example/yonhap-en"
MOHW = "https://feeds.example/mohw"
VNA = "https://feeds.example/vna"
FEEDS = {YONHAP: "Yonhap (English)", MOHW: "보건복지부", VNA: "Vietnam News Agency"}


@dataclass(frozen=True)
class Report:
    guid: str
    feed: str
    title: str
    language: str
    countries: tuple[str, ...]
    summary: str = ""
    hours_later: int = 0  # after the story's first report


@dataclass(frozen=True)
class Story:
    key: str
    days_ago: int
    events: tuple[str, ...]
    topics: tuple[str, ...]
    reports: tuple[Report, ...]
    organisations: tuple[str, ...] = ()
    place: str | None = None
    cooperation: bool = True
    extra: dict[str, object] = field(default_factory=dict)


KR_VN = ("KR", "VN")

STORIES = (
    Story("mou", 320, ("agreement",), ("digital_health",), (
        Report("mou-en", YONHAP, "Korea, Vietnam sign MOU on digital health cooperation", "en",
               KR_VN, "Korea and Vietnam signed a memorandum of understanding on digital "
               "health in Hanoi on Monday. The two ministries will share telemedicine data."),
        Report("mou-ko", MOHW, "한-베트남 디지털 헬스 협력 양해각서 체결", "ko", KR_VN,
               "보건복지부는 베트남 보건부와 디지털 헬스 양해각서를 체결했다.", 3),
        Report("mou-vi", VNA, "Bộ Y tế ký biên bản ghi nhớ về y tế số", "vi", ("VN",),
               "Bộ Y tế đã ký biên bản ghi nhớ về y tế số.", 6),
    ), place="Hanoi"),
    Story("apt16", 300, ("meeting",), ("health_security",), (
        Report("apt16-en", YONHAP, "16th ASEAN Plus Three Health Ministers' Meeting held in "
               "Hanoi", "en", ("KR", "VN", "CN", "JP"), "Ministers met on pandemic preparedness."),
    ), organisations=("APT", "ASEAN")),
    Story("impl", 240, ("meeting",), ("digital_health",), (
        Report("impl-en", YONHAP, "Korea and Vietnam hold first joint committee on digital "
               "health MOU", "en", KR_VN, "Officials reviewed the telemedicine pilot."),
    )),
    Story("nurses", 170, ("training",), ("workforce",), (
        Report("nurses-ko", MOHW, "베트남 간호 인력 연수 과정 개설", "ko", KR_VN,
               "베트남 간호사 30명이 한국에서 연수를 받는다."),
    )),
    Story("ageing", 95, ("agreement",), ("ageing",), (
        Report("ageing-en", VNA, "Vietnam, RoK agree on long-term care cooperation", "en",
               KR_VN, "The two countries agreed to cooperate on long-term care."),
    )),
    Story("apt17", 40, ("meeting",), ("health_security",), (
        Report("apt17-en", YONHAP, "17th ASEAN Plus Three Health Ministers' Meeting opens in "
               "Seoul", "en", ("KR", "VN", "TH"), "Ministers discussed surveillance."),
    ), organisations=("APT", "ASEAN")),
    Story("renewal", 15, ("agreement",), ("digital_health",), (
        Report("renewal-en", YONHAP, "Korea, Vietnam renew digital health MOU for three years",
               "en", KR_VN, "The MOU signed last year was renewed."),
    )),
    # what a Korea–Viet Nam brief must leave out
    Story("thai", 50, ("agreement",), ("digital_health",), (
        Report("thai-en", YONHAP, "Korea, Thailand sign digital health MOU", "en", ("KR", "TH")),
    )),
    Story("trade", 20, ("agreement",), (), (
        Report("trade-en", YONHAP, "Korea, Vietnam sign trade deal on electronics", "en", KR_VN),
    ), cooperation=False),
    Story("old", 500, ("agreement",), ("digital_health",), (
        Report("old-en", YONHAP, "Korea, Vietnam discuss digital health", "en", KR_VN),
    )),
    Story("japan", 60, ("training",), ("workforce",), (
        Report("japan-en", VNA, "Japan trains Vietnamese care workers", "en", ("JP", "VN")),
    )),
)  # fmt: skip

INCLUDED = ("mou", "apt16", "impl", "nurses", "ageing", "apt17", "renewal")
LEFT_OUT = ("thai", "trade", "old", "japan")
HEADLINES = {s.key: s.reports[0].title for s in STORIES}


def labels_of(story: Story, report: Report) -> Labels:
    return Labels(
        language=report.language,
        relevant=story.cooperation,
        cooperation=story.cooperation,
        topics=story.topics,
        countries=report.countries,
        summary=report.summary,
        relevance_score=0.9,
        cooperation_score=0.9 if story.cooperation else 0.1,
        events=story.events if story.cooperation else (),
        organisations=story.organisations,
        place=story.place,
    )


def populate(store: Store, now: datetime) -> dict[str, int]:
    """Store every report with its labels and story id; the stories' first item ids by key."""
    store.sync_feeds([FeedSpec(url=u, name=n) for u, n in FEEDS.items()], now)
    first_ids: dict[str, int] = {}
    for story in STORIES:
        start = now - timedelta(days=story.days_ago)
        for report in story.reports:
            published = start + timedelta(hours=report.hours_later)
            item = Item(report.feed, report.guid, f"https://news.example/{report.guid}",
                        report.title, report.summary or report.title, published)  # fmt: skip
            item_id = store.add_item(
                item,
                first_seen_at=published + timedelta(minutes=20),
                content_hash=f"hash-{report.guid}",
                signature=(1,),
                bands=(),
                duplicate_of=None,
            )
            assert item_id is not None
            store.save_labels(f"hash-{report.guid}", MODEL, labels_of(story, report), now)
            first_ids.setdefault(story.key, item_id)
            with store.routing() as tx:
                tx.set_story(item_id, first_ids[story.key])
    return first_ids
