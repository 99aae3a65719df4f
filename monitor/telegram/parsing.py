"""Command arguments and callback data -> values. Pure: strings in, values or ValueError out.

Every parser raises `ValueError` (or its subclass `UsageError`, which names the
word it could not place) with a reason a handler turns into a usage message.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

from classifiers.errors import closest_match
from monitor.codes import COUNTRY_CODES, LANGUAGE_CODES
from monitor.durations import parse_interval
from monitor.errors import ConfigError
from monitor.filters import EVENT_TYPES, OFFICIAL_SOURCES, Filter

DEFAULT_COUNT = 5
MAX_COUNT = 20
MIN_MUTE = timedelta(minutes=1)
MAX_MUTE = timedelta(days=30)
MAX_KEYWORD_CHARS = 100
MAX_KEYWORDS = 20  # per chat: 20 x 100 characters keep /subscriptions far below 4,096
SWITCH_WORDS = {"on": True, "off": False, "켜기": True, "끄기": False}
FEEDBACK_RE = re.compile(r"^fb:(\d{1,18}):(up|down)$")
KEYWORD_WORDS = ("keyword", "keywords", "키워드")
ALL_WORDS = ("all", "전체")
COOPERATION_WORDS = ("cooperation", "협력")
OFFICIAL_WORDS = ("official", "공식")  # official sources only: ministries and international bodies


class UsageError(ValueError):
    """An argument the command does not accept; `word` is the one to name in the answer."""

    def __init__(self, word: str, reason: str) -> None:
        super().__init__(reason)
        self.word = word


class LimitError(ValueError):
    """A value past one of the bot's limits; `key` and `values` make the catalogue text."""

    def __init__(self, key: str, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class SubscriptionChange:
    """What ``/subscribe ARGS`` adds (or ``/unsubscribe ARGS`` removes).

    Attributes:
        topics: taxonomy slugs.
        countries: ISO 3166-1 alpha-2 codes (typed in capitals).
        languages: ISO 639-1 codes (typed in small letters).
        keywords: at most one phrase: the words after ``keyword``.
        cooperation_only: True for ``cooperation``, False for ``all``, None: unchanged.
        events: cooperation event types (``agreement``, ``funding``, ...: `EVENT_TYPES`).
        sources: source types (``official``: `OFFICIAL_SOURCES`, ministry + international).
    """

    topics: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    cooperation_only: bool | None = None
    events: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        """Whether the arguments asked for nothing."""
        return self == SubscriptionChange()


def parse_count(args: Sequence[str], default: int = DEFAULT_COUNT, maximum: int = MAX_COUNT) -> int:
    """The N of ``/latest [N]``: `default` without arguments, else 1..`maximum`.

    Raises:
        ValueError: more than one argument, not a whole number, or out of range.
    """
    if not args:
        return default
    if len(args) > 1:
        raise ValueError(f"expected one number, got {len(args)} arguments")
    try:
        count = int(args[0])
    except ValueError:
        raise ValueError(f"{args[0]!r} is not a number") from None
    if not 1 <= count <= maximum:
        raise ValueError(f"{count} is not between 1 and {maximum}")
    return count


def parse_words(args: Sequence[str]) -> tuple[str, ...]:
    """The words of ``/search WORDS``, case-folded and without repeats.

    Raises:
        ValueError: no words given.
    """
    words = tuple(dict.fromkeys(w.casefold() for w in args if w.strip()))
    if not words:
        raise ValueError("no words to search for")
    return words


def parse_subscription(args: Sequence[str], *, topics: Collection[str]) -> SubscriptionChange:
    """The topics, countries, languages, event types, keyword and cooperation switch of
    ``/subscribe ARGS``.

    ``digital_health KR ID ko agreement`` names a topic, two countries (capitals), a
    language (small letters) and an event type; ``keyword`` takes the rest of the line
    as one phrase; ``all`` turns "cooperation only" off and ``cooperation`` on.

    Raises:
        UsageError: a word that is none of these (the message suggests a close topic
            or event type).
        LimitError: a keyword longer than `MAX_KEYWORD_CHARS`.
    """
    found_topics: set[str] = set()
    events: set[str] = set()
    countries: set[str] = set()
    languages: set[str] = set()
    cooperation: bool | None = None
    sources: frozenset[str] = frozenset()
    for index, word in enumerate(args):
        folded = word.casefold()
        if folded in KEYWORD_WORDS:
            phrase = " ".join(args[index + 1 :]).strip()
            if not phrase:
                raise UsageError(word, "keyword needs a word or phrase after it")
            if len(phrase) > MAX_KEYWORD_CHARS:
                raise LimitError(
                    "keyword_too_long",
                    f"a keyword has at most {MAX_KEYWORD_CHARS} characters",
                    maximum=MAX_KEYWORD_CHARS,
                    length=len(phrase),
                )
            return SubscriptionChange(
                frozenset(found_topics),
                frozenset(countries),
                frozenset(languages),
                (phrase,),
                cooperation,
                frozenset(events),
                sources,
            )
        slug = folded.replace("-", "_")
        if slug in topics:
            found_topics.add(slug)
        elif folded in EVENT_TYPES:
            events.add(folded)
        elif folded in OFFICIAL_WORDS:
            sources = OFFICIAL_SOURCES
        elif folded in ALL_WORDS:
            cooperation = False
        elif folded in COOPERATION_WORDS:
            cooperation = True
        elif (
            len(word) == 2
            and word.isascii()
            and word.isalpha()
            and word.islower()
            and word in LANGUAGE_CODES
        ):
            languages.add(word)
        elif len(word) == 2 and word.isascii() and word.upper() in COUNTRY_CODES:
            countries.add(word.upper())
        else:
            close = closest_match(slug, [*topics, *EVENT_TYPES])
            hint = f" (did you mean {close}?)" if close else ""
            raise UsageError(
                word, f"{word!r} is not a topic, country, language or event type{hint}"
            )
    return SubscriptionChange(
        frozenset(found_topics),
        frozenset(countries),
        frozenset(languages),
        (),
        cooperation,
        frozenset(events),
        sources,
    )


def apply_change(current: Filter, change: SubscriptionChange, *, add: bool) -> Filter:
    """`current` with `change` added (``/subscribe``) or taken away (``/unsubscribe``)."""
    if add:
        keywords = current.keywords + tuple(
            k
            for k in change.keywords
            if k.casefold() not in {c.casefold() for c in current.keywords}
        )
        return replace(
            current,
            topics=current.topics | change.topics,
            countries=current.countries | change.countries,
            languages=current.languages | change.languages,
            events=current.events | change.events,
            sources=current.sources | change.sources,
            keywords=keywords,
            cooperation_only=(
                current.cooperation_only
                if change.cooperation_only is None
                else change.cooperation_only
            ),
        )
    removed = {k.casefold() for k in change.keywords}
    return replace(
        current,
        topics=current.topics - change.topics,
        countries=current.countries - change.countries,
        languages=current.languages - change.languages,
        events=current.events - change.events,
        sources=current.sources - change.sources,
        keywords=tuple(k for k in current.keywords if k.casefold() not in removed),
    )


def check_keywords(value: Filter) -> Filter:
    """`value` if it has at most `MAX_KEYWORDS` keywords.

    Raises:
        LimitError: more keywords than that.
    """
    if len(value.keywords) > MAX_KEYWORDS:
        raise LimitError(
            "too_many_keywords",
            f"a chat has at most {MAX_KEYWORDS} keywords",
            maximum=MAX_KEYWORDS,
        )
    return value


def parse_language(args: Sequence[str], available: Sequence[str]) -> str:
    """The UI language of ``/language en|ko``.

    Raises:
        ValueError: not exactly one argument, or a language without a catalogue.
    """
    if len(args) != 1 or args[0].lower() not in available:
        raise ValueError(f"expected one of {', '.join(available)}")
    return args[0].lower()


def parse_duration(args: Sequence[str]) -> timedelta:
    """The duration of ``/mute 2h`` (``90m``, ``1d``, ``1h30m``), from 1 minute to 30 days.

    Raises:
        ValueError: no duration, or not one such duration.
    """
    if not args:
        raise ValueError("no duration given")
    try:
        return parse_interval("".join(args), minimum=MIN_MUTE, maximum=MAX_MUTE)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def parse_switch(args: Sequence[str]) -> bool:
    """``on`` -> True, ``off`` -> False (``/alerts on|off``).

    Raises:
        ValueError: anything else.
    """
    if len(args) != 1 or args[0].lower() not in SWITCH_WORDS:
        raise ValueError("expected on or off")
    return SWITCH_WORDS[args[0].lower()]


def parse_addfeed(args: Sequence[str]) -> tuple[str, str]:
    """The URL and optional name of ``/addfeed URL [NAME]`` ("" when no name).

    Raises:
        ValueError: no URL, or not an http(s) URL with a host.
    """
    if not args:
        raise ValueError("no URL given")
    url = args[0].strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url, " ".join(args[1:]).strip()


def parse_feed_key(args: Sequence[str]) -> str:
    """The URL or name of ``/removefeed URL|NAME``.

    Raises:
        ValueError: nothing given.
    """
    key = " ".join(args).strip()
    if not key:
        raise ValueError("no URL or name given")
    return key


def parse_feedback(data: str) -> tuple[int, int]:
    """The item id and vote (+1/-1) of an alert's button, ``fb:<item_id>:up|down``.

    Raises:
        ValueError: other callback data.
    """
    match = FEEDBACK_RE.match(data)
    if match is None:
        raise ValueError(f"not feedback: {data!r}")
    return int(match[1]), 1 if match[2] == "up" else -1


def addressed_to(text: str, username: str) -> bool:
    """Whether a ``/command`` is for this bot: no ``@name``, or ``@`` this bot's username."""
    command = text.split(maxsplit=1)[0] if text.strip() else ""
    _, at, name = command.partition("@")
    return not at or name.casefold() == username.casefold()
