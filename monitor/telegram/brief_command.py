"""``/brief KR VN [12m]``: a briefing pack in the chat — the summary, the newest stories, the file.

At most two messages (`monitor.brief.render.telegram_messages`: the summary, then
the timeline's newest stories with their links), then the whole brief as an HTML
document that opens in any browser and prints cleanly. The same stories as
``monitor brief KR VN --since 12m``: both call `monitor.brief.build.build_brief`.

Anyone may ask (it only reads). Parties and the period are parsed by a pure
function; an unknown name gets "did you mean" in the reader's language.
"""

from __future__ import annotations

import asyncio
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes

from classifiers.taxonomy import Taxonomy
from monitor.brief.build import build_brief
from monitor.brief.catalogue import BriefWords, brief_languages, brief_words
from monitor.brief.parties import MAX_PARTIES, Party, UnknownParty, resolve_parties
from monitor.brief.period import DEFAULT_SINCE, BadPeriod, is_duration, parse_since
from monitor.brief.render import render_html, telegram_messages
from monitor.clock import Clock
from monitor.digest.jobs import topic_names
from monitor.store import Store
from monitor.telegram.authorise import anyone
from monitor.telegram.context import user_language

HANDLER_GROUP: Final = -1  # beside /digest: answered before the catch-all "unknown command"
MAX_ARGS: Final = MAX_PARTIES + 1  # the parties and a period


@dataclass(frozen=True)
class BriefRequest:
    """What ``/brief`` was asked for."""

    parties: tuple[Party, ...]
    since: str  # a duration: 30d, 6w, 12m, 1y


class BadRequest(ValueError):
    """``/brief`` arguments that make no brief; `text` is the reply in the reader's language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def parse_brief_args(args: Sequence[str], w: BriefWords) -> BriefRequest:
    """``KR VN 12m`` → the parties and the period (pure).

    Raises:
        BadRequest: no parties, too many, an unknown name or a bad period.
    """
    words = [a for a in args if a.strip()]
    since = DEFAULT_SINCE
    if words and is_duration(words[-1]):
        since = words.pop().strip()
    if not words:
        raise BadRequest(w("bot_usage"))
    if len(words) > MAX_PARTIES:
        raise BadRequest(w("bot_too_many", n=MAX_PARTIES))
    try:
        parties = resolve_parties(words)
    except UnknownParty as exc:
        text = w("bot_unknown", name=exc.name[:40])
        if exc.suggestion:
            text += " " + w("bot_did_you_mean", suggestion=exc.suggestion)
        raise BadRequest(text) from None
    return BriefRequest(parties, since)


class BriefCommand:
    """Answers ``/brief``."""

    def __init__(
        self, store: Store, clock: Clock, taxonomy: Taxonomy, model_id: str | None
    ) -> None:
        self.store = store
        self.clock = clock
        self.taxonomy = taxonomy
        self.model_id = model_id

    @anyone  # it only reads
    async def brief(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send the brief of the parties named: summary, newest stories, the HTML file."""
        message = update.effective_message
        if message is None:
            raise ApplicationHandlerStop
        w = brief_words(await self._language(update))
        try:
            request = parse_brief_args((context.args or [])[:MAX_ARGS], w)
            now = self.clock.now()
            since = parse_since(request.since, now)
        except BadRequest as exc:
            await _reply(update, html.escape(exc.text))
            raise ApplicationHandlerStop from None
        except BadPeriod:
            await _reply(update, html.escape(w("bot_bad_period", value=request.since)))
            raise ApplicationHandlerStop from None
        made = await asyncio.to_thread(
            build_brief,
            self.store,
            request.parties,
            since=since,
            until=now,
            language=w.language,
            model_id=self.model_id,
        )
        names = topic_names(self.taxonomy, w.language)
        for text in telegram_messages(made, topic_names=names):
            await _reply(update, text)
        if made.stories:
            page = await asyncio.to_thread(render_html, made, topic_names=names, today=now.date())
            name = "brief-" + "-".join(p.id for p in request.parties) + f"-{now:%Y%m%d}.html"
            await message.reply_document(
                io.BytesIO(page.encode("utf-8")),
                filename=name,
                caption=w("telegram_document"),
                do_quote=False,
            )
        raise ApplicationHandlerStop

    async def _language(self, update: Update) -> str:
        """The chat's UI language (its subscription's, else the sender's), if a brief has it."""
        chat = update.effective_chat
        language = user_language(update)
        if chat is not None:
            subscription = await asyncio.to_thread(self.store.subscription, chat.id)
            if subscription is not None:
                language = subscription.ui_language
        return language if language in brief_languages() else "en"


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, disable_web_page_preview=True, do_quote=False
        )


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    store: Store,
    clock: Clock,
    taxonomy: Taxonomy,
    model_id: str | None,
) -> None:
    """Add ``/brief`` to `application`."""
    command = BriefCommand(store, clock, taxonomy, model_id)
    application.add_handler(CommandHandler("brief", command.brief), group=HANDLER_GROUP)
