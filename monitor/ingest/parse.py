"""Feed bytes -> normalised items: charset decoding, feedparser, JSON Feed; no I/O.

The body is decoded here, not by feedparser: the declared charsets (HTTP
header, XML declaration) are mapped to the supersets browsers use (GB2312 ->
GB18030, Big5 -> Big5-HKSCS, Shift_JIS -> CP932, EUC-KR -> CP949, TIS-620 ->
CP874), a declaration that does not decode the body is passed over, and
charset_normalizer guesses when nothing declared fits. feedparser then gets
clean UTF-8, so its own encoding fallbacks (which produce mojibake for legacy
Asian charsets) never run.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import html
import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from classifiers.base import language_code
from monitor.errors import FeedParseError
from monitor.ingest.decode import (
    DecodedText,
    decode_bytes,
)
from monitor.ingest.urls import canonical_url
from monitor.models import Item

FUTURE_TOLERANCE = timedelta(days=1)
"""Dates further than this in the future are treated as absent."""
_OLDEST = datetime.min.replace(tzinfo=UTC)


_XML_DECL_ENCODING_RE = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:-]+)""")

_DOCTYPE_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_FIRST_ELEMENT_RE = re.compile(rb"<\w")
_SAFE_ENTITY_RE = re.compile(
    rb"""<!ENTITY\s+[\w.-]+\s+["']&#x?[0-9A-Fa-f]+;["']\s*>""", re.IGNORECASE
)
_HTML_START_RE = re.compile(
    rb"^(?:\s|<\?xml[^>]*>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class ParsedFeed:
    """The usable content of one feed body.

    Attributes:
        title: The feed's own title, plain text ("" when absent).
        items: The entries, normalised, in feed order.
        encoding: The Python codec the body was decoded with (e.g. "cp949"
            for a feed declared EUC-KR), or None when undetermined.
        problem: A recoverable issue worth showing in the feed's status
            (malformed XML, a wrong charset declaration, skipped entries), or None.
        over_cap: Older entries left out because the feed had more than
            ``max_entries`` usable ones.
    """

    title: str
    items: tuple[Item, ...]
    encoding: str | None
    problem: str | None
    over_cap: int = 0


# A date that names its zone ends in one: Z, +09:00, +0900, GMT, KST, ...
_ZONE_RE = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2}|\b[A-Za-z]{1,5})\s*$")


def parse_feed(
    content: bytes,
    headers: Mapping[str, str],
    *,
    feed_url: str,
    language_hint: str | None,
    now: datetime,
    naive_zone: tzinfo = UTC,
    max_entries: int | None = None,
) -> ParsedFeed:
    """Parse a fetched RSS/Atom/RDF/JSON Feed body into items.

    Args:
        content: The response body.
        headers: The response headers (any case); Content-Type's charset is honoured.
        feed_url: The feed's URL, used to resolve relative links.
        language_hint: The operator's language hint for the feed, if any; wins
            over the feed's own declaration.
        now: The current time (UTC-aware), to reject dates in the far future.
        naive_zone: The zone of dates written without one ("2025-05-20 09:00"), as
            many national feeds do: their local time, not UTC.
        max_entries: Keep only the newest this many items (`keep_newest`);
            None: all.

    Returns:
        The feed title, its items and any recoverable problem.

    Raises:
        FeedParseError: The body is empty, an HTML page, declares XML entities,
            or is not a feed at all.
    """
    if not content.strip():
        raise FeedParseError("empty body")
    lower_headers = {k.lower(): v for k, v in headers.items()}
    if _looks_like_json(content):
        parsed = _parse_json_feed(
            content,
            lower_headers,
            feed_url=feed_url,
            language_hint=language_hint,
            now=now,
            naive_zone=naive_zone,
        )
        return keep_newest(parsed, max_entries)
    head = content[:4096]
    if _HTML_START_RE.match(_strip_bom(head)):
        raise FeedParseError("looks like an HTML page, not a feed")
    decoded = decode_bytes(content, lower_headers, markup="xml")
    parsed = _parse_xml_feed(
        decoded,
        lower_headers,
        feed_url=feed_url,
        language_hint=language_hint,
        now=now,
        naive_zone=naive_zone,
    )
    return keep_newest(parsed, max_entries)


def keep_newest(parsed: ParsedFeed, max_entries: int | None) -> ParsedFeed:
    """`parsed` with only its newest `max_entries` items, still in feed order.

    Newest by date; undated items rank below dated ones and among themselves by
    their place in the feed (feeds list the newest first). ``over_cap`` counts
    the items left out.
    """
    items = parsed.items
    if max_entries is None or len(items) <= max_entries:
        return parsed
    ranked = sorted(
        range(len(items)),
        key=lambda i: (items[i].published_at is not None, items[i].published_at or _OLDEST, -i),
        reverse=True,
    )
    kept = tuple(items[i] for i in sorted(ranked[:max_entries]))
    return replace(parsed, items=kept, over_cap=len(items) - len(kept))


