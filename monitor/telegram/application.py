"""`build_application`: the python-telegram-bot `Application` with every handler registered.

The service starts it inside its own event loop (``async with application``,
``start()``, ``updater.start_polling()``). `MonitorApplication.start` registers
the command menus with setMyCommands, English by default and one per other
catalogue language: it runs on every start, whether the service starts the
application itself or through ``run_polling`` (where a ``post_init`` hook would
run, but not in the service's own start sequence).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Coroutine
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from classifiers.taxonomy import Taxonomy, load_taxonomy
from monitor.catalogues import DEFAULT_LANGUAGE
from monitor.clock import Clock, SystemClock
from monitor.ingest.address_guard import Resolver, system_resolver
from monitor.settings import Settings
from monitor.store import Store
from monitor.telegram import brief_command, digest_commands, i18n, messages
from monitor.telegram.admin import Operators
from monitor.telegram.authorise import anyone
from monitor.telegram.commands import TYPING_KEYWORD, Commands, Handler
from monitor.telegram.context import BotContext, user_language
from monitor.telegram.quiet_commands import QUIET_PREFIX, SEARCH_PREFIX, QuietCommands
from monitor.telegram.throttle import CommandRate, NoteThrottle, Verdict

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]


class MonitorApplication(BotApplication):
    """An `Application` that registers its command menus each time it starts."""

    async def start(self) -> None:
        """Start dispatching updates, then register the menus (setMyCommands)."""
        await super().start()
        await set_commands(self)


# The menu Telegram shows, in this order (operator commands are left out of it).
MENU = (
    "start",
    "help",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "latest",
    "search",
    "topics",
    "language",
    "mute",
    "unmute",
    "quiet",
    "timezone",
    "alerts",
    "digest",
    "brief",
    "cancel",
)


SLOW_COMMANDS = frozenset({"addfeed"})  # run as tasks beside the other updates
RATE_GROUP = -2  # before every other handler group (the digest's is -1)


def menu(lang: str) -> list[BotCommand]:
    """The command menu in `lang`, for setMyCommands."""
    return [BotCommand(name, i18n.text(lang, f"cmd_{name}")) for name in MENU]


async def set_commands(application: BotApplication) -> None:
    """Register the command menu per UI language (English is the default for every other)."""
    try:
        for lang in i18n.languages():
            code = None if lang == DEFAULT_LANGUAGE else lang
            await application.bot.set_my_commands(menu(lang), language_code=code)
    except TelegramError as exc:  # a menu is a nicety: the bot works without it
        logger.warning("could not register the command menu: %s", exc)


def build_application(
    settings: Settings,
    store: Store,
    *,
    model_id: str | None = None,
    taxonomy: Taxonomy | None = None,
    clock: Clock | None = None,
    resolver: Resolver = system_resolver,
) -> BotApplication:
    """The bot with every handler registered.

    Args:
        settings: token, Bot API URL, operators, feeds file, allow_private_feeds.
        store: subscriptions, items, feedback.
        model_id: the classifier whose labels /latest and /search show.
        taxonomy: the topics (default: the bundled topics.toml).
        clock: the time for mute, subscriptions and votes (default: the system's).
        resolver: DNS for /addfeed's address guard (tests inject one).

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
        .application_class(MonitorApplication)
    )
    builder = builder.rate_limiter(AIORateLimiter())  # python-telegram-bot[rate-limiter]
    application: BotApplication = builder.build()
    bot = BotContext(settings, store, taxonomy or load_taxonomy(), model_id, clock or SystemClock())
    register(application, bot, Operators(bot, resolver=resolver))
    digest_commands.register(application, settings=settings, store=store, clock=bot.clock)
    brief_command.register(
        application, store=store, clock=bot.clock, taxonomy=bot.taxonomy, model_id=model_id
    )
    return application


