"""Language detection: title + text (+ the feed's hint) -> ISO 639-1 code.

Scripts decide where they are certain: Hangul -> ko, any kana -> ja (Japanese always has
kana, Chinese never does), Han only -> zh, Thai -> th, and likewise Lao, Khmer, Myanmar,
Cyrillic (ru, or mn with Mongolian letters), Arabic, Devanagari, Bengali, Tamil,
Sinhala. Latin-script text goes to lingua, restricted to the Latin-script target
languages (en, id, ms, vi, tl) in high-accuracy mode, with a small low-accuracy guard
that recognises fr, es, de, pt, it and nl in longer texts. Indonesian and Malay are
close, and lingua is often confidently wrong between them: when it answers either,
distinctive words decide, then the feed's hint, then lingua's answer.

Otherwise the feed's hint is used only when the text is too short or undetermined. Filipino is
reported as ``tl`` (ISO 639-1 has no separate code for it).
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from classifiers.base import language_code

if TYPE_CHECKING:  # lingua is imported when the first detector is built
    from lingua import Language as LinguaLanguage
    from lingua import LanguageDetector as LinguaDetector

UNDETERMINED = "und"

# Latin-script languages the high-accuracy model decides between.
LATIN_TARGETS = ("en", "id", "ms", "vi", "tl")
# Other Latin-script languages recognised by the low-accuracy guard on longer texts.
LATIN_OTHERS = ("fr", "es", "de", "pt", "it", "nl")
LINGUA_NAMES = {
    "en": "ENGLISH",
    "id": "INDONESIAN",
    "ms": "MALAY",
    "vi": "VIETNAMESE",
    "tl": "TAGALOG",
    "fr": "FRENCH",
    "es": "SPANISH",
    "de": "GERMAN",
    "pt": "PORTUGUESE",
    "it": "ITALIAN",
    "nl": "DUTCH",
}
# Codes this module can return (besides "und").
SUPPORTED = frozenset(
    {*LATIN_TARGETS, *LATIN_OTHERS, "ko", "ja", "zh", "th", "lo", "km", "my", "ru", "mn"}
    | {"ar", "hi", "bn", "ta", "si"}
)

SAMPLE_CHARS = 2000  # characters of title + text looked at
LINGUA_CHARS = 1000  # characters of Latin text given to lingua
MIN_LETTERS = 3  # fewer letters than this: undetermined (or the hint)
SHORT_LATIN = 15  # Latin text shorter than this (letters) is too short to trust over a hint
GUARD_MIN_LETTERS = 40  # the non-target guard needs at least this much text
GUARD_CONFIDENCE = 0.6
UNSURE_CONFIDENCE = 0.25  # below this, lingua's top answer is "undetermined"
CJK_WEIGHT = 3  # one Hangul/Han/kana character carries about three Latin letters' worth
BRAHMIC_WEIGHT = 2  # a Thai/Lao/Khmer/Myanmar letter (or vowel sign) carries about two
KANA_SHARE = 0.05  # long texts need this share of kana among Han+kana to be Japanese
KANJI_ONLY_MAX = 40  # Han-only texts up to this length may be kanji-only Japanese (hint ja)

# Distinctive words for the Indonesian/Malay tie-break (lowercase tokens or bigrams).
INDONESIAN_WORDS = frozenset(
    """pemerintah kesehatan kemenkes menkes dokter obat bisa uang karena berhasil senin
    kamis jumat agustus desember juli miliar triliun provinsi polisi kantor perawat pasien
    gratis kampanye kasus wabah perawatan terdeteksi puskesmas bpjs dbd jakarta jawa
    surabaya bandung rp rupiah tiongkok jepang imbau kabupaten lansia balita nakes faskes
    rsud stunting presiden dpr tni sejumlah rumah_sakit amerika_serikat""".split()
)
MALAY_WORDS = frozenset(
    """kerajaan hospital kesihatan kkm doktor ubat boleh wang kerana berjaya isnin khamis
    jumaat ogos disember julai bilion polis pejabat jururawat pesakit kanak percuma
    kempen kes wabak rawatan dikesan mengesan selangor sabah sarawak johor putrajaya
    bernama ringgit rm jepun cina elaun memeterai meterai ramai warga_emas
    amerika_syarikat""".split()
)

# Short Latin-script texts (headlines): lingua often prefers Tagalog, Malay, Dutch ... for
# English headlines made mostly of names ("Thailand and Laos cooperate on dengue" -> tl at
# 0.39, English 0.39). Below SHORT_CHECK letters, such an answer stands only if the text has
# a word of that language (its everyday words, or the Indonesian/Malay lists below) and not
# more English everyday words; otherwise, if lingua gives English at least ENGLISH_FLOOR,
# the text is English.
SHORT_CHECK = 120
ENGLISH_FLOOR = 0.1
FUNCTION_WORDS = {
    "en": frozenset(
        """the a an and or of to in on for with at by from as is are was were be been has
        have had will would after over into says say said its their his her new not this that
        than more amid about against under up out""".split()
    ),
    "tl": frozenset(
        """ang ng mga sa na ay at para kay ni nang hindi naman mag ito iyon siya sila kanilang
        upang ayon dahil pang ating po ba may mayroon""".split()
    ),
    "id": frozenset(
        """yang dan di ke dari untuk dengan pada akan ini itu dalam oleh bagi tidak telah sudah
        juga serta kepada antara bisa jadi karena soal usai""".split()
    ),
    "ms": frozenset(
        """yang dan di ke dari untuk dengan pada akan ini itu dalam oleh bagi tidak telah sudah
        juga serta kepada antara boleh kerana selepas""".split()
    ),
    "fr": frozenset("le la les des du de et en un une pour dans sur au aux est".split()),
    "es": frozenset("el la los las de del y en un una por para con es al".split()),
    "de": frozenset("der die das und den dem ein eine mit für von zu auf ist im".split()),
    "pt": frozenset("o a os as de do da dos das e em um uma para com por no na".split()),
    "it": frozenset("il lo la gli le di del della e in un una per con è al".split()),
    "nl": frozenset("de het een van en in is op met voor niet aan bij".split()),
}

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
# UTF-8 read as Latin-1/cp1252: a lead byte (Â..ô) followed by a continuation byte.
_MOJIBAKE_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def detect_language(title: str, text: str, hint: str | None = None) -> str:
    """Detect the language of a news item.

    Args:
        title: The item's title (may be empty).
        text: The item's text (may be empty or very long; only the start is read).
        hint: The feed's declared language (``"ko"``, ``"en-US"``, ``"zh_TW"``, ...), used
            only when the text is too short or undetermined.

    Returns:
        An ISO 639-1 code (``"zh"`` for simplified and traditional Chinese, ``"tl"`` for
        Filipino), or ``"und"`` when nothing can be determined and there is no hint.
    """
    return default_detector().detect(title, text, hint)


def normalise_language_code(code: str | None) -> str | None:
    """Reduce a language tag (``"en-US"``, ``"zh_Hant"``, ``"fil"``) to ISO 639-1, or None."""
    return language_code(code)


_default: LanguageDetector | None = None
_default_lock = threading.Lock()


def default_detector() -> LanguageDetector:
    """The shared detector, built on first use (lingua models load lazily)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LanguageDetector()
        return _default


