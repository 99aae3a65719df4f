"""Alerts end to end: a local feed, the pipeline, the outbox and the Bot API stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from fakebotapi import FakeBotAPI
from fakes import KeywordClassifier
from feedserver import FeedServer

from monitor.errors import DeliveryError
from monitor.filters import Filter
from monitor.models import Subscription
from monitor.service import poll_once, run_service
from monitor.settings import PollSettings, Settings
from monitor.store import Store

TOKEN = "123:GOOD"


def rss(*entries: tuple[str, str]) -> bytes:
    """An RSS feed of (guid, title) entries published just now."""
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
        f"<link>https://news.example/{escape(guid)}</link><description>{escape(title)}"
        f"</description><pubDate>{now}</pubDate></item>"
        for guid, title in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        fake.token = TOKEN
        yield fake


def make_settings(
    tmp_path: Path, feed_url: str, api: FakeBotAPI | None, token: str = TOKEN
) -> Settings:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feed]]\nurl = "{feed_url}"\nname = "Yonhap"\n', encoding="utf-8")
    return Settings(
        feeds_path=feeds,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        telegram_token=token if api is not None else None,
        telegram_api_url=api.url if api is not None else "https://api.telegram.org",
        poll=PollSettings(tick=timedelta(milliseconds=100)),
    )


def subscribe(settings: Settings, chat_id: int, **values: object) -> None:
    with Store.open(settings.database_url) as store:
        store.save_subscription(Subscription(chat_id=chat_id, **values), datetime.now(UTC))  # type: ignore[arg-type]


async def test_poll_once_sends_one_alert_for_a_matching_item_and_none_for_others(
    tmp_path: Path, feed_server: FeedServer, api: FakeBotAPI
) -> None:
    url = feed_server.add(
        "/f.xml",
        rss(
            ("a1", "Korea and Indonesia sign health MOU <script>alert(1)</script> & more"),
            ("a2", "Football results"),  # not relevant: no alert
            ("a3", "Hospital opens a new wing"),  # relevant, not cooperation: not for chat 7
        ),
    )
    settings = make_settings(tmp_path, url, api)
    subscribe(settings, 7)
    await poll_once(settings, classifier=KeywordClassifier(), include_not_due=True)
    (sent,) = api.sent()
    assert sent["chat_id"] == 7
    assert "MOU &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in sent["text"]
    assert "Yonhap" in sent["text"]
    assert "getUpdates" not in [m for m, _ in api.requests]  # poll --once leaves updates alone
    # a second run finds nothing new and sends nothing again
    await poll_once(settings, classifier=KeywordClassifier(), include_not_due=True)
    assert len(api.sent()) == 1


async def test_a_wrong_token_is_a_delivery_error_and_the_alerts_stay_queued(
    tmp_path: Path, feed_server: FeedServer, api: FakeBotAPI
) -> None:
    url = feed_server.add("/f.xml", rss(("a1", "Health MOU signed")))
    settings = make_settings(tmp_path, url, api, token="123:WRONG")
    subscribe(settings, 7)
    with pytest.raises(DeliveryError, match="refused MONITOR_TELEGRAM_TOKEN"):
        await poll_once(settings, classifier=KeywordClassifier(), include_not_due=True)


async def test_an_unreachable_bot_api_is_a_delivery_error(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.add("/f.xml", rss(("a1", "Health MOU signed")))
    with FakeBotAPI() as gone:
        dead_url = gone.url
    settings = make_settings(tmp_path, url, None)
    settings = Settings(
        **{**settings.__dict__, "telegram_token": TOKEN, "telegram_api_url": dead_url}
    )
    with pytest.raises(DeliveryError, match="cannot reach the Telegram Bot API"):
        await poll_once(settings, classifier=KeywordClassifier(), include_not_due=True)


async def test_without_a_token_alerts_are_printed(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/f.xml", rss(("a1", "Health MOU: 5 < 6 & signed"), ("a2", "Hospital wing"))
    )
    settings = make_settings(tmp_path, url, None)
    lines: list[str] = []
    await poll_once(
        settings, classifier=KeywordClassifier(), include_not_due=True, console=lines.append
    )
    assert len(lines) == 2  # the console gets all relevant news while nobody subscribed
    assert lines[0].startswith("● Health MOU: 5 < 6 & signed (https://news.example/a1)")


async def serve_until_the_first_alert(
    tmp_path: Path, feed_server: FeedServer, api: FakeBotAPI, *, slow_s: float = 0.0
) -> Settings:
    """Run the service on one cooperation item for chat 7 and stop it once the alert has
    reached the Bot API (answered `slow_s` late) and the bot polls for updates."""
    url = feed_server.add("/f.xml", rss(("a1", "Health MOU signed in Jakarta")))
    settings = make_settings(tmp_path, url, api)
    subscribe(settings, 7, filter=Filter(cooperation_only=True))
    if slow_s:
        api.slow(slow_s)
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, classifier=KeywordClassifier(), stop=stop))
    try:
        await asyncio.to_thread(
            api.wait_for, lambda reqs: any(m == "sendMessage" for m, _ in reqs), 30
        )
        await asyncio.to_thread(api.wait_method, "getUpdates")  # the bot answers chats too
    finally:
        stop.set()
        await asyncio.wait_for(service, 60)
    return settings


async def test_the_service_runs_the_bot_and_delivers_while_polling(
    tmp_path: Path, feed_server: FeedServer, api: FakeBotAPI
) -> None:
    await serve_until_the_first_alert(tmp_path, feed_server, api)
    assert [s["chat_id"] for s in api.sent()] == [7]
    assert "Health MOU signed in Jakarta" in api.sent()[0]["text"]


async def test_a_stop_while_an_alert_is_in_flight_records_it_and_sends_it_once(
    tmp_path: Path, feed_server: FeedServer, api: FakeBotAPI
) -> None:
    # recorded at once, answered late: the stop comes while the alert is in flight
    settings = await serve_until_the_first_alert(tmp_path, feed_server, api, slow_s=1.5)
    assert [s["chat_id"] for s in api.sent()] == [7]
    with Store.open(settings.database_url) as store:
        assert [d["status"] for d in store.deliveries_of(7)] == ["sent"]


async def test_operators_get_one_message_per_feed_state(tmp_path: Path) -> None:
    from monitor.models import FeedSpec
    from monitor.service import tell_operators

    settings = Settings(
        feeds_path=tmp_path / "feeds.toml",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        telegram_admins=(900, 901),
    )
    now = datetime.now(UTC)

    class Clock:
        def now(self) -> datetime:
            return now

    url = "https://broken.example/rss"
    with Store.open(settings.database_url) as store:
        store.sync_feeds([FeedSpec(url=url, name="Broken <feed>")], now)
        for polls in range(1, 13):
            store.record_failure(url, now=now, error="HTTP 503", status=503, next_due_at=now)
            told = await tell_operators(store, settings, Clock())
            assert told == (1 if polls == 10 else 0), polls
        store.record_success(
            url, now=now, status=200, etag=None, last_modified=None, entries=1,
            encoding="utf-8", problem=None, next_due_at=now,
        )  # fmt: skip
        assert await tell_operators(store, settings, Clock()) == 1
        assert await tell_operators(store, settings, Clock()) == 0
        notices = store.claim_deliveries("w", now, timedelta(minutes=1))
    assert [(n.chat_id, n.text.split("\n")[0]) for n in notices] == [
        (900, "⚠️ Feed <b>Broken &lt;feed&gt;</b> failed 10 polls in a row."),
        (901, "⚠️ Feed <b>Broken &lt;feed&gt;</b> failed 10 polls in a row."),
        (900, "✅ Feed <b>Broken &lt;feed&gt;</b> is back."),
        (901, "✅ Feed <b>Broken &lt;feed&gt;</b> is back."),
    ]
