"""Labelled items (JSON lines) for training the label heads and for evaluation.

One object per line: id, language, title, text, relevant, cooperation, topics, countries.
`classifiers/data/train.jsonl` fits the heads. A training item may say what it is `use`d for
(`USES`): everything (the default); `cooperation`, for items written to teach the
cooperation head its contrasts (proposals, one country's memoranda, company visits, another
country's domestic news), which fit the relevance and cooperation heads only; or `cuts`, for
long news-shaped readouts whose topics choose the topic heads' cuts but never fit their
weights (multi-area items as fitting rows blur the heads: dev topics 0.839 -> 0.827).
Two splits are held out and only ever scored (`monitor eval`), never fitted on: `dev.jsonl`,
shaped like the training data, and `heldout.jsonl`, written after the patterns of real
published reports (ministers' readouts listing several areas, courtesy calls and general
agreements naming none, equipment grants, training programmes, items without a title, long
wire copies), with every story's versions in all languages kept on the same side of the
split.
`heldout_news.jsonl` is a harder third split shaped like published news, labelled before
any tuning. `long_check.jsonl` holds 86 long news-shaped items (areas named as background
among them), only ever scored, as a check on long texts (docs/classifier-quality.md).

Cooperation events (docs/events.md): a cooperation item may carry `events` and
`organisations` (the cooperation items of dev.jsonl and heldout.jsonl do), and `place`,
`event_date` and `published` (ISO 8601). `events_heldout.jsonl` holds reports written for
the events, all fields labelled before any rule was written; only ever scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from classifiers.errors import ClassifierDataError, Problem

DATA_DIR = Path(__file__).parent / "data"
TRAIN_FILE = DATA_DIR / "train.jsonl"
DEV_FILE = DATA_DIR / "dev.jsonl"
HELDOUT_FILE = DATA_DIR / "heldout.jsonl"
# written like published news (long ministry leads, agenda lists, bare headlines, items
# naming no area, proposals, domestic MOUs, company visits, foreign domestic news) and
# labelled before any tuning against it (issue #21)
HELDOUT_NEWS_FILE = DATA_DIR / "heldout_news.jsonl"
EVENTS_HELDOUT_FILE = DATA_DIR / "events_heldout.jsonl"
USE_ALL, USE_COOPERATION, USE_CUTS = "all", "cooperation", "cuts"
USES = (USE_ALL, USE_COOPERATION, USE_CUTS)


@dataclass(frozen=True)
class GoldItem:
    id: str
    language: str
    title: str
    text: str
    relevant: bool
    cooperation: bool
    topics: tuple[str, ...]
    countries: tuple[str, ...]
    # event labels (issue #17): `events` is None where the item was not labelled for them
    # (a cooperation item of a file without event labels); other items report none
    events: tuple[str, ...] | None = None
    organisations: tuple[str, ...] = ()
    place: str | None = None
    event_date: str | None = None
    published: datetime | None = None  # what relative dates ("on Tuesday") count from
    use: str = USE_ALL  # what a training item fits (USES)


def parse_gold(lines: Iterable[str], *, source: str) -> list[GoldItem]:
    """Parse labelled JSON lines; every bad line is reported (file:line: reason) at once."""
    items: list[GoldItem] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(_gold_item(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(source, number, str(exc)))
    if problems:
        raise ClassifierDataError(problems)
    return items


def load_gold(path: Path) -> list[GoldItem]:
    try:
        with path.open(encoding="utf-8") as lines:
            return parse_gold(lines, source=str(path))
    except OSError as exc:
        raise ClassifierDataError([Problem(str(path), None, f"cannot be read: {exc}")]) from exc


def _gold_item(value: object) -> GoldItem:
    if not isinstance(value, dict):
        raise TypeError("expected a JSON object")
    for key in ("relevant", "cooperation"):
        if not isinstance(value[key], bool):
            raise ValueError(f"key {key!r} must be true or false")
    use = value.get("use", USE_ALL)
    if use not in USES:
        raise ValueError(f"key 'use' must be one of {', '.join(USES)}, not {use!r}")
    return GoldItem(
        id=str(value["id"]),
        language=str(value["language"]),
        title=str(value.get("title") or ""),
        text=str(value.get("text") or ""),
        relevant=value["relevant"],
        cooperation=value["cooperation"],
        topics=tuple(str(t) for t in value.get("topics", [])),
        countries=tuple(str(c).upper() for c in value.get("countries", [])),
        events=(
            tuple(str(e) for e in value["events"])
            if "events" in value
            else (None if value["cooperation"] else ())
        ),
        organisations=tuple(str(o) for o in value.get("organisations", [])),
        place=str(value["place"]) if value.get("place") else None,
        event_date=str(value["event_date"]) if value.get("event_date") else None,
        published=datetime.fromisoformat(value["published"]) if value.get("published") else None,
        use=use,
    )
