"""Shared records passed between the modules; plain values, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_INTERVAL = timedelta(minutes=30)


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
