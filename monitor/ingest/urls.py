"""Canonical URLs: the same article behind different links (tracking parameters, redirectors)."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "_ga",
        "_gl",
        "mkt_tok",
        "spm",
        "rss",
        "feed",
        "from_rss",
    }
)
"""Query parameters dropped by `canonical_url` (compared case-insensitively)."""


TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_")


_REDIRECTORS: dict[tuple[str, str], tuple[str, ...]] = {
    ("www.google.com", "/url"): ("url", "q"),
    ("google.com", "/url"): ("url", "q"),
    ("news.google.com", "/news/url"): ("url",),
    ("www.bing.com", "/news/apiclick.aspx"): ("url",),
    ("bing.com", "/news/apiclick.aspx"): ("url",),
    ("l.facebook.com", "/l.php"): ("u",),
    ("lm.facebook.com", "/l.php"): ("u",),
}
"""(host, path) of redirectors whose target sits in plain sight in a query parameter."""


_GOOGLE_NEWS_ARTICLE_RE = re.compile(r"^/(?:__i/)?(?:rss/)?(?:rd/)?articles/([A-Za-z0-9_-]+)$")


_PERCENT_RE = re.compile(r"%[0-9a-fA-F]{2}")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The canonical form of a URL, to recognise the same article behind different links.

    Lower-cases scheme and host, drops default ports, the fragment and tracking
    parameters, sorts the remaining query parameters, percent-encodes non-ASCII
    path characters and keeps the path's case. Links through Google News,
    Google, Bing News or Facebook redirectors are unwrapped when the target can
    be read without a network request.

    Args:
        url: An absolute URL (anything else is returned stripped).

    Returns:
        The canonical URL, or "" for an empty input.
    """
    return _canonical(url.strip(), depth=0)


def _canonical(url: str, *, depth: int) -> str:
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    if depth < 3:
        target = _redirect_target(host, parts.path, parts.query)
        if target:
            return _canonical(target, depth=depth + 1)
    if ":" in host:
        host = f"[{host}]"
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        pass
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _normalise_escapes(quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~"))
    query = "&".join(sorted(_kept_query_pairs(parts.query)))
    return urlunsplit((scheme, netloc, path, query, ""))


def _kept_query_pairs(query: str) -> list[str]:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = pair.split("=", 1)[0].lower()
        if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append(_normalise_escapes(quote(pair, safe="=%:@!$'()*+,;/?-._~")))
    return kept


def _normalise_escapes(value: str) -> str:
    return _PERCENT_RE.sub(lambda m: m.group(0).upper(), value)


def _redirect_target(host: str, path: str, query: str) -> str | None:
    names = _REDIRECTORS.get((host, path))
    if names:
        params = dict(parse_qsl(query))
        for name in names:
            target = params.get(name, "")
            if target.startswith(("http://", "https://")):
                return target
        return None
    if host == "news.google.com":
        match = _GOOGLE_NEWS_ARTICLE_RE.match(path)
        if match:
            return _decode_google_news_id(match.group(1))
    return None


def _decode_google_news_id(article_id: str) -> str | None:
    """The URL inside an old-style Google News article id (base64 protobuf), or None."""
    try:
        data = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    position = 0
    while position < len(data):
        key, position = _read_varint(data, position)
        wire_type = key & 7
        if wire_type == 0:
            _, position = _read_varint(data, position)
        elif wire_type == 2:
            length, position = _read_varint(data, position)
            value = data[position : position + length]
            position += length
            if value.startswith((b"http://", b"https://")):
                try:
                    text = value.decode("ascii")
                except UnicodeDecodeError:
                    return None
                return text if text.isprintable() else None
        else:
            return None
    return None


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
    return result, len(data) + 1
