"""What an operator reads about a poll round: one line per feed that needs attention, a summary,
and a diagnosis when most feeds fail the same way. Pure: outcomes in, log lines out.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from monitor.ingest.pipeline import PollOutcome
from monitor.models import FeedSpec

ERROR_WIDTH = 100  # a failure's reason in a log line; the full text is in `monitor stats`
SUMMARY_FAILURES = 3  # failed feeds named in the round summary; the rest are counted
SUMMARY_NAME = 30  # a feed's name in the summary, shortened in the middle beyond this
PHRASE_WIDTH = 40  # an unknown failure's phrase in tables and the summary
HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")
DIAGNOSIS_SHARE = 0.5  # more than this share of the round failing one way gets a diagnosis
DIAGNOSIS_MIN_FEEDS = 3  # fewer failures than this are feeds' own problems


@dataclass(frozen=True)
class Cause:
    """A way many feeds fail at once, and what the operator should check."""

    key: str
    pattern: re.Pattern[str]
    short: str  # in a failed feed's line: "DNS lookup failed"
    hint: str  # the diagnosis's second line: at most 72 characters, a log line at most 100


CAUSES = (
    Cause(
        "dns",
        re.compile(
            r"name or service not known|temporary failure in name resolution|nodename nor "
            r"servname|getaddrinfo|no address associated|name resolution|could not resolve",
            re.IGNORECASE,
        ),
        "DNS lookup failed",
        "host names do not resolve: is the network or DNS down?",
    ),
    Cause(
        "proxy",
        re.compile(r"proxy", re.IGNORECASE),
        "proxy error",
        "the proxy refuses or fails: check HTTPS_PROXY and HTTP_PROXY",
    ),
    Cause(
        "tls",
        re.compile(r"ssl|certificate|tls", re.IGNORECASE),
        "TLS error",
        "TLS fails: a proxy intercepting HTTPS, or wrong CA or clock?",
    ),
    Cause(
        "connect",
        # anyio says "all connection attempts failed" when every address refused
        re.compile(r"connection refused|all connection attempts failed|errno 111", re.IGNORECASE),
        "cannot connect",
        "no server answers: is this machine offline or firewalled?",
    ),
    Cause(
        "unreachable",
        re.compile(r"network is unreachable|no route to host|errno 101|errno 113", re.IGNORECASE),
        "network unreachable",
        "the network is unreachable: is the machine offline?",
    ),
    Cause(
        "timeout",
        re.compile(r"timed out|timeout|budget .* is spent", re.IGNORECASE),
        "timed out",
        "requests time out: is the network down, slow or filtered?",
    ),
)


def feed_label(spec: FeedSpec) -> str:
    """How logs name a feed: its name, its URL only when it has none."""
    return spec.name.strip() or spec.url


def cause_of(error: str) -> Cause | None:
    """The common cause behind a fetch error's text, if it is one of the known ones."""
    for cause in CAUSES:
        if cause.pattern.search(error):
            return cause
    return None


def short_error(error: str, url: str, width: int = ERROR_WIDTH) -> str:
    """A failure's reason without the feed's URL (the line names the feed) and cut to `width`."""
    text = error.replace(f" fetching {url}", "").replace(f" of {url}", "").replace(url, "<url>")
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def diagnosis(error: str, status: int | None = None) -> str:
    """A failure in a few words, the same in logs and tables: "HTTP 404", "cannot connect",
    "DNS lookup failed", "timed out"; else the error's start."""
    if status is not None and status >= 400:
        return f"HTTP {status}"
    match = HTTP_STATUS.search(error)
    if match and int(match.group(1)) >= 400:
        return f"HTTP {match.group(1)}"
    cause = cause_of(error)
    if cause is not None:
        return cause.short
    text = " ".join(error.split())
    return text if len(text) <= PHRASE_WIDTH else text[: PHRASE_WIDTH - 1].rstrip() + "…"


def status_error(outcome: PollOutcome) -> str:
    """The shortest useful reason of a failed feed (`diagnosis`)."""
    error = short_error(outcome.error or "", outcome.feed.url, ERROR_WIDTH)
    return diagnosis(error, outcome.status)


@dataclass(frozen=True)
class RoundReport:
    """The log lines of one round: (level, message) pairs, in order."""

    lines: tuple[tuple[int, str], ...]


def round_report(
    outcomes: Sequence[PollOutcome],
    *,
    started_at: datetime,
    next_due_at: datetime | None,
    tz: tzinfo | None = None,
) -> RoundReport:
    """Log lines for a round: each failed or partial feed once, a diagnosis, one summary.

    When a common cause (DNS, proxy, TLS, ...) explains most of the failures, the
    feeds' own lines go to DEBUG and the diagnosis says it once.
    """
    if not outcomes:
        return RoundReport(())
    failed = sorted((o for o in outcomes if o.error), key=lambda o: feed_label(o.feed).lower())
    causes = Counter(c.key for o in failed if (c := cause_of(o.error or "")) is not None)
    common = _common_cause(causes, len(outcomes))
    lines: list[tuple[int, str]] = []
    feed_level = logging.DEBUG if common is not None else logging.WARNING
    for o in failed:
        lines.append(
            (feed_level, f"{feed_label(o.feed)}: {short_error(o.error or '', o.feed.url)}")
        )
    for o in sorted(outcomes, key=lambda o: feed_label(o.feed).lower()):
        if o.error is None and o.problem:
            lines.append(
                (logging.WARNING, f"{feed_label(o.feed)}: partial feed: "
                 f"{short_error(o.problem, o.feed.url)}")
            )  # fmt: skip
    if common is not None:
        cause = next(c for c in CAUSES if c.key == common)
        lines.append(
            (logging.ERROR, f"{causes[common]} of {len(outcomes)} feeds failed: {cause.short}")
        )
        lines.append((logging.ERROR, cause.hint))
    new = sum(len(o.originals) for o in outcomes)
    summary = (
        f"round {_hhmm(started_at, tz)}: {len(outcomes)} feed{'s' if len(outcomes) != 1 else ''}, "
        f"{new} new item{'s' if new != 1 else ''}"
    )
    if failed and common is not None and causes[common] == len(failed):
        # one cause for all: the diagnosis above says it, the names are in the table or at -v
        summary += f", {len(failed)} failed"
    elif failed:
        named = "; ".join(
            f"{_middle(feed_label(o.feed), SUMMARY_NAME)}: {status_error(o)}"
            for o in failed[:SUMMARY_FAILURES]
        )
        more = f"; {len(failed) - SUMMARY_FAILURES} more" if len(failed) > SUMMARY_FAILURES else ""
        summary += f", {len(failed)} failed ({named}{more})"
    if next_due_at is not None:
        summary += f", next round {_hhmm(next_due_at, tz)}"
    lines.append((logging.WARNING if failed else logging.INFO, summary))
    return RoundReport(tuple(lines))


def _common_cause(causes: Counter[str], polled: int) -> str | None:
    if not causes:
        return None
    key, count = causes.most_common(1)[0]
    if count >= DIAGNOSIS_MIN_FEEDS and count > polled * DIAGNOSIS_SHARE:
        return key
    return None


def _middle(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[-(width - 1 - head) :]


def _hhmm(when: datetime, tz: tzinfo | None) -> str:
    return when.astimezone(tz).strftime("%H:%M")
