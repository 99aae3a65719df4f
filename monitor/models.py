"""Shared records passed between the modules; plain values, no behaviour.

The kernel every package may import (it imports only `monitor.filters` and
`classifiers.base`): the store maps its rows to these records, and the pure
modules (alerts, digest, telegram) take them without loading the store or
SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from classifiers.base import Labels
from monitor.filters import Filter

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

DEFAULT_INTERVAL = timedelta(minutes=30)

# outbox row kinds: an item's alert, "also reported" (a reply to the chat's first
# alert of the story), operators' text
ALERT: Final = "alert"
ALSO: Final = "also"
NOTICE: Final = "notice"
# statuses: outbox rows go pending -> sent | failed (gave up) | skipped (chat gone or
# muted); digest log entries go sending -> sent | skipped (empty) | failed | deferred
PENDING: Final = "pending"
SENDING: Final = "sending"  # a digest claimed, being built or mailed
SENT: Final = "sent"
FAILED: Final = "failed"  # refused for good: not tried again
SKIPPED: Final = "skipped"
DEFERRED: Final = "deferred"  # a digest's temporary failure (4xx, network) after retries

HELD: Final = "held"  # an alert waiting for the chat's mute or quiet window to end
SUMMARISED: Final = "summarised"  # a held alert, reported in the summary after the wait

# the time zone a chat's times are shown in until it chooses one (/timezone)
LANGUAGE_ZONES: Final = {"ko": "Asia/Seoul"}

DAILY: Final = "daily"
WEEKLY: Final = "weekly"
DEFAULT_SEND_TIME: Final = time(8, 0)


@dataclass(frozen=True)
class FeedSpec:
    """One `[[feed]]` entry of feeds.toml."""

    url: str
    name: str
    language: str | None = None  # ISO 639-1 hint
    country: str | None = None  # ISO 3166-1 alpha-2
    tags: tuple[str, ...] = ()
    interval: timedelta = DEFAULT_INTERVAL
    enabled: bool = True
    fulltext: bool = False
    # who added the feed from outside feeds.toml ("telegram:<user id>" for /addfeed): such
    # a feed is fetched from public addresses only (monitor.ingest.address_guard)
    added_by: str | None = None
    # what kind of body publishes it (`monitor.filters.SOURCE_TYPES`); None: not labelled
    source: str | None = None


@dataclass(frozen=True)
class Item:
    """One feed entry, normalised: plain text, canonical URL, UTC time."""

    feed_url: str
    guid: str  # entry id, or the canonical URL when the feed gives none
    url: str  # canonical URL ("" when the entry has no link)
    title: str
    text: str
    published_at: datetime | None  # UTC; None when the feed gives no usable date
    language_hint: str | None = None


@dataclass(frozen=True)
class FeedState:
    """What the store remembers about a feed between polls."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    next_due_at: datetime | None = None
    last_status: int | None = None
    last_entries: int | None = None
    last_encoding: str | None = None


@dataclass(frozen=True, kw_only=True)
class FeedHealth(FeedState):
    """A feed's state (every `FeedState` field) and activity, for `monitor stats` and /stats."""

    name: str
    enabled: bool
    removed_at: datetime | None  # set when the feed left feeds.toml
    items_total: int
    items_last_24h: int
    lease_owner: str | None = None  # the worker polling it right now, if any


