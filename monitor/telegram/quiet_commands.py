"""When alerts reach a chat: /timezone, /quiet (typed or a keyboard), and the free-text hint.

``/timezone ZONE`` stores the chat's zone (`zones.parse_zone`); alert times,
/latest, the mute's end, the quiet window and the chat's digest use it. Until set
it is guessed from the UI language (`Subscription.zone`).

``/quiet 22:00-07:00`` sets the quiet window in that zone: ordinary alerts inside it
are sent silently; ``/quiet hold`` holds them for one summary when it ends; ``/quiet
off`` ends quiet hours; ``/quiet`` alone shows the setting with a keyboard of common
windows. The policy itself is `monitor.alerts.quiet`'s.

A free-text message in a private chat gets a one-line hint; a short text that reads
like a search gets a button that runs ``/search`` with it. The words travel in the
button's callback data (at most Telegram's 64 bytes, cut between words), so nothing
is kept here; a crafted button can only search, which anyone may.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from datetime import time
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from monitor.alerts import quiet
from monitor.models import Subscription
from monitor.telegram import i18n, messages
from monitor.telegram.authorise import admins_only, anyone
from monitor.telegram.commands import Commands
from monitor.telegram.context import BotContext, reply
from monitor.telegram.messages import quiet_line, zone_line
from monitor.telegram.zones import parse_zone

QUIET_PREFIX: Final = "quiet:"
SEARCH_PREFIX: Final = "hint:s:"
CALLBACK_BYTES: Final = 64  # Telegram's limit on callback data
PRESETS: Final = ("22:00-07:00", "23:00-07:00", "21:00-06:00", "00:00-08:00")
SEARCH_MAX_WORDS: Final = 8  # longer texts read like a message, not a search
SEARCH_MAX_CHARS: Final = 100
_CLOCK = r"(\d{1,2})(?::(\d{2}))?"
_WINDOW = re.compile(rf"^{_CLOCK}\s*[-–~]\s*{_CLOCK}$")


@dataclass(frozen=True)
class QuietChange:
    """What ``/quiet ARGS`` asks: show, off, or a window and/or the hold mode."""

    action: str  # "show" | "off" | "set"
    start: time | None = None
    end: time | None = None
    hold: bool | None = None  # None: keep the mode, unless a window is given (silent)


def parse_quiet(args: list[str]) -> QuietChange:
    """``[]``, ``off``, ``hold``, ``silent``, ``HH:MM-HH:MM`` (or ``22-7``), ``hold HH-HH``.

    Raises:
        ValueError: anything else (the message names it).
    """
    words = [a.casefold() for a in args]
    if not words:
        return QuietChange("show")
    if words in (["off"], ["끄기"]):
        return QuietChange("off")
    hold: bool | None = None
    if words[0] in ("hold", "보류"):
        hold, words = True, words[1:]
    elif words[0] in ("silent", "무음"):
        hold, words = False, words[1:]
    if not words:
        return QuietChange("set", hold=hold)
    found = _WINDOW.match("".join(words))
    if not found:
        raise ValueError(f"{' '.join(args)!r} is not a window such as 22:00-07:00")
    start = _clock(found.group(1), found.group(2))
    end = _clock(found.group(3), found.group(4))
    if start == end:
        raise ValueError("the window starts and ends at the same time")
    return QuietChange("set", start, end, hold if hold is not None else False)


def _clock(hours: str, minutes: str | None) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        h = 0
    if h > 23 or m > 59:
        raise ValueError(f"{hours}:{minutes or '00'} is not a time of day")
    return time(h, m)


def quiet_keyboard(lang: str, sub: Subscription) -> InlineKeyboardMarkup:
    """Common windows, hold or silent, and off."""
    windows = [
        InlineKeyboardButton(p.replace("-", "–"), callback_data=QUIET_PREFIX + p) for p in PRESETS
    ]
    mode = "silent" if sub.quiet_hold else "hold"
    rows = [windows[:2], windows[2:]]
    rows.append(
        [
            InlineKeyboardButton(
                i18n.text(lang, f"kb_quiet_{mode}"), callback_data=QUIET_PREFIX + mode
            ),
            InlineKeyboardButton(
                i18n.text(lang, "kb_quiet_off"), callback_data=QUIET_PREFIX + "off"
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


def looks_like_search(text: str) -> bool:
    """A few words, no sentence: what someone would type into a search box."""
    words = text.split()
    return (
        0 < len(words) <= SEARCH_MAX_WORDS
        and len(text) <= SEARCH_MAX_CHARS
        and any(c.isalpha() for c in text)
        and not text.rstrip().endswith(("?", "？"))
    )


def search_words(text: str) -> str:
    """`text`'s words, as many whole ones as fit in a button's callback data ("" if none)."""
    room = CALLBACK_BYTES - len(SEARCH_PREFIX.encode())
    kept: list[str] = []
    for word in text.split():
        if len(" ".join([*kept, word]).encode()) > room:
            break
        kept.append(word)
    return " ".join(kept)


class QuietCommands:
    """The handlers of /timezone, /quiet, its keyboard and the free-text hint."""

    def __init__(self, bot: BotContext, commands: Commands) -> None:
        self.bot = bot
        self.commands = commands

    async def ui_language(self, update: Update) -> str:
        """The chat's UI language (what `authorise` answers a refusal in)."""
        return await self.bot.lang(update)

    @admins_only(when=lambda update, context: bool(context.args))
    async def timezone(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/timezone Asia/Seoul`` (KST, Seoul, +09:00); alone: the chat's zone."""
        sub = await self.bot.subscription(update)
        lang = await self.bot.lang(update, sub)
        args = context.args or []
        if not args:
            shown = sub or Subscription(0, ui_language=lang)
            text = zone_line(shown, lang) + "\n" + messages.plain(lang, "timezone_usage")
            await reply(update, text)
            return
        try:
            zone = parse_zone(" ".join(args))
        except ValueError as exc:
            usage = messages.plain(lang, "timezone_usage")
            await reply(update, f"{messages.plain(lang, 'bad_value', reason=str(exc))}\n{usage}")
            return
        # a chat that only sets its zone gets an inactive row: settings, no alerts
        base = sub or Subscription(
            update.effective_chat.id if update.effective_chat else 0, ui_language=lang, active=False
        )
        saved = await self.bot.save(update, replace(base, timezone=zone))
        await asyncio.to_thread(self._digest_follows, saved.chat_id, zone)
        now = messages.format_time(self.bot.clock.now(), zone)
        await reply(update, messages.plain(lang, "timezone_set", zone=zone, now=now))

    def _digest_follows(self, chat_id: int, zone: str) -> None:
        """The chat's digest (if it has one) is sent at its time in the new zone."""
        recipient = self.bot.store.recipient_for_chat(chat_id)
        if recipient is not None and recipient.timezone != zone:
            self.bot.store.save_recipient(replace(recipient, timezone=zone), self.bot.clock.now())

    @admins_only(when=lambda update, context: bool(context.args))
    async def quiet(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/quiet 22:00-07:00``, ``/quiet hold``, ``/quiet off``; alone: the setting."""
        sub = await self.bot.subscription(update)
        lang = await self.bot.lang(update, sub)
        try:
            change = parse_quiet(context.args or [])
        except ValueError as exc:
            usage = messages.plain(lang, "quiet_usage")
            await reply(update, f"{messages.plain(lang, 'bad_value', reason=str(exc))}\n{usage}")
            return
        if sub is None:
            await reply(update, messages.plain(lang, "not_subscribed"))
            return
        if change.action == "show":
            line = quiet_line(sub, lang) or messages.plain(lang, "quiet_none")
            text = f"{line}\n{messages.plain(lang, 'quiet_usage')}"
            await reply(update, text, quiet_keyboard(lang, sub))
            return
        await self._apply(update, sub, lang, change)

    @admins_only()
    async def quiet_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button of the /quiet keyboard."""
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        sub = await self.bot.subscription(update)
        lang = await self.bot.lang(update, sub)
        data = (query.data or "").removeprefix(QUIET_PREFIX)
        try:
            if data not in (*PRESETS, "hold", "silent", "off"):
                raise ValueError(f"unknown quiet button {data!r}")
            change = parse_quiet([data])
        except ValueError:  # crafted or out of date: nothing is stored
            await query.answer(i18n.text(lang, "button_unknown"))
            return
        if sub is None:
            await query.answer(i18n.text(lang, "not_subscribed"))
            return
        await self._apply(update, sub, lang, change)
        await query.answer(i18n.text(lang, "updated"))

    async def _apply(
        self, update: Update, sub: Subscription, lang: str, change: QuietChange
    ) -> None:
        if change.action == "off":
            sub = replace(sub, quiet_start=None, quiet_end=None, quiet_hold=False)
            await self.bot.save(update, sub)
            await reply(update, messages.plain(lang, "quiet_off"))
            return
        if change.start is not None:
            sub = replace(sub, quiet_start=change.start, quiet_end=change.end)
        if change.hold is not None:
            sub = replace(sub, quiet_hold=change.hold)
        if sub.quiet_start is None:
            await reply(update, messages.plain(lang, "quiet_no_window"))
            return
        sub = await self.bot.save(update, sub)
        now = self.bot.clock.now()
        key = "quiet_now" if quiet.quiet_now(sub, now) else "quiet_later"
        text = quiet_line(sub, lang) + "\n" + messages.plain(lang, key)
        await reply(update, text)

    @anyone  # it changes nothing: a hint, and a button that runs /search
    async def free_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A free-text message in a private chat: one line saying what to do."""
        message = update.effective_message
        text = (message.text or "").strip() if message else ""
        lang = await self.bot.lang(update)
        words = search_words(text) if looks_like_search(text) else ""
        if words:
            button = InlineKeyboardButton(
                i18n.text(lang, "hint_search_button", words=words),
                callback_data=SEARCH_PREFIX + words,
            )
            hint = messages.plain(lang, "hint_search")
            await reply(update, hint, InlineKeyboardMarkup([[button]]), quote=True)
            return
        await reply(update, messages.plain(lang, "hint_free_text"))

    @anyone  # a search reads; it changes nothing
    async def search_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The hint's button: /search with the words it carries."""
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        words = (query.data or "").removeprefix(SEARCH_PREFIX).split()
        await query.answer()
        if words:
            context.args = words
            await self.commands.search(update, context)