def register(application: BotApplication, bot: BotContext, operators: Operators) -> None:
    """Add every handler: the rate gate, the conversation, commands, buttons, membership, errors.

    Each handler carries a decorator of `authorise` saying who may run it.
    """
    commands = Commands(bot)
    quiet = QuietCommands(bot, commands)
    application.add_handler(TypeHandler(Update, RateGate(bot).check), group=RATE_GROUP)
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("subscribe", commands.subscribe)],
            states={
                TYPING_KEYWORD: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, commands.keyword_typed)
                ]
            },
            fallbacks=[CommandHandler("cancel", commands.cancel)],
            allow_reentry=True,
            name="keyword",
        )
    )
    handlers: dict[str, Handler] = {
        "start": commands.start,
        "help": commands.help,
        "topics": commands.topics,
        "unsubscribe": commands.unsubscribe,
        "subscriptions": commands.subscriptions,
        "latest": commands.latest,
        "search": commands.search,
        "language": commands.language,
        "mute": commands.mute,
        "unmute": commands.unmute,
        "alerts": commands.alerts,
        "timezone": quiet.timezone,
        "quiet": quiet.quiet,
        "cancel": commands.nothing_to_cancel,
        "stats": operators.stats,
        "feeds": operators.feeds,
        "addfeed": operators.addfeed,
        "removefeed": operators.removefeed,
    }
    for name, callback in handlers.items():
        # /addfeed waits on someone else's server: it must not hold up everyone's updates
        application.add_handler(CommandHandler(name, callback, block=name not in SLOW_COMMANDS))
    application.add_handler(CallbackQueryHandler(commands.feedback, pattern=r"^fb:"))
    application.add_handler(CallbackQueryHandler(commands.tap, pattern=r"^sub:"))
    application.add_handler(CallbackQueryHandler(quiet.quiet_tap, pattern=f"^{QUIET_PREFIX}"))
    application.add_handler(CallbackQueryHandler(quiet.search_tap, pattern=f"^{SEARCH_PREFIX}"))
    application.add_handler(
        ChatMemberHandler(commands.membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, commands.migrated))
    application.add_handler(MessageHandler(filters.COMMAND, commands.unknown))
    # free text in a private chat (after the keyword conversation, which takes its own)
    private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private_text, quiet.free_text))
    application.add_error_handler(ErrorReporter(bot).on_error)


class RateGate:
    """Drops a user's updates past `throttle.CommandRate`'s limit, after one "slow down"."""

    def __init__(self, bot: BotContext) -> None:
        self.rate = CommandRate(bot.clock)

    @anyone  # it changes nothing; it only stops updates
    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Count a user's message or tap; past the limit, say so once, then stay silent."""
        user = update.effective_user
        if user is None or (update.message is None and update.callback_query is None):
            return  # service updates (membership, edits) are not commands
        verdict = self.rate.check(user.id)
        if verdict is Verdict.ANSWER:
            return
        if verdict is Verdict.SLOW_DOWN:
            text = i18n.text(user_language(update), "slow_down")
            if update.callback_query is not None:
                await _quietly(update.callback_query.answer(text, show_alert=True))
            elif update.effective_message is not None:
                await _quietly(
                    update.effective_message.reply_text(
                        html.escape(text, quote=False), parse_mode=ParseMode.HTML, do_quote=False
                    )
                )
        logger.info("user %s is over the command rate: %s", user.id, verdict.value)
        raise ApplicationHandlerStop


class ErrorReporter:
    """Logs a failed handler, apologises to the user and tells the first operator.

    The operator's note is throttled (`throttle.NoteThrottle`): a handler failing on
    every update gives one note per interval, and the next says how many were held back.
    """

    def __init__(self, bot: BotContext) -> None:
        self.bot = bot
        self.notes = NoteThrottle(bot.clock)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the traceback, tell the user and post an escaped note to the first operator."""
        logger.error("bot handler failed", exc_info=context.error)
        if isinstance(update, Update):
            # the user's own language: the store may be what failed
            sorry = html.escape(i18n.text(user_language(update), "failed"))
            if update.callback_query is not None:
                await _quietly(
                    update.callback_query.answer(i18n.text(user_language(update), "failed"))
                )
            elif update.effective_message is not None:
                await _quietly(
                    update.effective_message.reply_text(
                        sorry, parse_mode=ParseMode.HTML, do_quote=False
                    )
                )
        if not self.bot.settings.telegram_admins:
            return
        held = self.notes.due()
        if held is None:
            return  # told a moment ago: counted, and said in the next note
        admin = self.bot.settings.telegram_admins[0]
        note = messages.error_note(context.error, held=held)
        await _quietly(context.bot.send_message(admin, note, parse_mode=ParseMode.HTML))


async def _quietly(call: Coroutine[Any, Any, object]) -> None:
    try:
        await call
    except Exception:
        logger.exception("could not send the error note or answer")
