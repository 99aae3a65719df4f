"""/digest in Telegram through the local fake Bot API, codes mailed to a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from digestdata import KO_TITLE, MODEL, digest_settings, populate
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from smtpserver import SmtpServer
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from monitor.digest.jobs import digest_sender
from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram.digest_commands import (
    DigestCommand,
    code_hash,
    parse_digest_args,
    register,
)

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
CHAT = 555
OTHER = 666


def test_parse_digest_args() -> None:
    assert parse_digest_args([]) == DigestCommand("show")
    assert parse_digest_args(["email", "a@b.co"]) == DigestCommand("email", "a@b.co")
    assert parse_digest_args(["confirm", "123456"]) == DigestCommand("confirm", "123456")
    assert parse_digest_args(["123456"]) == DigestCommand("confirm", "123456")
    assert parse_digest_args(["time", "07:30"]) == DigestCommand("time", "07:30")
    assert parse_digest_args(["TIME", "7:30", "Asia/Seoul"]) == DigestCommand(
        "time", "7:30", "Asia/Seoul"
    )
    assert parse_digest_args(["off"]) == DigestCommand("off")
    for nonsense in (["email"], ["time"], ["off", "now"], ["please"]):
        assert parse_digest_args(nonsense) == DigestCommand("help")
    assert code_hash(1, "123456") != code_hash(2, "123456")  # a code is bound to its chat


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path}/m.db") as opened:
        populate(opened, NOW - timedelta(hours=1))
        yield opened


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def settings(tmp_path: Path, store: Store, smtp: SmtpServer, api: FakeBotAPI) -> Settings:
    return digest_settings(
        tmp_path,
        store.url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        telegram_token="123:TEST",
        telegram_api_url=api.url,
        timezone="Asia/Seoul",
    )


@pytest.fixture
async def app(
    settings: Settings, store: Store, clock: FakeClock, api: FakeBotAPI
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = Application.builder().token("123:TEST").base_url(f"{api.url}/bot").build()
    register(application, settings=settings, store=store, clock=clock)

    async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("UNKNOWN")

    application.add_handler(MessageHandler(filters.ALL, unknown))  # the bot's catch-all
    async with application:
        yield application


_update_id = 0


async def send(app: Any, api: FakeBotAPI, text: str, *, chat: int = CHAT, lang: str = "en"):
    global _update_id
    _update_id += 1
    command = text.split()[0] if text.startswith("/") else ""
    payload = {
        "update_id": _update_id,
        "message": {
            "message_id": _update_id,
            "date": int(NOW.timestamp()),
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "U", "language_code": lang},
            "text": text,
            "entities": (
                [{"type": "bot_command", "offset": 0, "length": len(command)}] if command else []
            ),
        },
    }
    api.clear()
    await app.process_update(Update.de_json(payload, app.bot))
    return [m["text"] for m in api.sent()]


def code_in(smtp: SmtpServer) -> str:
    body = smtp.messages[-1].get_body(("plain",))
    assert body is not None
    match = re.search(r"\b(\d{6})\b", body.get_content())
    assert match is not None
    return match.group(1)


async def test_email_is_confirmed_by_the_code_before_anything_is_mailed(
    app: Any, api: FakeBotAPI, smtp: SmtpServer, store: Store, settings: Settings, clock
) -> None:
    [reply] = await send(app, api, "/digest email Kim@Example.org")
    assert "I sent a 6-digit code to kim@example.org" in reply
    [code_mail] = smtp.messages
    assert smtp.envelopes[0][1] == ["kim@example.org"]
    assert code_mail["Subject"].startswith("Your digest confirmation code: ")
    code = code_in(smtp)
    assert store.recipient("kim@example.org") is None  # not a recipient until confirmed
    # a digest run now mails nothing there
    sender = digest_sender(settings, store, model_id=MODEL, clock=clock)
    assert await sender.run_due() == []  # 15:00 in Seoul, past 08:00: still nothing
    wrong = "000000" if code != "000000" else "111111"
    [reply] = await send(app, api, f"/digest confirm {wrong}")
    assert reply.startswith("That code is wrong or expired")
    [reply] = await send(app, api, f"/digest confirm {code}", chat=OTHER)  # another chat
    assert reply.startswith("There is no code waiting")
    [reply] = await send(app, api, f"/digest confirm {code}")
    assert reply.startswith("Confirmed: kim@example.org gets the daily 08:00 Asia/Seoul digest")
    recipient = store.recipient("kim@example.org")
    assert recipient is not None and recipient.confirmed and recipient.chat_id == CHAT
    assert len(smtp.messages) == 1  # only the code so far
    [reply] = await send(app, api, f"/digest confirm {code}")  # used up
    assert reply.startswith("There is no code waiting")


async def test_a_wrong_or_expired_code_mails_nothing(
    app: Any, api: FakeBotAPI, smtp: SmtpServer, store: Store, settings: Settings, clock
) -> None:
    await send(app, api, "/digest email kim@example.org")
    code = code_in(smtp)
    clock.advance(timedelta(minutes=31))
    [reply] = await send(app, api, f"/digest confirm {code}")
    assert reply.startswith("That code is wrong or expired")
    assert store.recipient("kim@example.org") is None
    # too many wrong tries use a code up as well
    clock.advance(timedelta(minutes=2))
    await send(app, api, "/digest email kim@example.org")
    code = code_in(smtp)
    for _ in range(5):
        await send(app, api, "/digest confirm 99999x" if code == "999999" else "/digest 999999")
    [reply] = await send(app, api, f"/digest confirm {code}")
    assert "no code waiting" in reply or "wrong or expired" in reply
    assert store.recipient("kim@example.org") is None
    sender = digest_sender(settings, store, model_id=MODEL, clock=clock)
    clock.advance(timedelta(days=1))
    assert await sender.run_due() == []
    assert len(smtp.messages) == 2  # the two code mails, nothing else


async def test_bare_code_time_off_and_on(
    app: Any, api: FakeBotAPI, smtp: SmtpServer, store: Store
) -> None:
    assert await send(app, api, "123456") == ["UNKNOWN"]  # no code pending: not ours
    [reply] = await send(app, api, "/digest time 07:30")
    assert reply.startswith("This chat has no e-mail digest yet")
    await send(app, api, "/digest email kim@example.org", lang="ko")
    [reply] = await send(app, api, code_in(smtp), lang="ko")
    assert reply.startswith("확인되었습니다.")
    [reply] = await send(app, api, "/digest time 7:45 Asia/Jakarta")
    assert "daily 07:45 Asia/Jakarta" in reply
    [reply] = await send(app, api, "/digest time 25:00")
    assert "time of day" in reply
    [reply] = await send(app, api, "/digest off")
    assert "껐습니다" in reply  # the recipient's language is Korean now
    recipient = store.recipient("kim@example.org")
    assert recipient is not None and not recipient.active and recipient.language == "ko"
    await send(app, api, "/digest on")
    recipient = store.recipient("kim@example.org")
    assert recipient is not None and recipient.active
    [usage] = await send(app, api, "/digest please")
    assert "/digest email" in usage
    [reply] = await send(app, api, "/digest email not-an-address", chat=OTHER)
    assert "does not look like an e-mail address" in reply


async def test_codes_are_not_mailed_in_a_burst(app: Any, api: FakeBotAPI, smtp: SmtpServer) -> None:
    await send(app, api, "/digest email kim@example.org")
    [reply] = await send(app, api, "/digest email kim@example.org")
    assert reply.startswith("A code was sent a moment ago")
    assert len(smtp.messages) == 1


async def test_digest_alone_shows_todays_digest(app: Any, api: FakeBotAPI) -> None:
    texts = await send(app, api, "/digest")
    assert texts and texts[0].startswith("<b>Health cooperation digest</b> — 3 Dec 2026")
    joined = "\n".join(texts)
    assert KO_TITLE in joined and "&lt;script&gt;" in joined
    assert "UNKNOWN" not in joined  # the catch-all never answers /digest too
    [korean, *_] = await send(app, api, "/digest", lang="ko")
    assert korean.startswith("<b>보건 협력 다이제스트</b>")