class LanguageDetector:
    """Script rules plus lingua, restricted to the languages the monitor cares about.

    The lingua models are loaded on the first Latin-script text, or at once with
    ``preload=True`` (about 90 MB resident either way once Latin text has been seen).
    """

    def __init__(self, *, preload: bool = False) -> None:
        self._lock = threading.Lock()
        self._main: LinguaDetector | None = None
        self._guard: LinguaDetector | None = None
        self._preload = preload
        if preload:
            self._detectors()

    def detect(self, title: str, text: str, hint: str | None = None) -> str:
        """See `detect_language`."""
        hint_code = normalise_language_code(hint)
        sample = _clean(f"{title or ''}\n{(text or '')[:SAMPLE_CHARS]}")[:SAMPLE_CHARS]
        counts = _script_counts(sample)
        letters = sum(counts.values())
        fallback = hint_code or UNDETERMINED
        if letters < MIN_LETTERS or _is_junk(sample, letters):
            return fallback
        script = _dominant_script(counts)
        if script == "cjk":
            return self._cjk(counts, hint_code)
        if script == "latin":
            latin = _only_latin(sample)
            return self._latin(latin, counts["latin"], hint_code)
        if script == "cyrillic":
            return "mn" if re.search("[өүӨҮ]", sample) else "ru"
        return SCRIPT_LANGUAGE.get(script, fallback)

    def _cjk(self, counts: Counter[str], hint: str | None) -> str:
        hangul, kana, han = counts["hangul"], counts["kana"], counts["han"]
        if hangul >= kana and hangul >= han:
            return "ko"
        if kana and (han + kana < KANJI_ONLY_MAX or kana >= KANA_SHARE * (han + kana)):
            return "ja"
        if hint == "ja" and han <= KANJI_ONLY_MAX:
            return "ja"  # a kanji-only Japanese headline
        return "zh"

    def _latin(self, text: str, letters: int, hint: str | None) -> str:
        if hint is not None and letters < SHORT_LATIN and hint in _LATIN_SCRIPT_LANGUAGES:
            return hint
        main, guard = self._detectors()
        sample = text[:LINGUA_CHARS]
        if letters >= GUARD_MIN_LETTERS:
            guarded = guard.compute_language_confidence_values(sample)
            if guarded:
                top = guarded[0]
                code = _code(top.language)
                if code in LATIN_OTHERS and top.value >= GUARD_CONFIDENCE:
                    if letters >= SHORT_CHECK or _has_words_of(code, sample):
                        return code
        values = main.compute_language_confidence_values(sample)
        if not values or values[0].value < UNSURE_CONFIDENCE:
            return hint or UNDETERMINED
        best = _code(values[0].language)
        english = next((v.value for v in values if _code(v.language) == "en"), 0.0)
        if (
            best not in ("en", "vi")
            and letters < SHORT_CHECK
            and english >= ENGLISH_FLOOR
            and not _has_words_of(best, sample)
        ):
            return "en"
        if best in ("id", "ms"):
            # lingua is often sure and wrong between these two (Indonesian news read as Malay
            # at 0.95-1.0): distinctive words decide, then the feed's hint, then lingua
            return indonesian_or_malay(text, best if hint not in ("id", "ms") else hint)
        return best

    def _detectors(self) -> tuple[LinguaDetector, LinguaDetector]:
        with self._lock:
            if self._main is None or self._guard is None:
                from lingua import Language, LanguageDetectorBuilder

                def languages(codes: Iterable[str]) -> list[LinguaLanguage]:
                    return [getattr(Language, LINGUA_NAMES[code]) for code in codes]

                main = LanguageDetectorBuilder.from_languages(*languages(LATIN_TARGETS))
                guard = LanguageDetectorBuilder.from_languages(
                    *languages(LATIN_TARGETS + LATIN_OTHERS)
                ).with_low_accuracy_mode()
                if self._preload:
                    main = main.with_preloaded_language_models()
                    guard = guard.with_preloaded_language_models()
                self._main = main.build()
                self._guard = guard.build()
            return self._main, self._guard


