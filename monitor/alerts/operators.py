"""Operators are told when a feed keeps failing or falls silent, and when it is back: one
message each. Pure.

The store remembers what they were last told per feed (``feed_notices``), so a
feed failing for days produces one "failing" message, and one "back" message
when a poll succeeds again, whatever the number of polls or service processes.
A silent feed (it answers, but no new item for much longer than its usual gap:
`monitor.ingest.silence`) gets one "silent" message, and one when items come again.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

FAILING_AFTER: Final = 10  # polls in a row
FAILING: Final = "failing"
SILENT: Final = "silent"
OK: Final = "ok"
MAX_ERROR_CHARS: Final = 300


class FeedHealthLike(Protocol):
    """What `monitor.models.FeedHealth` offers that matters here."""

    @property
    def url(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def consecutive_errors(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def removed_at(self) -> object: ...


@dataclass(frozen=True)
class FeedNotice:
    """A message for the operators about one feed, and the state it reports."""

    feed_url: str
    state: str  # FAILING or OK
    text: str  # Telegram HTML, escaped


def feed_notices(
    feeds: Sequence[FeedHealthLike],
    told: Mapping[str, str],
    *,
    failing_after: int = FAILING_AFTER,
    silent: Mapping[str, str] | None = None,
) -> list[FeedNotice]:
    """The notices due: feeds that crossed `failing_after` failures or fell silent, and
    failing or silent feeds back.

    Args:
        feeds: every feed's health.
        told: feed URL -> the state operators were last told.
        failing_after: failed polls in a row before a "failing" notice.
        silent: feed URL -> how it is silent ("no new item for 3d (usually every 5h)"),
            for the silent feeds only.

    A feed that was disabled or removed while failing gets no "back" message.
    """
    silent = silent or {}
    notices: list[FeedNotice] = []
    for feed in feeds:
        if not feed.enabled or feed.removed_at is not None:
            continue
        last = told.get(feed.url)
        if feed.consecutive_errors >= failing_after and last != FAILING:
            error = (feed.last_error or "unknown error")[:MAX_ERROR_CHARS]
            text = (
                f"⚠️ Feed <b>{html.escape(feed.name)}</b> failed "
                f"{feed.consecutive_errors} polls in a row.\n"
                f"{html.escape(feed.url)}\nLast error: <code>{html.escape(error)}</code>\n"
                "(One message: you will hear when it is back.)"
            )
            notices.append(FeedNotice(feed.url, FAILING, text))
        elif feed.consecutive_errors == 0 and feed.url in silent and last != SILENT:
            text = (
                f"🔇 Feed <b>{html.escape(feed.name)}</b> answers but is silent: "
                f"{html.escape(silent[feed.url])}.\n{html.escape(feed.url)}\n"
                "(One message: you will hear when items come again.)"
            )
            notices.append(FeedNotice(feed.url, SILENT, text))
        elif feed.consecutive_errors == 0 and last == FAILING:
            text = f"✅ Feed <b>{html.escape(feed.name)}</b> is back.\n{html.escape(feed.url)}"
            notices.append(FeedNotice(feed.url, OK, text))
        elif feed.consecutive_errors == 0 and last == SILENT and feed.url not in silent:
            text = (
                f"✅ Feed <b>{html.escape(feed.name)}</b> has new items again.\n"
                f"{html.escape(feed.url)}"
            )
            notices.append(FeedNotice(feed.url, OK, text))
    return notices
