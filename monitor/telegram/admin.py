"""Operator commands: /feeds, /addfeed, /removefeed, /stats (ids in ``MONITOR_TELEGRAM_ADMINS``).

``/addfeed URL [NAME]`` is the one place where a chat message makes the
service fetch a URL of someone's choosing, so it goes through the
`AddressGuard` before DNS-resolved requests and on every redirect; the feed
is fetched once and must parse before it is written into feeds.toml (with the
operator's comments kept by `monitor.feeds.add_feed`). The poller picks the
new file up on its next round.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from telegram import Update
from telegram.ext import ContextTypes

from monitor.errors import ConfigError, FeedFetchError, FeedParseError
from monitor.feeds import add_feed, remove_feed
from monitor.ingest.address_guard import AddressGuard, Resolver, UnsafeAddressError, system_resolver
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.parse import ParsedFeed, parse_feed
from monitor.ingest.silence import HISTORY, silent_feeds
from monitor.models import FeedSpec
from monitor.telegram import messages
from monitor.telegram.authorise import operators_only
from monitor.telegram.context import BotContext, reply
from monitor.telegram.parsing import parse_addfeed, parse_feed_key

ADDFEED_RETRIES = 0  # the operator is waiting for an answer; they can send it again
MAX_NAME_CHARS = 80  # a feed name taken from the feed's own title


def _added_by(update: Update) -> str:
    """The ``added_by`` of a feed added by this update's sender."""
    user = update.effective_user
    return f"telegram:{user.id}" if user is not None else "telegram"


class Operators:
    """The operators' handlers; everyone else gets a polite refusal."""

    def __init__(self, bot: BotContext, *, resolver: Resolver = system_resolver) -> None:
        self.bot = bot
        self.resolver = resolver

    async def ui_language(self, update: Update) -> str:
        """The chat's UI language (for the refusal)."""
        return await self.bot.lang(update)

    def is_operator(self, update: Update) -> bool:
        """Whether the sender's id is in ``MONITOR_TELEGRAM_ADMINS``."""
        return self.bot.is_operator(update)

    @operators_only
    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Feed health (silent feeds named), item counts, subscribed chats and feedback."""
        lang = await self.bot.lang(update)
        store = self.bot.store
        feeds = await asyncio.to_thread(store.feed_health)
        subscribers = len(await asyncio.to_thread(store.subscriptions))
        feedback = await asyncio.to_thread(store.feedback_counts)
        arrivals = await asyncio.to_thread(store.feed_arrivals, HISTORY)
        now = self.bot.clock.now()
        silent = {url: s.describe() for url, s in silent_feeds(feeds, arrivals, now).items()}
        text = messages.format_stats(
            feeds, lang=lang, subscribers=subscribers, feedback=feedback, silent=silent
        )
        await reply(update, text)

    @operators_only
    async def feeds(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every feed with its status."""
        lang = await self.bot.lang(update)
        lines = [
            messages.format_feed(f) for f in await asyncio.to_thread(self.bot.store.feed_health)
        ]
        for text in messages.pack(lines, sep="\n") or [messages.plain(lang, "no_feeds")]:
            await reply(update, text)

    @operators_only
    async def addfeed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Check the address, fetch and parse the feed once, then add it to feeds.toml."""
        lang = await self.bot.lang(update)
        try:
            url, name = parse_addfeed(context.args or [])
        except ValueError as exc:
            await reply(update, f"{messages.plain(lang, 'addfeed_usage')}\n({exc})")
            return
        guard = AddressGuard(
            allow_private=self.bot.settings.allow_private_feeds, resolver=self.resolver
        )
        try:
            await guard.check_url(url)
            parsed = await self._fetch(url, guard)
            spec = FeedSpec(
                url=url,
                name=name or parsed.title.strip()[:MAX_NAME_CHARS],
                added_by=_added_by(update),  # the poller keeps guarding it (address_guard)
            )
            added = await asyncio.to_thread(add_feed, self.bot.settings.feeds_path, spec)
        except UnsafeAddressError as exc:
            await reply(update, messages.plain(lang, "addfeed_refused", reason=str(exc)))
            return
        except (FeedFetchError, FeedParseError, ConfigError) as exc:
            await reply(update, messages.plain(lang, "addfeed_failed", reason=str(exc)))
            return
        text = messages.plain(lang, "addfeed_added", name=added.name, count=len(parsed.items))
        await reply(update, text)

    @operators_only
    async def removefeed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Remove a feed from feeds.toml by its URL or name."""
        lang = await self.bot.lang(update)
        try:
            key = parse_feed_key(context.args or [])
        except ValueError:
            await reply(update, messages.plain(lang, "removefeed_usage"))
            return
        try:
            removed = await asyncio.to_thread(remove_feed, self.bot.settings.feeds_path, key)
        except ConfigError as exc:
            await reply(update, messages.plain(lang, "removefeed_failed", reason=str(exc)))
            return
        await reply(update, messages.plain(lang, "removefeed_done", name=removed.name))

    async def _fetch(self, url: str, guard: AddressGuard) -> ParsedFeed:
        poll = self.bot.settings.poll
        limits = replace(FetchLimits.of(poll), retries=ADDFEED_RETRIES)
        async with Fetcher(
            user_agent=poll.user_agent,
            limits=limits,
        ) as fetcher:
            result = await fetcher.fetch(url, guard=guard)
        return await asyncio.to_thread(
            parse_feed,
            result.content,
            result.headers,
            feed_url=result.url,
            language_hint=None,
            now=self.bot.clock.now(),
        )
