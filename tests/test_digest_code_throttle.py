"""Confirmation-code mails are throttled per address in the database: chats cannot flood
an address, and a restart does not reset the count. Real SMTP server, Bot API stand-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import test_digest_telegram as harness
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from smtpserver import SmtpServer
from telegram.ext import Application

from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram.digest_commands import ADDRESS_WINDOW, CODES_PER_ADDRESS, register

api, smtp, store, clock, settings, app = (  # the /digest harness's fixtures, shared
    harness.api,
    harness.smtp,
    harness.store,
    harness.clock,
    harness.settings,
    harness.app,
)
ADDRESS = "minister@example.org"
BUSY = "Several codes were mailed to this address within the last hour."


async def test_five_groups_mailing_one_address_are_throttled_across_a_restart(
    app: Any,
    api: FakeBotAPI,
    smtp: SmtpServer,
    store: Store,
    settings: Settings,
    clock: FakeClock,
) -> None:
    replies = []
    for chat in range(1, 6):  # five chats, within a minute
        [reply] = await harness.send(app, api, f"/digest email {ADDRESS}", chat=chat)
        replies.append(reply)
        clock.advance(timedelta(seconds=10))
    assert len(smtp.messages) == CODES_PER_ADDRESS == 3
    assert all(r.startswith("I sent a 6-digit code") for r in replies[:3])
    assert all(r.startswith(BUSY) for r in replies[3:])
    [other] = await harness.send(app, api, "/digest email someone@example.org", chat=6)
    assert other.startswith("I sent a 6-digit code")  # other addresses are not held up

    # a restart: a new process, a new Store on the same database
    with Store.open(store.url) as restarted:
        application = Application.builder().token("123:TEST").base_url(f"{api.url}/bot").build()
        register(application, settings=settings, store=restarted, clock=clock)
        async with application:
            [reply] = await harness.send(application, api, f"/digest email {ADDRESS}", chat=7)
            assert reply.startswith(BUSY)
            clock.advance(ADDRESS_WINDOW)
            [reply] = await harness.send(application, api, f"/digest email {ADDRESS}", chat=7)
            assert reply.startswith("I sent a 6-digit code")
    assert len(smtp.messages) == 3 + 1 + 1
