"""Digest mail through a real SMTP server on 127.0.0.1 (aiosmtpd): MIME, retries, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from cli_runner import Monitor
from digestdata import (
    EVIL_TITLE,
    JA_TITLE,
    KO_TITLE,
    MODEL,
    STORIES,
    TH_TITLE,
    ZH_TITLE,
    digest_settings,
    populate,
    url_of,
)
from fakes import FakeClock
from smtpserver import SmtpServer

from classifiers.taxonomy import load_taxonomy
from monitor.digest.jobs import DigestBuilder, DigestSender
from monitor.digest.mail import OutboxMailer, SmtpMailer, mailer_for
from monitor.models import DEFERRED, FAILED, SENT, Recipient
from monitor.settings import Settings
from monitor.store import Store

SEND_AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
KIM = Recipient("kim@example.org", send_time=time(8, 0), timezone="UTC", token="kim-token")


async def no_sleep(seconds: float) -> None:
    """The backoff's waits, skipped: tests never sleep."""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Store]:
    with Store.open(sqlite_url) as store:
        populate(store, SEND_AT - timedelta(minutes=5))
        yield store


def sender_for(settings: Settings, store: Store, clock: FakeClock, mailer=None) -> DigestSender:
    builder = DigestBuilder(settings, store, load_taxonomy(), model_id=MODEL)
    mailer = mailer or SmtpMailer.from_settings(settings, sleep=no_sleep, wait_s=0.01)
    return DigestSender(builder, mailer, clock, store=store)


