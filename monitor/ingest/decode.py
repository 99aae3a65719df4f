"""Bytes of a feed or page -> text: BOM, declared charsets (browsers' supersets), detection."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

import charset_normalizer

CHARSET_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "cp932": ("cp932", "shift_jis_2004"),
    "shift_jis_2004": ("cp932", "shift_jis_2004"),
    "shift_jisx0213": ("cp932", "shift_jis_2004"),
    "euc_jp": ("euc_jp", "euc_jis_2004"),
    "euc_kr": ("cp949",),
    "cp949": ("cp949",),
    "tis_620": ("cp874", "tis_620"),
    "iso8859_11": ("cp874", "tis_620"),
    "cp874": ("cp874", "tis_620"),
    "latin_1": ("cp1252", "latin_1"),
    "ascii": ("cp1252", "latin_1"),
    "cp1252": ("cp1252", "latin_1"),
    "iso8859_9": ("cp1254", "iso8859_9"),
}
"""Python codec name of a declared charset -> codecs to try, superset first (WHATWG-like)."""


_EXTRA_LABELS: dict[str, str] = {
    "x-gbk": "gbk",
    "x-euc-cn": "gb2312",
    "euc-cn": "gb2312",
    "x-big5": "big5",
    "x-sjis": "shift_jis",
    "windows-31j": "cp932",
    "x-euc-kr": "euc_kr",
    "ks_c_5601-1987": "euc_kr",
    "iso-8859-11": "iso8859_11",
    "windows-874": "cp874",
    "x-windows-874": "cp874",
    "tis620": "tis_620",
}


_SINGLE_BYTE_LATIN = frozenset({"cp1252", "latin_1", "cp1254", "iso8859_9", "iso8859_15"})


_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)


_CHARSET_PARAM_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class DecodedText:
    """A body decoded to text.

    Attributes:
        text: The decoded text.
        encoding: Python codec name used, or None when bytes were replaced blindly.
        problem: Why the declared charset was not used, or None.
    """

    text: str
    encoding: str | None
    problem: str | None


def decode_bytes(content: bytes, headers: Mapping[str, str], *, markup: str) -> DecodedText:
    """Decode a document, honouring BOM, HTTP charset and in-document declaration.

    Declared charsets are mapped to their common supersets; a declaration that
    does not decode the body (or decodes a CJK/Thai body as Latin-1 mojibake)
    is passed over for the next one, then for charset_normalizer's guess.

    Args:
        content: The raw bytes.
        headers: Response headers with lower-case names.
        markup: "xml" (read the XML declaration), "html" (read <meta charset>)
            or "json" (UTF-8 unless declared otherwise).

    Returns:
        The text, the codec used and the reason a declaration was overridden.
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            return DecodedText(content.decode(codec, errors="replace"), codec, None)
    for start, codec in ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be")):
        if content.startswith(start):  # UTF-16 without a BOM (XML 1.0, appendix F)
            return DecodedText(content.decode(codec, errors="replace"), codec, None)

    header_label = _charset_from_content_type(headers.get("content-type", ""))
    doc_label = _declared_charset(content[:4096], markup)
    declared = [
        (where, label)
        for where, label in (("HTTP header", header_label), ("document", doc_label))
        if label
    ]

    if content.isascii():
        return DecodedText(content.decode("ascii"), "utf-8", None)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        problem = _override_note(declared, "utf-8")
        return DecodedText(text, "utf-8", problem)

    first: tuple[str, str] | None = None
    for _where, label in declared:
        for codec in _codecs_for(label):
            try:
                text = content.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec in _SINGLE_BYTE_LATIN and _looks_like_mojibake(text):
                first = first or (text, codec)
                continue
            return DecodedText(text, codec, _override_note(declared, codec))

    nearly = _nearly_decodable(content, declared)
    if nearly is not None:
        return nearly
    guess = charset_normalizer.from_bytes(content).best()
    if guess is not None:
        text, codec = _decode_guess(content, guess.encoding)
        if not (codec in _SINGLE_BYTE_LATIN and _looks_like_mojibake(text) and first):
            return DecodedText(text, codec, _override_note(declared, codec))
    if first is not None:
        return DecodedText(first[0], first[1], None)
    codec = _codecs_for(declared[0][1])[0] if declared and _codecs_for(declared[0][1]) else "utf-8"
    return DecodedText(
        content.decode(codec, errors="replace"),
        None,
        f"could not decode the body as {codec}; undecodable bytes replaced",
    )