def _has_words_of(code: str, text: str) -> bool:
    """Does `text` show a word of `code` (an everyday word, or a listed Indonesian/Malay one)
    at least as often as English everyday words?"""
    words = [word.lower() for word in _WORD_RE.findall(text)]
    tokens = set(words) | {f"{a}_{b}" for a, b in itertools.pairwise(words)}
    own_words = FUNCTION_WORDS.get(code, frozenset())
    if code in ("id", "ms"):
        own_words = own_words | INDONESIAN_WORDS | MALAY_WORDS
    own = len(tokens & own_words)
    return own > 0 and own >= len(tokens & FUNCTION_WORDS["en"])


def indonesian_or_malay(text: str, default: str) -> str:
    """Tie-break between Indonesian and Malay by distinctive words.

    Args:
        text: Latin-script text.
        default: The answer when the words do not decide (``"id"`` or ``"ms"``).

    Returns:
        ``"id"`` or ``"ms"``.
    """
    words = [word.lower() for word in _WORD_RE.findall(text)]
    tokens = set(words) | {f"{a}_{b}" for a, b in itertools.pairwise(words)}
    indonesian = len(tokens & INDONESIAN_WORDS)
    malay = len(tokens & MALAY_WORDS)
    if indonesian > malay:
        return "id"
    if malay > indonesian:
        return "ms"
    return default