def smtp_settings(tmp_path: Path, store: Store, smtp: SmtpServer, **kw: object) -> Settings:
    return digest_settings(
        tmp_path,
        store.url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        **kw,
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


async def test_a_digest_arrives_once_as_valid_mime(
    tmp_path: Path, db: Store, smtp: SmtpServer
) -> None:
    db.save_recipient(KIM, SEND_AT)
    settings = smtp_settings(tmp_path, db, smtp, public_url="https://monitor.example")
    clock = FakeClock(SEND_AT + timedelta(seconds=1))
    sender = sender_for(settings, db, clock)
    [outcome] = await sender.run_due()
    assert (outcome.status, outcome.items) == (SENT, 5)
    assert await sender.run_due() == []  # the same period again: nothing
    clock.advance(timedelta(hours=6))
    assert await sender.run_due() == []
    [message] = smtp.messages
    assert smtp.envelopes == [("digest@monitor.example", ["kim@example.org"])]
    # MIME: multipart/alternative, text then HTML, UTF-8
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    assert message["Subject"] == "Health cooperation digest — 3 Dec 2026 — 5 items"
    assert "=?utf-8?" in smtp.raw[0].decode("ascii").split("Subject:", 1)[1].split("\n")[0]
    assert smtp.raw[0].isascii()  # every header and body encoded for any transport
    assert message["To"] == "kim@example.org"
    assert message["From"].addresses[0].addr_spec == "digest@monitor.example"
    assert message["Message-ID"].endswith("@monitor.example>")
    assert message["List-Unsubscribe"] == (
        "<https://monitor.example/unsubscribe?token=kim-token>, "
        "<mailto:digest@monitor.example?subject=unsubscribe%20kim-token>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    for title in (KO_TITLE, ZH_TITLE, JA_TITLE, TH_TITLE):
        assert title in text and title in html
    assert EVIL_TITLE in text and "<script>" not in html
    assert url_of("ko") in text and url_of("ko").replace("&", "&amp;") in html
    assert "https://monitor.example/unsubscribe?token=kim-token" in html
    entry = db.digest_entry("kim@example.org", "daily:2026-12-03")
    assert entry is not None and entry.status == SENT and entry.message_id == message["Message-ID"]


async def test_451_twice_then_accepted_is_delivered_once(
    tmp_path: Path, db: Store, smtp: SmtpServer
) -> None:
    db.save_recipient(KIM, SEND_AT)
    smtp.data_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    sender = sender_for(smtp_settings(tmp_path, db, smtp), db, FakeClock(SEND_AT))
    [outcome] = await sender.run_due()
    assert outcome.status == SENT
    assert smtp.attempts == 3 and len(smtp.messages) == 1
    assert await sender.run_due() == [] and len(smtp.messages) == 1


async def test_550_is_recorded_as_failed_and_others_are_served(
    tmp_path: Path, db: Store, smtp: SmtpServer, monitor: Monitor
) -> None:
    for r in (KIM, Recipient("gone@example.org"), Recipient("lee@example.org")):
        db.save_recipient(r, SEND_AT)
    smtp.refuse["gone@example.org"] = "550 5.1.1 No such user"
    clock = FakeClock(SEND_AT + timedelta(minutes=1))
    sender = sender_for(smtp_settings(tmp_path, db, smtp), db, clock)
    outcomes = {o.email: o for o in await sender.run_due()}
    assert {e: o.status for e, o in outcomes.items()} == {
        "gone@example.org": FAILED,
        "kim@example.org": SENT,
        "lee@example.org": SENT,
    }
    assert "550" in (outcomes["gone@example.org"].error or "")
    assert [rcpts for _, rcpts in smtp.envelopes] == [["kim@example.org"], ["lee@example.org"]]
    clock.advance(timedelta(hours=1))
    assert await sender.run_due() == []  # a refused address is not hammered again today
    [failed] = db.digest_log(statuses=[FAILED])
    assert failed.email == "gone@example.org" and "No such user" in (failed.error or "")
    result = monitor("stats", MONITOR_DATABASE_URL=db.url)
    assert "failed digests" in result.output
    assert "gone@example.org" in result.output and "550 5.1.1 No such user" in result.output


async def test_an_outage_defers_and_the_next_sweep_delivers(
    tmp_path: Path, db: Store, smtp: SmtpServer
) -> None:
    db.save_recipient(KIM, SEND_AT)
    smtp.data_replies = ["421 4.3.2 Service shutting down"] * 5
    clock = FakeClock(SEND_AT)
    sender = sender_for(smtp_settings(tmp_path, db, smtp), db, clock)
    [outcome] = await sender.run_due()
    assert outcome.status == DEFERRED and "after 5 attempts" in (outcome.error or "")
    assert smtp.messages == []
    clock.advance(timedelta(minutes=5))
    [outcome] = await sender.run_due()
    assert outcome.status == SENT and len(smtp.messages) == 1
    entry = db.digest_entry("kim@example.org", "daily:2026-12-03")
    assert entry is not None and entry.attempts == 2


async def test_an_unreachable_server_defers(tmp_path: Path, db: Store) -> None:
    from smtpserver import free_port

    db.save_recipient(KIM, SEND_AT)
    settings = digest_settings(
        tmp_path, db.url, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none"
    )
    [outcome] = await sender_for(settings, db, FakeClock(SEND_AT)).run_due()
    assert outcome.status == DEFERRED


async def test_without_smtp_digests_become_eml_files(tmp_path: Path, db: Store) -> None:
    db.save_recipient(KIM, SEND_AT)
    settings = digest_settings(tmp_path, db.url)
    mailer = mailer_for(settings)
    assert isinstance(mailer, OutboxMailer)
    [outcome] = await sender_for(settings, db, FakeClock(SEND_AT), mailer).run_due()
    path = Path(outcome.where)
    assert outcome.status == SENT and path.parent == tmp_path / "data" / "outbox"
    from email import message_from_bytes

    message = message_from_bytes(await asyncio.to_thread(path.read_bytes), policy=default)
    assert isinstance(message, EmailMessage)
    text, _ = parts(message)
    assert KO_TITLE in text


def test_monitor_digest_preview_and_send(monitor: Monitor, smtp: SmtpServer) -> None:
    now = datetime.now(UTC)
    with Store.open(monitor.database_url) as store:
        populate(store, now)
    result = monitor("digest")
    assert result.exit_code == 0, result.output
    assert "Subject: Health cooperation digest" in result.output
    assert KO_TITLE in result.output and "HTML preview:" in result.output
    assert list((monitor.data_dir / "outbox" / "preview").glob("*.html"))
    assert monitor("recipients", "add", "kim@example.org", "--timezone", "UTC").exit_code == 0
    # without SMTP: an .eml file, and the console says where
    result = monitor("digest", "--send", "--to", "kim@example.org")
    assert result.exit_code == 0, result.output
    assert "kim@example.org: sent" in result.output and "outbox" in result.output
    again = monitor("digest", "--send", "--to", "kim@example.org")
    assert "already sent" in again.output
    # with SMTP, to an address that is no recipient (a one-off)
    result = monitor("digest", "--send", "--to", "Guest@Example.org", **smtp.settings_env())
    assert result.exit_code == 0, result.output
    assert "guest@example.org: sent" in result.output
    assert [rcpts for _, rcpts in smtp.envelopes] == [["guest@example.org"]]


async def test_a_broken_recipient_does_not_stop_the_others(
    tmp_path: Path, db: Store, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    db.save_recipient(Recipient("broken@example.org", timezone="Mars/Olympus_Mons"), SEND_AT)
    db.save_recipient(KIM, SEND_AT)
    sender = sender_for(smtp_settings(tmp_path, db, smtp), db, FakeClock(SEND_AT))
    outcomes = await sender.run_due()
    assert [(o.email, o.status) for o in outcomes] == [("kim@example.org", SENT)]
    assert "broken@example.org" in caplog.text


def test_the_same_story_in_two_languages_is_one_by_stored_embeddings(
    tmp_path: Path, db: Store
) -> None:
    db.save_embedding("hash-ko", MODEL, [1.0, 0.0, 0.0], SEND_AT)
    db.save_embedding("hash-ja", MODEL, [0.95, 0.3122, 0.0], SEND_AT)  # cosine 0.95
    # the alerts' story rule also wants the same countries and a shared topic
    korean_labels = next(s.labels for s in STORIES if s.guid == "ko")
    db.save_labels("hash-ja", MODEL, replace(korean_labels, language="ja"), SEND_AT)
    db.save_embedding("hash-zh", MODEL, [0.0, 1.0, 0.0], SEND_AT)
    builder = DigestBuilder(digest_settings(tmp_path, db.url), db, load_taxonomy(), model_id=MODEL)
    from monitor.digest.compose import period_ending

    digest = builder.compose(KIM, period_ending(KIM, SEND_AT))
    [korean] = [s for g in digest.groups for s in g.stories if s.title == KO_TITLE]
    assert {r.title for r in korean.others} == {JA_TITLE, KO_TITLE + " (종합)"}
    assert digest.story_count == 4
    assert db.latest_model_id() == MODEL  # what `monitor digest` (no classifier) links with
    no_model = DigestBuilder(digest_settings(tmp_path, db.url), db, load_taxonomy())
    assert no_model.compose(KIM, period_ending(KIM, SEND_AT)).story_count == 4
