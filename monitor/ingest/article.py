"""Article page HTML -> its main text, with trafilatura; no I/O."""

from __future__ import annotations

from collections.abc import Mapping

import trafilatura

from monitor.ingest.decode import decode_bytes

MAX_ARTICLE_BYTES = 5_000_000
"""Larger pages are cut before extraction (bounded time and memory)."""


def extract_article_text(html: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> str:
    """The main text of an article page, without navigation, footer or comments.

    The page is decoded first, honouring a BOM, the Content-Type charset and
    ``<meta charset>`` (mapped to the supersets browsers use, e.g. EUC-KR ->
    CP949), with detection as a fallback.

    Args:
        html: The page as fetched.
        url: The page's URL (helps trafilatura with site-specific rules).
        headers: The response headers, if any.

    Returns:
        The text, one paragraph per line, or "" when nothing extractable.
    """
    if not html.strip():
        return ""
    lower_headers = {k.lower(): v for k, v in (headers or {}).items()}
    decoded = decode_bytes(html[:MAX_ARTICLE_BYTES], lower_headers, markup="html")
    try:
        text = trafilatura.extract(
            decoded.text,
            url=url or None,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            favor_precision=True,
            deduplicate=False,
            with_metadata=False,
        )
    except (ValueError, TypeError):  # lxml rejects some malformed documents
        return ""
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
