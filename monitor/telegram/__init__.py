"""The Telegram bot: read-only commands over the store (subscriptions come later).

`build_application(settings, store)` returns a python-telegram-bot `Application`
whose handlers answer /start, /help, /topics, /latest [N], /search WORDS and,
for operators (ids in ``settings.telegram_admins``), /stats and /feeds.
Replies are HTML with every stored value escaped. Argument parsing and message
formatting are pure functions, tested directly; the handlers only glue them to
the store (read in a worker thread, so the event loop never waits on SQL).
"""

from __future__ import annotations

import asyncio
import html
import importlib.util
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC
from typing import Any

from telegram import Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from classifiers.base import Labels
from classifiers.taxonomy import Taxonomy, load_taxonomy
from monitor.settings import Settings
from monitor.store import FeedHealth, Store, StoredItem

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

DEFAULT_COUNT = 5
MAX_COUNT = 20
SEARCH_WINDOW = 500  # /search looks at this many of the newest items
SEARCH_RESULTS = 10
LATEST_WINDOW = 200  # /latest picks relevant items first among this many
ERROR_NOTE_CHARS = 300

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "help": (
            "I follow Asia-Pacific health cooperation news in many languages.\n\n"
            "/latest [N] - the N newest items (default 5, at most 20)\n"
            "/search WORDS - items whose title has all the words\n"
            "/topics - the topics I classify news into\n"
            "/help - this message\n"
            "Operators: /stats, /feeds"
        ),
        "topics": "Topics:",
        "no_items": "No items yet.",
        "no_results": "Nothing found for: {words}",
        "search_usage": "Usage: /search WORDS (for example /search dengue vaccine)",
        "admin_only": "Sorry, this command is for operators only.",
        "unknown": "Unknown command. Send /help to see what I can do.",
        "failed": "Sorry, something went wrong. The operators have been told.",
        "bad_count": "Please give a number from 1 to {maximum}, for example /latest 5.",
    },
    "ko": {
        "help": (
            "아시아·태평양 보건 협력 뉴스를 여러 언어로 모니터링합니다.\n\n"
            "/latest [N] - 최신 기사 N건 (기본 5, 최대 20)\n"
            "/search 단어 - 제목에 모든 단어가 들어간 기사\n"
            "/topics - 분류 주제 목록\n"
            "/help - 이 도움말\n"
            "운영자: /stats, /feeds"
        ),
        "topics": "주제:",
        "no_items": "아직 기사가 없습니다.",
        "no_results": "검색 결과가 없습니다: {words}",
        "search_usage": "사용법: /search 단어 (예: /search 뎅기 백신)",
        "admin_only": "죄송합니다. 운영자 전용 명령입니다.",
        "unknown": "알 수 없는 명령입니다. /help 를 보내 주세요.",
        "failed": "죄송합니다. 오류가 발생했습니다. 운영자에게 알렸습니다.",
        "bad_count": "1부터 {maximum} 사이의 숫자를 입력해 주세요. 예: /latest 5",
    },
}


# -- pure functions ------------------------------------------------------------


def ui_language(language_code: str | None) -> str:
    """The bot's UI language for a Telegram `language_code`: "ko" or "en"."""
    return "ko" if (language_code or "").lower().startswith("ko") else "en"


def parse_count(args: Sequence[str], default: int = DEFAULT_COUNT, maximum: int = MAX_COUNT) -> int:
    """The N of ``/latest [N]``: `default` without arguments, else 1..`maximum`.

    Raises:
        ValueError: more than one argument, not a whole number, or out of range.
    """
    if not args:
        return default
    if len(args) > 1:
        raise ValueError(f"expected one number, got {len(args)} arguments")
    try:
        count = int(args[0])
    except ValueError:
        raise ValueError(f"{args[0]!r} is not a number") from None
    if not 1 <= count <= maximum:
        raise ValueError(f"{count} is not between 1 and {maximum}")
    return count


def parse_words(args: Sequence[str]) -> tuple[str, ...]:
    """The words of ``/search WORDS``, case-folded and without repeats.

    Raises:
        ValueError: no words given.
    """
    words = tuple(dict.fromkeys(w.casefold() for w in args if w.strip()))
    if not words:
        raise ValueError("no words to search for")
    return words


def title_matches(title: str, words: Iterable[str]) -> bool:
    """Whether `title` contains every one of the (case-folded) `words`."""
    folded = title.casefold()
    return all(w in folded for w in words)


def relevant_first(
    rows: Sequence[tuple[StoredItem, Labels | None]],
) -> list[tuple[StoredItem, Labels | None]]:
    """Relevant items, then unclassified, then not relevant; newest first within each."""

    def rank(row: tuple[StoredItem, Labels | None]) -> int:
        labels = row[1]
        return 1 if labels is None else (0 if labels.relevant else 2)

    return sorted(rows, key=rank)  # stable: the store's newest-first order is kept


