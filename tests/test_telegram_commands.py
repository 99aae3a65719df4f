"""monitor.telegram: the handlers against a local fake Bot API, update by update.

Updates are fed with `Application.process_update`; replies go through
python-telegram-bot's real HTTP client to `FakeBotAPI`, which records them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakebotapi import FakeBotAPI
from telegram import Update
from telegram.ext import AIORateLimiter, CommandHandler, ContextTypes

from classifiers.base import Labels
from classifiers.taxonomy import load_taxonomy
from monitor.models import FeedSpec, Item
from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram import BotApplication, build_application
from monitor.telegram.messages import pack

NOW = datetime.now(UTC)
MODEL = "test-model"
ADMIN = 42
USER = 7
FEED = "https://feeds.example/who"
EVIL = "<b>Evil</b> & co"


# -- pure functions --------------------------------------------------------------


def test_pack_keeps_messages_under_the_limit() -> None:
    assert pack(["a", "b"], limit=10) == ["a\n\nb"]
    assert pack(["aaaa", "bbbb", "cc"], limit=10) == ["aaaa\n\nbbbb", "cc"]
    assert pack([]) == []
    assert all(len(m) <= 50 for m in pack(["x" * 30] * 5 + ["y" * 80], limit=50))


# -- fixtures --------------------------------------------------------------------


def labels(**kw: Any) -> Labels:
    fields: dict[str, Any] = {
        "language": "en",
        "relevant": True,
        "cooperation": True,
        "topics": ("uhc",),
        "countries": ("KR",),
        "summary": "summary",
    }
    fields.update(kw)
    return Labels(**fields)


def populate(store: Store) -> None:
    """Newest first: one irrelevant, two relevant, five unclassified, one duplicate."""
    store.sync_feeds([FeedSpec(url=FEED, name="WHO <WPRO>")], NOW)
    rows: list[tuple[str, str, Labels | None]] = [
        ("stock", "Stock markets rally", labels(relevant=False, topics=())),
        ("evil", EVIL, labels(topics=("uhc",), countries=("KR",))),
        ("mou", "Korea and Indonesia sign digital health MoU", labels(topics=("digital_health",))),
    ]
    rows += [(f"dengue{n}", f"Dengue vaccine update {n}", None) for n in range(5)]
    ids = {}
    for age, (guid, title, label) in enumerate(rows):
        item = Item(
            feed_url=FEED,
            guid=guid,
            url=f"https://news.example/{guid}?a=1&b=2",
            title=title,
            text=f"text of {title}",
            published_at=None,
        )
        ids[guid] = store.add_item(
            item,
            first_seen_at=NOW - timedelta(minutes=10 * (age + 1)),
            content_hash=f"hash-{guid}",
            signature=(1, 2, 3),
            bands=(),
            duplicate_of=None,
        )
        if label is not None:
            store.save_labels(f"hash-{guid}", MODEL, label, NOW)
    copy = Item(FEED, "copy", "https://news.example/copy", "Korea MoU copy", "x", None)
    store.add_item(
        copy,
        first_seen_at=NOW,
        content_hash="hash-copy",
        signature=(1, 2, 3),
        bands=(),
        duplicate_of=ids["mou"],
    )


def settings(tmp_path: Path, api: FakeBotAPI, admins: tuple[int, ...] = (ADMIN,)) -> Settings:
    return Settings(
        feeds_path=tmp_path / "feeds.toml",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/m.db",
        telegram_token="123:TEST",
        telegram_api_url=api.url,
        telegram_admins=admins,
    )


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path}/m.db") as s:
        populate(s)
        yield s


@pytest.fixture
async def app(tmp_path: Path, api: FakeBotAPI, store: Store) -> AsyncIterator[BotApplication]:
    application = build_application(settings(tmp_path, api), store, model_id=MODEL)
    async with application:
        yield application


_update_id = 0


async def send(
    app: BotApplication, api: FakeBotAPI, text: str, *, user: int = USER, lang: str = "en"
) -> list[str]:
    """Feed one private message from `user` and return the texts the bot sent."""
    global _update_id
    _update_id += 1
    command = text.split()[0] if text.startswith("/") else ""
    payload = {
        "update_id": _update_id,
        "message": {
            "message_id": _update_id,
            "date": int(NOW.timestamp()),
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "U", "language_code": lang},
            "text": text,
            "entities": (
                [{"type": "bot_command", "offset": 0, "length": len(command)}] if command else []
            ),
        },
    }
    api.clear()
    await app.process_update(Update.de_json(payload, app.bot))
    return [m["text"] for m in api.sent()]


# -- handlers through the fake Bot API ---------------------------------------------


async def test_start_and_help_in_english_and_korean(app: BotApplication, api: FakeBotAPI) -> None:
    [english] = await send(app, api, "/start")
    assert "Asia-Pacific health cooperation" in english and "/subscribe" in english
    call = api.sent()[0]
    assert call["chat_id"] == USER and call["parse_mode"] == "HTML"
    assert "sub:on" in call["reply_markup"]  # the default-subscription button
    [help_] = await send(app, api, "/help")
    assert "/latest" in help_ and "/search" in help_ and "/addfeed" not in help_
    [operator_help] = await send(app, api, "/help", user=ADMIN)
    assert "/addfeed" in operator_help
    [korean] = await send(app, api, "/help", lang="ko-KR")
    assert "아시아·태평양" in korean and "/latest" in korean


async def test_topics_lists_the_twelve_slugs(app: BotApplication, api: FakeBotAPI) -> None:
    taxonomy = load_taxonomy()
    [text] = await send(app, api, "/topics")
    assert len(taxonomy) == 12
    for topic in taxonomy:
        assert f"<code>{topic.slug}</code>" in text
        assert topic.name in text
    [korean] = await send(app, api, "/topics", lang="ko")
    assert all(topic.name_ko in korean for topic in taxonomy)


async def test_latest_escapes_and_puts_relevant_first(app: BotApplication, api: FakeBotAPI) -> None:
    [text] = await send(app, api, "/latest")
    assert "<b>&lt;b&gt;Evil&lt;/b&gt; &amp; co</b>" in text
    assert EVIL not in text
    assert "WHO &lt;WPRO&gt;" in text  # the source feed, escaped
    assert "Universal health coverage · KR" in text
    assert 'href="https://news.example/evil?a=1&amp;b=2"' in text
    assert text.count("<a href=") == 5
    assert "Stock markets" not in text  # relevant and unclassified items come first
    assert "copy" not in text  # duplicates are left out
    assert text.index("Evil") < text.index("Korea and Indonesia") < text.index("Dengue")
    call = api.sent()[0]
    assert call["parse_mode"] == "HTML"
    assert '"is_disabled": true' in call["link_preview_options"]


async def test_latest_respects_n_and_refuses_bad_n(app: BotApplication, api: FakeBotAPI) -> None:
    [text] = await send(app, api, "/latest 2")
    assert text.count("<a href=") == 2
    [text] = await send(app, api, "/latest 20")
    assert text.count("<a href=") == 8
    for bad in ("/latest abc", "/latest 999", "/latest 0"):
        [reply] = await send(app, api, bad)
        assert reply == "Please give a number from 1 to 20, for example /latest 5."
    [reply] = await send(app, api, "/latest abc", lang="ko")
    assert "1부터 20" in reply


async def test_latest_without_a_model_is_newest_first(
    tmp_path: Path, api: FakeBotAPI, store: Store
) -> None:
    async with build_application(settings(tmp_path, api), store) as application:
        [text] = await send(application, api, "/latest 2")
    assert text.index("Stock markets rally") < text.index("Evil")
    assert text.count("<a href=") == 2


async def test_search_finds_items_by_all_words(app: BotApplication, api: FakeBotAPI) -> None:
    [text] = await send(app, api, "/search VACCINE dengue")
    assert text.count("<a href=") == 5
    assert "Evil" not in text
    [text] = await send(app, api, "/search evil co")
    assert "&lt;b&gt;Evil" in text and text.count("<a href=") == 1
    [reply] = await send(app, api, "/search <nothing>")
    assert reply == "Nothing found for: &lt;nothing&gt;"
    [usage] = await send(app, api, "/search")
    assert usage.startswith("Usage: /search WORDS")


async def test_stats_and_feeds_are_for_operators(app: BotApplication, api: FakeBotAPI) -> None:
    for command in ("/stats", "/feeds"):
        [refusal] = await send(app, api, command, user=USER)
        assert refusal == "Sorry, this command is for operators only."
    [stats] = await send(app, api, "/stats", user=ADMIN)
    assert "feeds OK: 1" in stats and "feeds failing: 0" in stats
    assert "items last 24 h: 9" in stats
    [feeds] = await send(app, api, "/feeds", user=ADMIN)
    assert "WHO &lt;WPRO&gt;" in feeds and "not polled yet" in feeds


async def test_unknown_command(app: BotApplication, api: FakeBotAPI) -> None:
    [reply] = await send(app, api, "/frobnicate now")
    assert reply == "Unknown command /frobnicate. Send /help to see what I can do."
    # free text in a private chat gets a one-line hint (issue #20; tests/test_alerts_quiet_hours.py)
    assert await send(app, api, "just chatting") == [
        "I answer commands (/help). Search the news for this?"
    ]


async def test_error_handler_logs_and_tells_the_operator(
    app: BotApplication, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("<db> & broken")

    app.add_handler(CommandHandler("boom", boom), group=-1)  # (group 0 also answers "unknown")
    with caplog.at_level(logging.ERROR, logger="monitor.telegram"):
        await send(app, api, "/boom")
    to_user = [m["text"] for m in api.sent() if m["chat_id"] == USER]
    assert any(t.startswith("Sorry, something went wrong") for t in to_user)
    [note] = [m for m in api.sent() if m["chat_id"] == ADMIN]
    assert note["parse_mode"] == "HTML"
    assert "RuntimeError: &lt;db&gt; &amp; broken" in note["text"]
    assert any(r.exc_info and "broken" in str(r.exc_info[1]) for r in caplog.records)


async def test_error_handler_reports_a_closed_store_without_admins(
    tmp_path: Path, api: FakeBotAPI, store: Store
) -> None:
    async with build_application(settings(tmp_path, api, admins=()), store) as application:
        (tmp_path / "m.db").unlink()
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"m.db{suffix}").unlink(missing_ok=True)
        store.close()
        (tmp_path / "m.db").mkdir()  # the database can no longer be opened
        texts = await send(application, api, "/latest")
    assert [m["chat_id"] for m in api.sent()] == [USER]
    assert texts[0].startswith("Sorry, something went wrong")


def test_build_application_settings(tmp_path: Path, api: FakeBotAPI, store: Store) -> None:
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    application = build_application(settings(tmp_path, api), store)
    assert logging.getLogger("httpx").level == logging.WARNING
    assert application.bot.base_url == f"{api.url}/bot123:TEST"
    assert isinstance(application.bot.rate_limiter, AIORateLimiter)
    with pytest.raises(ValueError, match="MONITOR_TELEGRAM_TOKEN"):
        build_application(Settings(tmp_path, tmp_path, "sqlite://"), store)
