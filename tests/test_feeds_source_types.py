"""Source types (issue #20 part 5): feeds.toml's `source`, alerts and digests that show it,
and subscriptions that ask for official sources only (the filter, routing, bot, CLI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Monitor
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from telegram import Bot
from test_alerts_deliver import deliverer, subscribe
from test_store_subscriptions import MODEL, NOW, labels
from test_telegram_bot import USER, running, say, settings_for

from monitor.alerts.message import source_label
from monitor.alerts.router import Router
from monitor.feeds import FeedsFileError, add_feed, load_feeds, parse_feeds
from monitor.filters import OFFICIAL_SOURCES, SOURCE_TYPES, Filter
from monitor.models import FeedSpec, Item
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]
MINISTRY = "https://feeds.example/mohw"
NEWS = "https://feeds.example/daily"


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def test_a_source_type_is_checked_with_its_line_feed_and_a_suggestion() -> None:
    text = '[[feed]]\nurl = "https://a.example/"\nname = "A"\nsource = "wir"\n'
    with pytest.raises(FeedsFileError) as caught:
        parse_feeds(text)
    message = str(caught.value)
    assert "feeds.toml:4:" in message and 'feed "A" (#1)' in message
    assert "key 'source'" in message and "did you mean 'wire'" in message
    with pytest.raises(FeedsFileError, match='use "state_media"'):
        parse_feeds('[[feed]]\nurl = "https://a.example/"\nsource = "State-Media"\n')
    with pytest.raises(FeedsFileError, match="must be a string"):
        parse_feeds('[[feed]]\nurl = "https://a.example/"\nsource = 3\n')
    (spec,) = parse_feeds('[[feed]]\nurl = "https://a.example/"\nsource = "wire"\n')
    assert spec.source == "wire"


@pytest.mark.parametrize("path", ["feeds.toml", "monitor/demo_feeds/feeds.toml"])
def test_every_bundled_feed_is_labelled(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    specs = parse_feeds(text.replace('url = "/', 'url = "http://127.0.0.1/'))
    assert specs and all(s.source in SOURCE_TYPES for s in specs)
    by_name = {s.name: s.source for s in specs}
    if path == "feeds.toml":
        assert by_name["WHO news"] == "international"
        assert by_name["보건복지부 보도자료"] == "ministry"
        assert by_name["Yonhap News (English)"] == "wire"
        assert by_name["China Daily China"] == "state_media"
        assert all(s.source == "search" for s in specs if "news.google.com" in s.url)


def test_feeds_add_source_keeps_comments_and_feeds_list_shows_it(monitor: Monitor) -> None:
    monitor.feeds.write_text('# my feeds\n\n[[feed]]\nurl = "https://a.example/rss"\n')
    result = monitor("feeds", "add", "https://b.example/rss", "--name", "B", "--source", "wire")
    assert result.exit_code == 0, result.output
    text = monitor.feeds.read_text()
    assert text.startswith('# my feeds\n\n[[feed]]\nurl = "https://a.example/rss"\n')
    assert 'source = "wire"' in text
    bad = monitor("feeds", "add", "https://c.example/rss", "--source", "agency")
    assert bad.exit_code == 2 and "ministry" in bad.output
    listed = json.loads(monitor("feeds", "list", "--format", "json").output)
    assert [(r["name"], r["source"]) for r in listed] == [("a.example", None), ("B", "wire")]
    assert "wire" in monitor("feeds", "list").output


def test_add_feed_writes_the_source_after_the_country(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    add_feed(path, FeedSpec("https://a.example/", "A", country="KR", source="ministry"))
    assert 'country = "KR"\nsource = "ministry"\n' in path.read_text()
    assert load_feeds(path)[0].source == "ministry"


def test_the_filter_asks_for_source_types_and_old_filters_mean_any() -> None:
    official = Filter(sources=OFFICIAL_SOURCES)
    item = labels()
    assert official.matches(item, title="t", source="ministry")
    assert official.matches(item, title="t", source="international")
    assert not official.matches(item, title="t", source="news")
    assert not official.matches(item, title="t", source=None)  # an unlabelled feed
    assert Filter().matches(item, title="t", source=None)
    assert Filter.from_json(official.to_json()) == official
    old = {"topics": [], "countries": [], "languages": [], "keywords": []}
    assert Filter.from_json(old).sources == frozenset()


def test_the_source_label_in_both_languages() -> None:
    assert source_label("Yonhap", "wire") == "Yonhap · wire"
    assert source_label("연합뉴스", "wire", "ko") == "연합뉴스 · 통신사"
    assert source_label("MOHW", "ministry", "ko") == "MOHW · 정부 부처"
    assert source_label("Blog", None) == "Blog"


def _item(store: Store, n: int, feed: str, title: str) -> int:
    item = Item(feed, f"g{n}", f"https://news.example/{n}", title, "text", NOW)
    item_id = store.add_item(
        item, first_seen_at=NOW, content_hash=f"h{n}", signature=[n], bands=[], duplicate_of=None
    )
    assert item_id is not None
    Router(store).save_labels_and_route(item_id, f"h{n}", MODEL, labels(), NOW)
    return item_id


async def test_official_subscribers_get_only_official_sources_labelled_in_their_language(
    store: Store, api: FakeBotAPI
) -> None:
    store.sync_feeds(
        [
            FeedSpec(MINISTRY, "보건복지부", source="ministry"),
            FeedSpec(NEWS, "Daily News", source="news"),
        ],
        NOW,
    )
    subscribe(store, 7, filter=Filter(sources=OFFICIAL_SOURCES), ui_language="ko")
    subscribe(store, 8)  # any source
    _item(store, 1, MINISTRY, "Ministry signs a health MOU")
    _item(store, 2, NEWS, "Paper reports a health MOU")
    async with Bot("123:TEST", base_url=f"{api.url}/bot") as bot:
        report = await deliverer(store, bot, FakeClock(NOW)).drain()
    assert report.sent == 3
    by_chat: dict[int, list[str]] = {}
    for sent in api.sent():
        by_chat.setdefault(sent["chat_id"], []).append(sent["text"])
    (official,) = by_chat[7]
    assert "Ministry signs" in official and "📰 보건복지부 · 정부 부처" in official
    texts = "\n".join(by_chat[8])
    assert "📰 보건복지부 · ministry" in texts and "📰 Daily News · news" in texts


async def test_subscribe_official_in_the_bot(tmp_path: Path, api: FakeBotAPI, store: Store) -> None:
    async with running(settings_for(tmp_path, api), store, FakeClock()):
        reply = await say(api, "/subscribe official")
        assert reply["text"].startswith("Subscribed.")
        assert "Only official sources" in reply["text"]
        sub = store.subscription(USER)
        assert sub is not None and sub.filter.sources == OFFICIAL_SOURCES
        await say(api, "/unsubscribe official")
        sub = store.subscription(USER)
        assert sub is not None and sub.filter.sources == frozenset()


def test_subscribers_and_recipients_take_official(monitor: Monitor) -> None:
    result = monitor("subscribers", "add", "5", "--official")
    assert result.exit_code == 0, result.output
    with Store.open(monitor.database_url) as store:
        sub = store.subscription(5)
    assert sub is not None and sub.filter.sources == OFFICIAL_SOURCES
    assert "official sources" in monitor("subscribers", "list").output
    result = monitor("recipients", "add", "kim@example.org", "--official")
    assert result.exit_code == 0, result.output
    listed = json.loads(monitor("recipients", "list", "--format", "json").output)
    assert "sources international, ministry" in listed[0]["filter"]
    result = monitor("recipients", "set", "kim@example.org", "--any-source")
    assert result.exit_code == 0 and "sources" not in result.output


def test_digest_items_show_the_source_type_and_honour_official_only() -> None:
    from test_digest_compose import MOHW, NAMES, NOW, TAXONOMY, WIRE, rows

    from monitor.digest.compose import Source, compose_digest, period_ending
    from monitor.digest.render import render_digest
    from monitor.models import Recipient

    sources = {
        MOHW: Source("보건복지부", official=True, kind="ministry"),
        WIRE: Source("Wire", kind="wire"),
    }
    originals, copies = rows()
    for recipient in (
        Recipient("kim@example.org", timezone="Asia/Seoul", token="t", language="ko"),
        Recipient("lee@example.org", token="t", filter=Filter(sources=OFFICIAL_SOURCES)),
    ):
        digest = compose_digest(
            recipient,
            period_ending(recipient, NOW),
            originals,
            copies,
            sources=sources,
            topic_order=TAXONOMY.slugs,
        )
        stories = [s for g in digest.groups for s in g.stories]
        text = render_digest(digest, topic_names=NAMES, unsubscribe_url="https://x.org/u").text
        if recipient.filter.sources:  # official only: the ministry's stories, none else
            assert stories and {s.source_kind for s in stories} == {"ministry"}
            assert "보건복지부 · ministry" in text
        else:
            assert "보건복지부 · 정부 부처" in text