SCRIPT_LANGUAGE = {
    "thai": "th",
    "lao": "lo",
    "khmer": "km",
    "myanmar": "my",
    "arabic": "ar",
    "devanagari": "hi",
    "bengali": "bn",
    "tamil": "ta",
    "sinhala": "si",
}
_LATIN_SCRIPT_LANGUAGES = frozenset(LATIN_TARGETS + LATIN_OTHERS)

# (first, last, script) code point ranges of letters; checked after str.isalpha().
_SCRIPT_RANGES = (
    (0x0041, 0x024F, "latin"),
    (0x1E00, 0x1EFF, "latin"),  # Latin Extended Additional (Vietnamese)
    (0x0400, 0x052F, "cyrillic"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0D80, 0x0DFF, "sinhala"),
    (0x0E00, 0x0E7F, "thai"),
    (0x0E80, 0x0EFF, "lao"),
    (0x1000, 0x109F, "myanmar"),
    (0x1100, 0x11FF, "hangul"),
    (0x1780, 0x17FF, "khmer"),
    (0x3040, 0x309F, "kana"),  # Hiragana
    (0x30A0, 0x30FF, "kana"),  # Katakana (the middle dot and long mark are not letters)
    (0x3130, 0x318F, "hangul"),
    (0x31F0, 0x31FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xD7B0, 0xD7FF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFF21, 0xFF5A, "latin"),  # full-width Latin
    (0xFF66, 0xFF9F, "kana"),  # half-width Katakana
    (0x20000, 0x3134F, "han"),
)
_CJK_SCRIPTS = ("hangul", "kana", "han")
_BRAHMIC_SCRIPTS = ("thai", "lao", "khmer", "myanmar")


def _script_of(char: str) -> str:
    point = ord(char)
    for first, last, script in _SCRIPT_RANGES:
        if first <= point <= last:
            return script
    return "other"


def _script_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            counts[_script_of(char)] += 1
        elif unicodedata.category(char) in ("Mn", "Mc"):
            script = _script_of(char)
            if script in _BRAHMIC_SCRIPTS or script == "devanagari":
                counts[script] += 1  # vowel signs of abugidas are letters' worth
    return counts


def _dominant_script(counts: Counter[str]) -> str:
    weights: Counter[str] = Counter()
    for script, count in counts.items():
        if script in _CJK_SCRIPTS:
            weights["cjk"] += CJK_WEIGHT * count
        elif script in _BRAHMIC_SCRIPTS:
            weights[script] += BRAHMIC_WEIGHT * count
        elif script != "other":
            weights[script] += count
    if not weights:
        return "other"
    return weights.most_common(1)[0][0]


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"https?://\S+|www\.\S+|\S+@\S+\.\w+", " ", text)  # URLs, e-mail addresses
    return text


def _is_junk(text: str, letters: int) -> bool:
    """Mostly not letters (binary, mojibake, numbers): nothing to detect."""
    visible = sum(1 for char in text if not char.isspace())
    if not visible:
        return True
    broken = sum(
        1
        for char in text
        if char == "\ufffd" or (unicodedata.category(char) == "Cc" and not char.isspace())
    )
    mojibake = len(_MOJIBAKE_RE.findall(text))
    return letters < 0.3 * visible or broken > 0.1 * visible or mojibake * 2 > 0.2 * letters


def _only_latin(text: str) -> str:
    kept = [char if (not char.isalpha() or _script_of(char) == "latin") else " " for char in text]
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def _code(language: LinguaLanguage) -> str:
    return language.iso_code_639_1.name.lower()