# --- decoding -------------------------------------------------------------


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(codecs.BOM_UTF8) else data


# --- XML feeds ------------------------------------------------------------


def _refuse_entity_declarations(content: bytes) -> None:
    """Refuse documents declaring XML entities other than single character references.

    feedparser re-inserts the literal-text entities of the prolog (everything
    before the first element) and its loose parser expands them without
    limit: a 160 KB body can grow to gigabytes. The prolog is cut where
    feedparser cuts it.
    """
    first_element = _FIRST_ELEMENT_RE.search(content)
    prolog = content[: first_element.start()] if first_element else content
    declarations = len(_DOCTYPE_ENTITY_RE.findall(prolog))
    if declarations and declarations != len(_SAFE_ENTITY_RE.findall(prolog)):
        raise FeedParseError("feed declares XML entities; refused")


def _parse_xml_feed(
    decoded: DecodedText,
    headers: Mapping[str, str],
    *,
    feed_url: str,
    language_hint: str | None,
    now: datetime,
    naive_zone: tzinfo,
) -> ParsedFeed:
    text = _XML_DECL_ENCODING_RE.sub(r"\g<1>utf-8", decoded.text, count=1)
    # No content-location: feedparser would urljoin every element against it;
    # entry links are resolved against feed_url below, once each.
    fp_headers = {"content-type": "application/xml; charset=utf-8"}
    if "content-language" in headers:
        fp_headers["content-language"] = headers["content-language"]
    data = text.encode("utf-8")
    _refuse_entity_declarations(data)
    try:
        # A stream, never bytes or str: feedparser opens those as URLs or file paths.
        result = feedparser.parse(
            io.BytesIO(data),
            response_headers=fp_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's loose parser can fail in odd ways
        raise FeedParseError(f"feedparser failed: {exc}") from exc

    problems: list[str] = []
    if decoded.problem:
        problems.append(decoded.problem)
    bozo = bool(result.get("bozo"))
    if bozo:
        problems.append(_describe_bozo(result.get("bozo_exception")))
    entries: list[Any] = list(result.get("entries", []))
    version = str(result.get("version") or "")
    if not entries and (bozo or not version):
        reason = "; ".join(problems) if problems else "no RSS, Atom or RDF root element"
        raise FeedParseError(f"not a usable feed: {reason}")

    feed: Mapping[str, Any] = result.get("feed", {})
    feed_language = language_code(language_hint) or language_code(
        _str(feed.get("language")) or headers.get("content-language")
    )
    items: list[Item] = []
    skipped = 0
    for entry in entries:
        item = _item_from_entry(
            entry,
            feed_url=feed_url,
            language=feed_language,
            hint_given=language_hint is not None,
            now=now,
            naive_zone=naive_zone,
        )
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if skipped:
        problems.append(
            f"skipped {skipped} entr{'y' if skipped == 1 else 'ies'} without title or text"
        )
    return ParsedFeed(
        title=_detail_text(feed.get("title_detail"), _str(feed.get("title"))),
        items=tuple(items),
        encoding=decoded.encoding,
        problem="; ".join(problems) or None,
    )


def _describe_bozo(exc: object) -> str:
    if isinstance(exc, SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}"
    if exc is None:
        return "malformed feed"
    return str(exc) or type(exc).__name__


def _item_from_entry(
    entry: Mapping[str, Any],
    *,
    feed_url: str,
    language: str | None,
    hint_given: bool,
    now: datetime,
    naive_zone: tzinfo = UTC,
) -> Item | None:
    title = _detail_text(entry.get("title_detail"), _str(entry.get("title")))
    summary = _detail_text(entry.get("summary_detail"), _str(entry.get("summary")))
    content_text = ""
    contents = entry.get("content") or []
    if contents:
        first = contents[0]
        content_text = _detail_text(first, _str(first.get("value")))
    text = content_text if len(content_text) > len(summary) else summary
    if not title and not text:
        return None
    link = _str(entry.get("link"))
    url = canonical_url(urljoin(feed_url, link)) if link else ""
    published_at = _struct_to_datetime(entry.get("published_parsed"), now) or _struct_to_datetime(
        entry.get("updated_parsed"), now
    )
    raw_date = _str(entry.get("published")) or _str(entry.get("updated"))
    if published_at is not None and naive_zone is not UTC and not _ZONE_RE.search(raw_date):
        # feedparser read a zone-less date as UTC; it is the feed's local time
        published_at = _reject_future(published_at.replace(tzinfo=naive_zone).astimezone(UTC), now)
    guid = _str(entry.get("id")).strip() or url or _fallback_guid(title, raw_date, text)
    entry_language = None
    if not hint_given:
        detail = entry.get("title_detail") or entry.get("summary_detail") or {}
        entry_language = language_code(_str(detail.get("language")))
    return Item(
        feed_url=feed_url,
        guid=guid,
        url=url,
        title=title,
        text=text,
        published_at=published_at,
        language_hint=entry_language or language,
    )


def _struct_to_datetime(value: object, now: datetime) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return _reject_future(moment, now)


def _reject_future(moment: datetime, now: datetime) -> datetime | None:
    return None if moment > now + FUTURE_TOLERANCE else moment


def _fallback_guid(title: str, raw_date: str, text: str) -> str:
    basis = f"{title}\x1f{raw_date}" if raw_date else f"{title}\x1f{text}"
    return "urn:sha256:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _detail_text(detail: object, fallback: str) -> str:
    """Plain text of a feedparser text construct (HTML stripped when it is HTML)."""
    value = fallback
    kind = "text/html"
    if isinstance(detail, Mapping):
        value = _str(detail.get("value")) or fallback
        kind = _str(detail.get("type")) or kind
    if "html" in kind:
        return html_to_text(value)
    return collapse_whitespace(html.unescape(value))


# --- JSON Feed ------------------------------------------------------------


def _looks_like_json(content: bytes) -> bool:
    return _strip_bom(content).lstrip()[:1] == b"{"


def _parse_json_feed(
    content: bytes,
    headers: Mapping[str, str],
    *,
    feed_url: str,
    language_hint: str | None,
    now: datetime,
    naive_zone: tzinfo,
) -> ParsedFeed:
    decoded = decode_bytes(content, headers, markup="json")
    try:
        document = json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"not a valid JSON Feed: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedParseError("not a valid JSON Feed: no 'items' list")
    feed_language = language_code(language_hint) or language_code(
        _str(document.get("language")) or headers.get("content-language")
    )
    items: list[Item] = []
    skipped = 0
    for raw in document["items"]:
        item = (
            _item_from_json(
                raw,
                feed_url=feed_url,
                language=feed_language,
                hint_given=language_hint is not None,
                now=now,
                naive_zone=naive_zone,
            )
            if isinstance(raw, dict)
            else None
        )
        if item is None:
            skipped += 1
        else:
            items.append(item)
    problems = [p for p in (decoded.problem,) if p]
    if skipped:
        problems.append(
            f"skipped {skipped} entr{'y' if skipped == 1 else 'ies'} without title or text"
        )
    return ParsedFeed(
        title=collapse_whitespace(_str(document.get("title"))),
        items=tuple(items),
        encoding=decoded.encoding,
        problem="; ".join(problems) or None,
    )


def _item_from_json(
    raw: Mapping[str, Any],
    *,
    feed_url: str,
    language: str | None,
    hint_given: bool,
    now: datetime,
    naive_zone: tzinfo = UTC,
) -> Item | None:
    title = collapse_whitespace(_str(raw.get("title")))
    summary = collapse_whitespace(_str(raw.get("summary")))
    body = html_to_text(_str(raw.get("content_html"))) or collapse_whitespace(
        _str(raw.get("content_text"))
    )
    text = body if len(body) > len(summary) else summary
    if not title and not text:
        return None
    link = _str(raw.get("url")) or _str(raw.get("external_url"))
    url = canonical_url(urljoin(feed_url, link)) if link else ""
    raw_date = _str(raw.get("date_published")) or _str(raw.get("date_modified"))
    published_at = _parse_rfc3339(raw_date, now, naive_zone)
    raw_id = raw.get("id")
    guid = str(raw_id).strip() if isinstance(raw_id, str | int) else ""
    guid = guid or url or _fallback_guid(title, raw_date, text)
    item_language = None if hint_given else language_code(_str(raw.get("language")))
    return Item(
        feed_url=feed_url,
        guid=guid,
        url=url,
        title=title,
        text=text,
        published_at=published_at,
        language_hint=item_language or language,
    )


def _parse_rfc3339(value: str, now: datetime, naive_zone: tzinfo = UTC) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_zone)
    return _reject_future(moment.astimezone(UTC), now)


# --- text helpers ---------------------------------------------------------


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd details div dl dt figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th "
    "thead tr ul".split()
)
_SKIPPED_TAGS = frozenset("script style noscript template iframe object svg head".split())


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, dropping scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS or tag == "img":
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS or tag == "img":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, whitespace collapsed.

    Args:
        fragment: HTML (or plain text, which passes through with entities decoded).

    Returns:
        The text on one line.
    """
    if "<" not in fragment and "&" not in fragment:
        return collapse_whitespace(fragment)
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return collapse_whitespace("".join(collector.parts))


def collapse_whitespace(value: str) -> str:
    """Collapse runs of whitespace (including NBSP) to one space, drop control characters."""
    return " ".join(_CONTROL_RE.sub("", value).split())


_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
