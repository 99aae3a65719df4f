"""Benchmark of the story rule: how well reports of one event are grouped.

Not a test: run it and read the figures.

    python bench/stories.py                      # the held-out half (split "test")
    python bench/stories.py --split tune         # the half the weights were tuned on
    python bench/stories.py --split all --errors # every pair the rule gets wrong
    python bench/stories.py --predicted OUT      # score `monitor stories --out OUT` instead
    python bench/stories.py --tune               # grid search of the weights on "tune"

Data: bench/data/stories.jsonl, one report a line, ``{"id","title","text",
"published","story","language","split"}`` in arrival order (``story`` is the gold
event). The reports are grouped by the rule alerts use
(`monitor.alerts.stories.group_stories`, the embedded classifier's labels) and scored:

* pairwise precision and recall: of the pairs of reports put in one story, the
  share that are one event; of the pairs that are one event, the share put together;
* BCubed precision, recall and F1 (per report, averaged): how much of its
  predicted story is its event, and how much of its event is in its story;
* cross-language pair recall: pairwise recall over pairs in different languages.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.base import Document, Labels  # noqa: E402
from monitor.alerts.stories import RULE, STORY_WINDOW, Report, StoryRule, group_stories  # noqa: E402

DATA = ROOT / "bench" / "data" / "stories.jsonl"


@dataclass(frozen=True)
class Scores:
    pair_precision: float
    pair_recall: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    cross_language_recall: float
    reports: int
    events: int
    stories: int


def score(
    gold: Mapping[str, str], predicted: Mapping[str, str], language: Mapping[str, str]
) -> Scores:
    """Pairwise, BCubed and cross-language figures of `predicted` (id -> story) against `gold`."""
    ids = sorted(gold)
    tp = fp = fn = cross_tp = cross_all = 0
    for a, b in itertools.combinations(ids, 2):
        same_gold = gold[a] == gold[b]
        same_pred = predicted[a] == predicted[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
        if same_gold and language[a] != language[b]:
            cross_all += 1
            cross_tp += same_pred
    by_gold: dict[str, set[str]] = {}
    by_pred: dict[str, set[str]] = {}
    for i in ids:
        by_gold.setdefault(gold[i], set()).add(i)
        by_pred.setdefault(predicted[i], set()).add(i)
    b_p = b_r = 0.0
    for i in ids:
        both = len(by_gold[gold[i]] & by_pred[predicted[i]])
        b_p += both / len(by_pred[predicted[i]])
        b_r += both / len(by_gold[gold[i]])
    b_p, b_r = b_p / len(ids), b_r / len(ids)
    return Scores(
        pair_precision=tp / (tp + fp) if tp + fp else 1.0,
        pair_recall=tp / (tp + fn) if tp + fn else 1.0,
        bcubed_precision=b_p,
        bcubed_recall=b_r,
        bcubed_f1=2 * b_p * b_r / (b_p + b_r) if b_p + b_r else 0.0,
        cross_language_recall=cross_tp / cross_all if cross_all else 1.0,
        reports=len(ids),
        events=len(by_gold),
        stories=len(by_pred),
    )


def load(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def classify(rows: Sequence[Mapping[str, str]]) -> list[Labels]:
    from classifiers.factory import load_classifier

    classifier = load_classifier(model=None, summary_model=None, cache_dir=None)
    docs = [
        Document(r["id"], r["title"], r["text"], published=datetime.fromisoformat(r["published"]))
        for r in rows
    ]
    return classifier.classify(docs)


def reports_of(rows: Sequence[Mapping[str, str]], labels: Sequence[Labels]) -> list[Report]:
    return [
        Report(r["id"], lab, r["title"], r["text"], datetime.fromisoformat(r["published"]))
        for r, lab in zip(rows, labels, strict=True)
    ]


def print_scores(name: str, s: Scores) -> None:
    print(
        f"{name:<28} pairs P {s.pair_precision:.3f} R {s.pair_recall:.3f}   "
        f"BCubed P {s.bcubed_precision:.3f} R {s.bcubed_recall:.3f} F1 {s.bcubed_f1:.3f}   "
        f"cross-language R {s.cross_language_recall:.3f}   "
        f"({s.reports} reports, {s.events} events, {s.stories} stories)"
    )


def print_errors(rows: Sequence[Mapping[str, str]], predicted: Mapping[str, str]) -> None:
    for a, b in itertools.combinations(rows, 2):
        same_gold = a["story"] == b["story"]
        same_pred = predicted[a["id"]] == predicted[b["id"]]
        if same_gold != same_pred:
            kind = "split " if same_gold else "merged"
            print(
                f"  {kind} {a['id']} {a['story']:<18} {b['id']} {b['story']:<18} {b['title'][:50]}"
            )


def tune(rows: Sequence[Mapping[str, str]], labels: Sequence[Labels]) -> None:
    """A coarse grid over the weights that matter now, on the tuning half; the best by F1."""
    chosen = [i for i, r in enumerate(rows) if r["split"] == "tune"]
    sub = [rows[i] for i in chosen]
    reports = reports_of(sub, [labels[i] for i in chosen])
    gold = {r["id"]: r["story"] for r in sub}
    language = {r["id"]: r["language"] for r in sub}
    results = []
    window = STORY_WINDOW
    grid = itertools.product(
        (0.86, 0.87, 0.88, 0.89, 0.90),  # threshold
        (0.0, -0.02),  # contains_one
        (0.02, 0.04),  # shared_organisation
        (0.0, -0.03),  # other_organisations
        (-0.03, -0.06),  # other_events
        (-0.01, -0.02),  # per_day
    )
    for threshold, one, organisation, other_organisations, other_events, per_day in grid:
        rule = replace(
            RULE,
            threshold=threshold,
            contains_one=one,
            shared_organisation=organisation,
            other_organisations=other_organisations,
            other_events=other_events,
            per_day=per_day,
        )
        s = score(gold, group_stories(reports, rule=rule, window=window), language)
        # the best F1 of the rules meeting the precision and cross-language targets
        meets = s.pair_precision >= 0.9 and s.cross_language_recall >= 0.75
        results.append((meets + s.bcubed_f1 + 0.01 * s.pair_precision, s, rule, window))
    results.sort(key=lambda r: -r[0])
    for _, s, rule, window in results[:12]:
        print_scores(f"tune {window}", s)
        print("   ", {f.name: getattr(rule, f.name) for f in fields(StoryRule)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", choices=["test", "tune", "all"], default="test")
    parser.add_argument("--predicted", type=Path, help="Score these {id, story} lines instead.")
    parser.add_argument("--errors", action="store_true", help="List the pairs it gets wrong.")
    parser.add_argument("--tune", action="store_true", help="Grid search on the tuning half.")
    args = parser.parse_args()
    rows = load(args.data)
    if args.tune:
        tune(rows, classify(rows))
        return
    if args.predicted:
        predicted = {str(v["id"]): str(v["story"]) for v in load(args.predicted)}
    else:
        # the whole file in arrival order, as `monitor stories` reads it
        predicted = group_stories(reports_of(rows, classify(rows)))
    print(f"story rule on {args.data.name}, window {STORY_WINDOW}")
    for split in ("tune", "test", "all") if args.split == "all" else (args.split,):
        chosen = [r for r in rows if split == "all" or r["split"] == split]
        gold = {r["id"]: r["story"] for r in chosen}
        language = {r["id"]: r["language"] for r in chosen}
        print_scores(f"split {split}", score(gold, {i: predicted[i] for i in gold}, language))
        if args.errors:
            print_errors(chosen, predicted)


if __name__ == "__main__":
    main()