@dataclass(frozen=True)
class DueOverview:
    """The enabled, listed feeds at a glance: for the service's round summaries."""

    feeds: int
    failing: int  # whose last poll failed: they wait longer (backoff)
    next_due_at: datetime | None


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one conditional GET."""

    url: str  # final URL after redirects
    status: int
    content: bytes  # empty on 304
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    etag: str | None = None
    last_modified: str | None = None
    elapsed_s: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class StoredItem:
    """An item as stored: the `Item` fields plus what the store added."""

    id: int
    feed_url: str
    guid: str
    url: str
    title: str
    text: str
    published_at: datetime | None
    language_hint: str | None
    first_seen_at: datetime
    content_hash: str
    duplicate_of: int | None  # the original's id for re-posts and near-duplicates
    fulltext: str | None  # the article page's text, when fetched
    story_id: int | None = None  # its story's first item, once routing decided (items.story_id)

    @property
    def item(self) -> Item:
        return Item(
            feed_url=self.feed_url,
            guid=self.guid,
            url=self.url,
            title=self.title,
            text=self.text,
            published_at=self.published_at,
            language_hint=self.language_hint,
        )


@dataclass(frozen=True)
class Subscription:
    """What one Telegram chat receives, and how.

    Attributes:
        chat_id: Telegram chat id (negative for groups and channels).
        filter: which relevant items the chat wants.
        instant: instant alerts on/off (off: nothing is routed to the chat).
        active: False after a 403 (bot blocked or removed) or /unsubscribe.
        muted_until: alerts are held (not sent) before this time; one summary after.
        thread_id: forum topic (``message_thread_id``) alerts go to, if any.
        ui_language: "en" or "ko": the bot's UI and the alerts' labels.
        timezone: IANA zone the chat chose (/timezone); "" until then (see `zone`).
        chat_type: private | group | supergroup | channel (groups have lower rate limits).
        title: chat title or user name, for operators.
        quiet_start, quiet_end: the chat's quiet window, local wall-clock times (both or
            neither); alerts inside it are sent silently (`monitor.alerts.quiet`).
        quiet_hold: inside the window alerts are held, and summarised when it ends.
        digest_time: digest-only (``/alerts digest``): the chat gets its daily digest as
            messages at this local time in `zone`; None: no digest in the chat.
    """

    chat_id: int
    filter: Filter = field(default_factory=Filter)
    instant: bool = True
    active: bool = True
    muted_until: datetime | None = None
    thread_id: int | None = None
    ui_language: str = "en"
    timezone: str = ""
    chat_type: str = "private"
    title: str = ""
    quiet_start: time | None = None
    quiet_end: time | None = None
    quiet_hold: bool = False
    digest_time: time | None = None

    @property
    def zone(self) -> str:
        """The IANA zone of the chat's times: its choice, else guessed from its UI language."""
        return self.timezone or LANGUAGE_ZONES.get(self.ui_language, "UTC")

    def muted(self, now: datetime) -> bool:
        """Whether the chat is muted at `now`."""
        return self.muted_until is not None and self.muted_until > now

    def receives_alerts(self, now: datetime) -> bool:
        """Active, instant alerts on and not muted: alerts are sent to this chat now.

        (A muted chat's alerts are still routed; they wait until the mute ends.)
        """
        return self.active and self.instant and not self.muted(now)

    @property
    def is_group(self) -> bool:
        return self.chat_type != "private"


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row: what to send to which chat.

    Attributes:
        id: the row's id.
        chat_id: where to send it.
        kind: `ALERT`, `ALSO` (reply to the chat's first alert of the story) or `NOTICE`.
        item_id: the item (alert, also); None for notices.
        story_item_id: for "also": the item whose alert this replies to.
        model_id: whose labels an alert shows.
        text: a notice's HTML text.
        attempts: failed tries so far.
        created_at: when routing wrote the row.
        reply_to_message_id: for "also": Telegram's id of the first alert, once it was sent.
        lease_token: the claim's fence; settling the row presents it.
    """

    id: int
    chat_id: int
    kind: str
    item_id: int | None
    story_item_id: int | None
    model_id: str | None
    text: str | None
    attempts: int
    created_at: datetime
    reply_to_message_id: int | None = None
    lease_token: str = ""


@dataclass(frozen=True)
class RouteResult:
    """What routing one item wrote: chats alerted, chats answered with a reply."""

    alerts: tuple[int, ...] = ()
    replies: tuple[tuple[int, int], ...] = ()  # (chat id, story item id)


@dataclass(frozen=True)
class AlertedItem:
    """An item that alerted someone lately: what the same-story rule compares a new one with."""

    item_id: int
    vector: NDArray[np.float32] | Sequence[float]  # L2-normalised embedding
    labels: Labels
    title: str = ""
    text: str = ""  # the title and lead name the session of a series ("the 19th meeting")
    at: datetime | None = None  # published, else first seen
    story_id: int | None = None  # its story's first item (items.story_id)


@dataclass(frozen=True)
class Recipient:
    """Who gets a digest, what it holds, and when.

    Attributes:
        email: the address, lower-cased (the key).
        filter: the same `Filter` model as Telegram subscriptions.
        frequency: `DAILY` (the 24 hours before the send time) or `WEEKLY` (7 days).
        weekday: for weekly digests, 0 = Monday .. 6 = Sunday.
        send_time: local wall-clock time of sending.
        timezone: IANA name; the send time follows its daylight-saving changes.
        language: language of the e-mail's own words ("en", "ko").
        skip_empty: send nothing for a period without items (else one line says so).
        active: False after an unsubscribe or ``/digest off``.
        confirmed: the address proved it wants mail (a code from Telegram, or an operator).
        chat_id: the Telegram chat that manages this recipient, if any.
        token: secret for the unsubscribe links (set by the store on first save).
        created_at: when the store first saw it (a digest due before that is not sent).
    """

    email: str
    filter: Filter = field(default_factory=Filter)
    frequency: str = DAILY
    weekday: int = 0
    send_time: time = DEFAULT_SEND_TIME
    timezone: str = "UTC"
    language: str = "en"
    skip_empty: bool = False
    active: bool = True
    confirmed: bool = True
    chat_id: int | None = None
    token: str = ""
    created_at: datetime | None = field(default=None, compare=False)