def format_item(
    item: StoredItem,
    labels: Labels | None,
    *,
    feed_name: str,
    taxonomy: Taxonomy,
    lang: str = "en",
) -> str:
    """One item as Telegram HTML; every stored value is escaped."""
    language = labels.language if labels else (item.language_hint or "?")
    topics = [_topic_name(taxonomy, slug, lang) for slug in (labels.topics if labels else ())]
    countries = ", ".join(labels.countries) if labels and labels.countries else "-"
    when = (item.published_at or item.first_seen_at).astimezone(UTC).strftime("%Y-%m-%d")
    lines = [
        f"<b>{html.escape(item.title or '(no title)')}</b>",
        f"{html.escape(feed_name)} · {html.escape(language)} · {when}",
        f"{html.escape(', '.join(topics) or '-')} · {html.escape(countries)}",
    ]
    if item.url.startswith(("http://", "https://")):
        lines.append(f'<a href="{html.escape(item.url, quote=True)}">{html.escape(item.url)}</a>')
    return "\n".join(lines)


def format_topics(taxonomy: Taxonomy, lang: str) -> str:
    """The taxonomy as lines of ``slug — name`` (Korean names for Korean users)."""
    header = MESSAGES[lang]["topics"]
    lines = [
        f"<code>{html.escape(t.slug)}</code> — {html.escape(_topic_name(taxonomy, t.slug, lang))}"
        for t in taxonomy
    ]
    return "\n".join([html.escape(header), *lines])


def format_stats(feeds: Sequence[FeedHealth]) -> str:
    """The /stats summary: active feeds OK and failing, disabled, items in the last 24 h."""
    active = [f for f in feeds if f.enabled and f.removed_at is None]
    failing = [f for f in active if f.consecutive_errors > 0]
    disabled = sum(1 for f in feeds if not f.enabled and f.removed_at is None)
    return "\n".join(
        [
            "<b>Feed health</b>",
            f"feeds OK: {len(active) - len(failing)}",
            f"feeds failing: {len(failing)}",
            f"feeds disabled: {disabled}",
            f"items last 24 h: {sum(f.items_last_24h for f in feeds)}",
            f"items total: {sum(f.items_total for f in feeds)}",
        ]
    )


def format_feed(feed: FeedHealth) -> str:
    """One /feeds line: status mark, escaped name, status and counts."""
    if feed.removed_at is not None:
        mark, status = "➖", "removed"
    elif not feed.enabled:
        mark, status = "⏸", "disabled"
    elif feed.consecutive_errors:
        mark = "⚠️"
        status = f"{feed.consecutive_errors} error(s): {(feed.last_error or '')[:80]}"
    elif feed.last_success_at is None:
        mark, status = "…", "not polled yet"
    else:
        mark, status = "✅", "ok"
    counts = f"{feed.items_last_24h} new / {feed.items_total}"
    return f"{mark} <b>{html.escape(feed.name)}</b> — {html.escape(status)} ({counts})"


