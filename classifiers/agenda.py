"""The items of agenda lists: the areas a ministers' readout or an agreement enumerates.

Published readouts list what was agreed as "▲ … ▲ …", "① … ②", "(1) … (2)", one item per
line, or as "cooperation in A, B, C and D". The document vector of the whole lead blurs
such a list into its one or two strongest areas, so each listed item is also scored by the
topic heads on its own, against a cut of its own (`heads.topic_cuts`). A marked item that
joins two areas ("高齢化への対応と介護人材の育成", "▲감염병 대응 및 보건안보") counts as two.

Pure text work, bounded: only texts of `MIN_CHARS` or more are read (counted in Latin letters:
a Han, kana or Hangul character counts `DENSE_WEIGHT`, so a Chinese or Japanese ministry lead
of 150 characters is read like an English one of 450), only the start of their
text, and at most `MAX_ITEMS` items are returned.
"""

from __future__ import annotations

import re

READ_CHARS = 6000  # agenda lists sit in the first paragraphs of a readout
# a headline with its lead sentence carries no agenda: reading the commas of such short items
# as lists cost 30 % of title+lead speed (bench/classify.py) for a third of the list evidence
MIN_CHARS = 400
# a Han, kana or Hangul character carries about as much as three Latin letters (a Chinese
# word is under two characters, an English one six with its space)
DENSE_WEIGHT = 3
_DENSE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MAX_ITEMS = 6  # each item is embedded: as many as a readout lists (10 cost 17 % of long-text time)
MAX_ITEM_CHARS = 160
MIN_ITEM_CHARS = 4
MIN_HALF = 10  # in Latin letters (`_reading_length`): "介護人材の育成" is a half, "data" is not
MIN_ENUMERATED = 3  # parts: "A, B and C" is a list, "A, which B" a clause

# a marker that starts a list item: bullets, circled or bracketed numbers, and at the start of
# a line "1." "1)" "-" "一、" "（一）" "ก." "a)"
_MARKER = re.compile(
    r"[▲△■□◆◇●○•▶►➢✔✓◎]"
    r"|[①-⑳❶-❿➀-➉]"
    r"|[(（]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2}|[a-hก-ฮ])\s*[)）]"
    r"|(?:^|(?<=\n))[ \t]*(?:\d{1,2}[.)．]|[-*–—・]|[一二三四五六七八九十]{1,2}[、．.]|[a-h][.)])"
    r"(?=[ \t]|[^\x00-\x7f])"
)
# separators inside one sentence of an enumeration
_SEPARATORS = re.compile(r"\s*[;；、]\s*|,\s+|，")
# a conjunction before the last item ("and D", "및 D", "และ D"), dropped from the item
_LEADING_CONJUNCTION = re.compile(
    r"^(?:and|or|as well as|dan|serta|và|cũng như|at|및|그리고|และ|รวมถึง"
    r"|以及|及|和|与|並びに|及び|と)\s*",
    re.IGNORECASE,
)
# "and" between spaces in the languages that space their words
_SPACED_AND = r"\s+(?:and|dan|serta|và|및|และ)\s+"
# "C and D" at the end of an enumeration is two items (spaced conjunctions only: 和 is also
# inside words such as 共和国)
_LAST_CONJUNCTION = re.compile(rf"{_SPACED_AND}|\s+as well as\s+", re.IGNORECASE)
# "A and B" inside one marked item; Japanese と only between kanji or katakana (not in ひとり),
# Chinese 以及 but not 及 (it is inside 普及)
_INNER_CONJUNCTION = re.compile(
    _SPACED_AND
    + r"|(?<=[\u30a0-\u30ff\u4e00-\u9fff）)])と(?=[\u30a0-\u30ff\u4e00-\u9fff])|及び|並びに|以及",
    re.IGNORECASE,
)
# a line, a sentence, or a closing dash ("①A②B――の5分野で", "A; B -- the ministry said")
_LINE_OR_SENTENCE_END = re.compile(r"\n|(?<=[.!?。！？])\s|――|——|\s--?\s|\s—\s")


def agenda_items(title: str, text: str) -> list[str]:
    """The listed items of `title` and `text`, in order, at most MAX_ITEMS.

    Marked lists (bullets, numbers) give one item per marker, up to the end of its line or
    sentence; sentences that enumerate MIN_ENUMERATED or more parts with commas, semicolons
    or "、" give one item per part. A text with no list, or shorter than MIN_CHARS (by
    `_reading_length`), gives none.
    """
    # the start decides: MIN_CHARS characters of any script are at least MIN_CHARS letters
    if _reading_length(f"{title}{text[:MIN_CHARS]}") < MIN_CHARS:
        return []
    body = text[:READ_CHARS]
    items = _pairs(_marked(body)) or _enumerated(f"{title}\n{body}")
    cleaned = [_clean(item) for item in items]
    unique = dict.fromkeys(item for item in cleaned if len(item) >= MIN_ITEM_CHARS)
    return list(unique)[:MAX_ITEMS]


def _reading_length(text: str) -> int:
    """Length in Latin-script characters: a Han, kana or Hangul character says about as
    much as DENSE_WEIGHT letters of English, so a 150-character Chinese lead is a long one."""
    return len(text) + (DENSE_WEIGHT - 1) * len(_DENSE.findall(text))


def _marked(text: str) -> list[str]:
    markers = list(_MARKER.finditer(text))
    if len(markers) < 2:
        return []
    items = []
    ends = [m.start() for m in markers[1:]] + [len(text)]
    for marker, following in zip(markers, ends, strict=True):
        piece = text[marker.end() : following]
        end = _LINE_OR_SENTENCE_END.search(piece)
        items.append(piece[: end.start()] if end else piece)
    return items


def _pairs(items: list[str]) -> list[str]:
    """Marked items that join two areas ("高齢化への対応と介護人材の育成", "▲감염병 대응 및
    보건안보") as two items each, where both halves are areas in their own right (MIN_HALF)."""
    out: list[str] = []
    for item in items:
        parts = _INNER_CONJUNCTION.split(item)
        whole = len(parts) != 2 or any(_reading_length(p.strip()) < MIN_HALF for p in parts)
        out.extend([item] if whole else parts)
    return out


def _enumerated(text: str) -> list[str]:
    items: list[str] = []
    for line in text.splitlines():
        for sentence in re.split(r"(?<=[.!?。！？])\s*", line):
            parts = [p for p in _SEPARATORS.split(sentence) if p.strip()]
            if len(parts) >= 2:  # "A, B and C": the conjunction parts the last two
                parts = [*parts[:-1], *_LAST_CONJUNCTION.split(parts[-1])]
            if len(parts) >= MIN_ENUMERATED:
                items.extend(parts)
    return items


def _clean(item: str) -> str:
    item = " ".join(item.split()).strip(" .,;:、，；。")
    return _LEADING_CONJUNCTION.sub("", item)[:MAX_ITEM_CHARS].strip()