MAX_REPLACED_SHARE = 0.01
"""A multi-byte decoding needing at most this share of replacements is taken as right."""


def _nearly_decodable(content: bytes, declared: list[tuple[str, str]]) -> DecodedText | None:
    """UTF-8 or a declared multi-byte charset that fits all but a few stray bytes.

    A feed in UTF-8 with one broken byte is still UTF-8: decoding it whole as
    something else would garble every line.
    """
    candidates = ["utf-8"] + [
        codec
        for _where, label in declared
        for codec in _codecs_for(label)[:1]
        if codec not in _SINGLE_BYTE_LATIN and codec != "utf-8"
    ]
    non_ascii = len(content) - len(content.translate(None, _ASCII_BYTES))
    best: tuple[int, str, str] | None = None
    for codec in candidates:
        text = content.decode(codec, errors="replace")
        replaced = text.count("\ufffd")
        if best is None or replaced < best[0]:
            best = (replaced, text, codec)
    if best is None or best[0] > non_ascii * MAX_REPLACED_SHARE:
        return None
    replaced, text, codec = best
    return DecodedText(text, codec, f"{replaced} byte sequence(s) invalid in {codec} replaced")


_ASCII_BYTES = bytes(range(128))


def _decode_guess(content: bytes, encoding: str) -> tuple[str, str]:
    """Decode with a detected encoding's superset if it fits, else the detected one."""
    for codec in _codecs_for(encoding):
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return content.decode(encoding, errors="replace"), encoding


def _charset_from_content_type(value: str) -> str | None:
    match = _CHARSET_PARAM_RE.search(value)
    return match.group(1) if match else None


def _declared_charset(head: bytes, markup: str) -> str | None:
    if markup == "xml":
        match = _XML_DECL_RE.match(head)
    elif markup == "html":
        match = _META_CHARSET_RE.search(head)
    else:
        match = None
    return match.group(1).decode("ascii") if match else None


def _codecs_for(label: str) -> tuple[str, ...]:
    """Python codecs to try for a declared charset label, superset first; () if unknown."""
    label = label.strip().lower()
    label = _EXTRA_LABELS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return ()
    name = name.replace("-", "_")
    name = {"iso8859_1": "latin_1", "us_ascii": "ascii", "euc_kr": "euc_kr"}.get(name, name)
    return CHARSET_SUPERSETS.get(name, (codecs.lookup(name).name,))


def _override_note(declared: list[tuple[str, str]], used: str) -> str | None:
    """Describe a declaration that was not followed, or None when all agree."""
    used_name = codecs.lookup(used).name
    for where, label in declared:
        family = {codecs.lookup(c).name for c in _codecs_for(label)}
        if used_name not in family:
            return (
                f"charset {label!r} declared in the {where} does not match the body;"
                f" decoded as {used}"
            )
    return None


def _looks_like_mojibake(text: str) -> bool:
    """True when Latin-1-range characters come in runs, as CJK or Thai read as Latin-1 do."""
    non_ascii = 0
    in_runs = 0
    previous_high = False
    for char in text:
        high = "\x80" <= char <= "\xff" or char in _CP1252_EXTRAS
        if high:
            non_ascii += 1
            if previous_high:
                in_runs += 2
        previous_high = high
    return non_ascii >= 4 and in_runs >= non_ascii * 0.6


_CP1252_EXTRAS = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))