def pack(
    blocks: Sequence[str], limit: int = MessageLimit.MAX_TEXT_LENGTH, sep: str = "\n\n"
) -> list[str]:
    """Join blocks with `sep` into as few messages as fit in `limit` characters.

    A single block longer than `limit` is cut (only whole blocks are HTML-safe,
    so callers keep blocks short).
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        block = block[:limit]
        candidate = f"{current}{sep}{block}" if current else block
        if len(candidate) > limit:
            messages.append(current)
            candidate = block
        current = candidate
    if current:
        messages.append(current)
    return messages


def error_note(error: BaseException | None) -> str:
    """The short, escaped note the operator gets when a handler fails."""
    text = f"{type(error).__name__}: {error}" if error else "unknown error"
    return f"⚠️ Bot error\n<code>{html.escape(text[:ERROR_NOTE_CHARS])}</code>"


def _topic_name(taxonomy: Taxonomy, slug: str, lang: str) -> str:
    topic = taxonomy.get(slug)
    if topic is None:
        return slug
    return topic.name_ko if lang == "ko" else topic.name


# -- handlers ------------------------------------------------------------------


class _Commands:
    """The handlers, bound to one store, settings and taxonomy."""

    def __init__(
        self, settings: Settings, store: Store, taxonomy: Taxonomy, model_id: str | None
    ) -> None:
        self.settings = settings
        self.store = store
        self.taxonomy = taxonomy
        self.model_id = model_id

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say what the bot does and list the commands (/start and /help)."""
        await _reply(update, html.escape(_text(update, "help")))

    async def topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the taxonomy's topics."""
        await _reply(update, format_topics(self.taxonomy, _lang(update)))

    async def latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the N newest items, relevant ones first."""
        try:
            count = parse_count(context.args or ())
        except ValueError:
            await _reply(update, html.escape(_text(update, "bad_count", maximum=MAX_COUNT)))
            return
        rows = relevant_first(await self._rows(LATEST_WINDOW))[:count]
        await self._send_items(update, rows)

    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the newest items whose title contains all the given words."""
        try:
            words = parse_words(context.args or ())
        except ValueError:
            await _reply(update, html.escape(_text(update, "search_usage")))
            return
        rows = [r for r in await self._rows(SEARCH_WINDOW) if title_matches(r[0].title, words)]
        if not rows:
            await _reply(update, html.escape(_text(update, "no_results", words=" ".join(words))))
            return
        await self._send_items(update, rows[:SEARCH_RESULTS])

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Operators: feed health summary."""
        if await self._refused(update):
            return
        await _reply(update, format_stats(await asyncio.to_thread(self.store.feed_health)))

    async def feeds(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Operators: every feed with its status."""
        if await self._refused(update):
            return
        lines = [format_feed(f) for f in await asyncio.to_thread(self.store.feed_health)]
        for message in pack(lines, sep="\n") or ["No feeds."]:
            await _reply(update, message)

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a command the bot does not know."""
        await _reply(update, html.escape(_text(update, "unknown")))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the traceback, tell the user and post an escaped note to the first operator."""
        logger.error("bot handler failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_message:
            await _quietly(_reply(update, html.escape(_text(update, "failed"))))
        if self.settings.telegram_admins:
            admin = self.settings.telegram_admins[0]
            note = error_note(context.error)
            await _quietly(context.bot.send_message(admin, note, parse_mode=ParseMode.HTML))

    async def _refused(self, update: Update) -> bool:
        user = update.effective_user
        if user is not None and user.id in self.settings.telegram_admins:
            return False
        await _reply(update, html.escape(_text(update, "admin_only")))
        return True

    async def _rows(self, limit: int) -> list[tuple[StoredItem, Labels | None]]:
        if self.model_id is not None:
            return await asyncio.to_thread(self.store.items_with_labels, self.model_id, limit=limit)
        items = await asyncio.to_thread(self.store.recent_items, limit)
        return [(item, None) for item in items]

    async def _send_items(
        self, update: Update, rows: Sequence[tuple[StoredItem, Labels | None]]
    ) -> None:
        if not rows:
            await _reply(update, html.escape(_text(update, "no_items")))
            return
        names = {f.url: f.name for f in await asyncio.to_thread(self.store.feed_health)}
        lang = _lang(update)
        blocks = [
            format_item(
                item,
                labels,
                feed_name=names.get(item.feed_url, item.feed_url),
                taxonomy=self.taxonomy,
                lang=lang,
            )
            for item, labels in rows
        ]
        for message in pack(blocks):
            await _reply(update, message)


def _lang(update: Update) -> str:
    user = update.effective_user
    return ui_language(user.language_code if user else None)


def _text(update: Update, key: str, **values: object) -> str:
    return MESSAGES[_lang(update)][key].format(**values)


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, disable_web_page_preview=True, do_quote=False
        )


async def _quietly(call: Coroutine[Any, Any, object]) -> None:
    try:
        await call
    except Exception:
        logger.exception("could not send the error note")


# -- the application -------------------------------------------------------------


def rate_limiter_available() -> bool:
    """Whether `AIORateLimiter` can be used (python-telegram-bot[rate-limiter] installed)."""
    return importlib.util.find_spec("aiolimiter") is not None


def build_application(
    settings: Settings,
    store: Store,
    *,
    model_id: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> BotApplication:
    """The bot with every handler registered; run it with `Application.run_polling`.

    Raises:
        ValueError: ``settings.telegram_token`` is not set.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the token
    if not settings.telegram_token:
        raise ValueError("MONITOR_TELEGRAM_TOKEN is not set")
    api = settings.telegram_api_url.rstrip("/")
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
    )
    if rate_limiter_available():
        builder = builder.rate_limiter(AIORateLimiter())
    else:
        logger.warning("aiolimiter is not installed: Telegram rate limits are not enforced")
    application: BotApplication = builder.build()
    commands = _Commands(settings, store, taxonomy or load_taxonomy(), model_id)
    handlers: dict[str, Handler] = {
        "start": commands.start,
        "help": commands.start,
        "topics": commands.topics,
        "latest": commands.latest,
        "search": commands.search,
        "stats": commands.stats,
        "feeds": commands.feeds,
    }
    for name, callback in handlers.items():
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(MessageHandler(filters.COMMAND, commands.unknown))
    application.add_error_handler(commands.on_error)
    return application
