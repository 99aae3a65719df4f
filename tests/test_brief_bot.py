"""/brief through the Bot API stand-in: the bot started as the service starts it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import briefdata
import pytest
from fakebotapi import FakeBotAPI
from fakes import FakeClock

from monitor.brief.catalogue import brief_words
from monitor.brief.parties import COUNTRY, Party
from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram import BotApplication, build_application
from monitor.telegram.brief_command import BadRequest, BriefRequest, parse_brief_args

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
USER = 7
EN = brief_words("en")


def test_parse_brief_args() -> None:
    kr, vn = Party(COUNTRY, "KR"), Party(COUNTRY, "VN")
    assert parse_brief_args(["KR", "VN"], EN) == BriefRequest((kr, vn), "12m")
    assert parse_brief_args(["Korea", "베트남", "30d"], EN) == BriefRequest((kr, vn), "30d")
    with pytest.raises(BadRequest, match="/brief COUNTRY"):
        parse_brief_args([], EN)
    with pytest.raises(BadRequest, match="/brief COUNTRY"):
        parse_brief_args(["6m"], EN)
    with pytest.raises(BadRequest, match="At most 8"):
        parse_brief_args(["KR"] * 9, EN)
    with pytest.raises(BadRequest, match=r"“Vietnem”.*Did you mean “vietnam”"):
        parse_brief_args(["KR", "Vietnem"], EN)


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(tmp_path: Path, api: FakeBotAPI) -> AsyncIterator[BotApplication]:
    url = f"sqlite:///{tmp_path}/bot.db"
    with Store.open(url) as store:
        briefdata.populate(store, NOW)
        settings = Settings(
            feeds_path=tmp_path / "feeds.toml",
            data_dir=tmp_path,
            database_url=url,
            telegram_token="123:TEST",
            telegram_api_url=api.url,
        )
        application = build_application(
            settings, store, model_id=briefdata.MODEL, clock=FakeClock(NOW)
        )
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling()
            try:
                yield application
            finally:
                await application.updater.stop()
                await application.stop()


async def ask(api: FakeBotAPI, text: str, *, lang: str = "en", documents: int = 0) -> list[str]:
    """Send `text`; the texts of the bot's answers once the last (a document or a text) came."""
    before = len(api.calls("sendMessage"))
    api.send_text(text, user=USER, lang=lang)

    def done(reqs: list[tuple[str, dict[str, Any]]]) -> bool:
        if documents:
            return sum(m == "sendDocument" for m, _ in reqs) >= documents
        return sum(m == "sendMessage" for m, _ in reqs) > before

    await asyncio.to_thread(api.wait_for, done)
    return [p["text"] for p in api.calls("sendMessage")[before:]]


async def test_brief_answers_with_the_summary_the_newest_stories_and_the_file(
    bot: BotApplication, api: FakeBotAPI
) -> None:
    texts = await ask(api, "/brief KR VN", documents=1)
    assert len(texts) == 2  # the summary, the timeline; then the document: three messages
    summary, timeline = texts
    assert "Health cooperation brief: Korea – Viet Nam" in summary
    assert "7 cooperation stories from 9 reports" in summary
    for key in briefdata.INCLUDED:
        first = next(s for s in briefdata.STORIES if s.key == key).reports[0]
        assert f'href="https://news.example/{first.guid}"' in timeline
    for key in briefdata.LEFT_OUT:
        assert briefdata.HEADLINES[key] not in timeline
    assert timeline.index("renew digital health MOU") < timeline.index("sign MOU on digital")
    [document] = api.calls("sendDocument")
    name, content = document["document"]
    assert name == "brief-KR-VN-20261206.html"
    page = content.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "https://news.example/mou-vi" in page
    assert "Korea, Thailand" not in page


async def test_brief_in_korean_with_a_period(bot: BotApplication, api: FakeBotAPI) -> None:
    texts = await ask(api, "/brief 한국 베트남 30d", lang="ko", documents=1)
    assert "보건 협력 브리핑: 한국 – 베트남" in texts[0]
    assert "협력 사안 1건" in texts[0]
    assert "renew digital health MOU" in texts[1]
    assert "sign MOU on digital" not in texts[1]


async def test_unknown_names_and_no_arguments(bot: BotApplication, api: FakeBotAPI) -> None:
    [reply] = await ask(api, "/brief KR Vietnem")
    assert reply == "I do not know the country or organisation “Vietnem”. Did you mean “vietnam”?"
    [reply] = await ask(api, "/brief")
    assert reply.startswith("/brief COUNTRY COUNTRY|ORGANISATION")
    [reply] = await ask(api, "/brief VN WHO")  # known parties, nothing between them here
    assert "No cooperation stories between these parties" in reply
    assert api.calls("sendDocument") == []
