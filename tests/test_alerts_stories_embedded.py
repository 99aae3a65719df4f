"""One story in two languages through the real embedded classifier: one alert, then a reply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from fakebotapi import FakeBotAPI
from feedserver import FeedServer

from classifiers.base import Classifier, Document
from monitor.alerts.stories import StoryCandidate, same_story
from monitor.filters import Filter
from monitor.models import Subscription
from monitor.service import poll_once
from monitor.settings import Settings
from monitor.store import Store

pytestmark = pytest.mark.slow

TOKEN = "123:GOOD"
ENGLISH = (
    "Korea and Indonesia sign MOU on telemedicine cooperation",
    "The health ministers of South Korea and Indonesia signed a memorandum of understanding "
    "in Jakarta on Tuesday to expand telemedicine services to remote islands and train "
    "Indonesian doctors in digital health.",
)
KOREAN = (
    "한국-인도네시아, 원격의료 협력 양해각서 체결",
    "한국과 인도네시아 보건장관은 화요일 자카르타에서 원격의료 서비스를 외딴 섬으로 확대하고 "
    "인도네시아 의사들에게 디지털 헬스 교육을 제공하는 양해각서를 체결했다.",
)
OTHER = (
    "Korea and Vietnam sign MOU on hospital equipment",
    "South Korea and Vietnam signed an agreement to supply medical equipment to provincial "
    "hospitals and train biomedical engineers.",
)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    from classifiers.factory import load_classifier

    return load_classifier(model=None, summary_model=None, cache_dir=None)


def rss(guid: str, title: str, text: str, language: str) -> bytes:
    now = format_datetime(datetime.now(UTC))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://n.example/</link><description>d</description><language>{language}"
        f"</language><item><guid>{guid}</guid><title>{escape(title)}</title>"
        f"<link>https://n.example/{guid}</link><description>{escape(text)}</description>"
        f"<pubDate>{now}</pubDate></item></channel></rss>"
    ).encode()


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


def test_the_embedded_model_links_the_story_and_not_its_neighbour(classifier: Classifier) -> None:
    en, ko, other = classifier.classify(
        [Document("en", *ENGLISH), Document("ko", *KOREAN), Document("other", *OTHER)]
    )

    def candidate(i: int, labels: object) -> StoryCandidate:
        assert hasattr(labels, "embedding")
        return StoryCandidate(
            i,
            labels.embedding,  # type: ignore[attr-defined]
            frozenset(labels.countries),  # type: ignore[attr-defined]
            frozenset(labels.topics),  # type: ignore[attr-defined]
        )

    assert same_story(ko, [candidate(1, en), candidate(2, other)]) == [1]


async def test_a_korean_copy_of_an_english_story_is_a_reply_not_a_second_alert(
    tmp_path: Path, feed_server: FeedServer, api: FakeBotAPI, classifier: Classifier
) -> None:
    en_url = feed_server.add("/en.xml", rss("en1", *ENGLISH, "en"))
    ko_url = feed_server.add("/ko.xml", rss("ko1", *KOREAN, "ko"))
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        f'[[feed]]\nurl = "{en_url}"\nname = "Antara"\n\n'
        f'[[feed]]\nurl = "{ko_url}"\nname = "Yonhap"\nenabled = false\n',
        encoding="utf-8",
    )
    settings = Settings(
        feeds_path=feeds,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        telegram_token=TOKEN,
        telegram_api_url=api.url,
    )
    with Store.open(settings.database_url) as store:
        store.save_subscription(
            Subscription(chat_id=7, filter=Filter(countries=frozenset({"ID"}))), datetime.now(UTC)
        )
    await poll_once(settings, classifier=classifier, include_not_due=True)
    (alert,) = api.sent()
    assert "telemedicine" in alert["text"]
    feeds.write_text(feeds.read_text(encoding="utf-8").replace("enabled = false", ""), "utf-8")
    await poll_once(settings, classifier=classifier, include_not_due=True)
    first, reply = api.sent()
    assert first == alert and len(api.sent()) == 2  # no second alert
    assert reply["chat_id"] == 7
    assert reply["text"] == "🔁 Also reported by <b>Yonhap</b>, in Korean"
    assert '"message_id": 1' in reply["reply_parameters"]  # the stand-in's first message
