"""The cooperation-event extractor alone: its F1 and its cost per item, without a model.

Not a test: run it and read the figures.

    python bench/events.py [FILE.jsonl ...]

For every labelled file (default: classifiers/data/dev.jsonl, heldout.jsonl and
events_heldout.jsonl) the extractor reads the items whose *gold* label is cooperation and
that carry event labels, so its own errors are told from the cooperation head's
(`monitor eval` scores the whole classifier). Printed per file: event-type micro-F1 and
per type, organisations F1, and place and date accuracy where the gold item states them;
then the CPU and wall time per item over all the files' items (every item, cooperation or
not), after one warm-up pass that loads dateparser's languages. CPU time is the figure to
compare on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/events.py` from anywhere
    sys.path.insert(0, str(ROOT))

from classifiers.cooperation_events import EventExtractor  # noqa: E402
from classifiers.evaluate import Counts  # noqa: E402
from classifiers.gold import DATA_DIR, GoldItem, load_gold  # noqa: E402

FILES = ("dev.jsonl", "heldout.jsonl", "events_heldout.jsonl")


def score(extractor: EventExtractor, items: list[GoldItem]) -> list[str]:
    events, organisations = Counts(), Counts()
    per_type: dict[str, Counts] = {}
    place = [0, 0]
    date = [0, 0]
    labelled = [i for i in items if i.cooperation and i.events is not None]
    for item in labelled:
        found = extractor.extract(item.title, item.text, item.language, item.published)
        gold = item.events or ()
        events.add(found.events, gold)
        organisations.add(found.organisations, item.organisations)
        for event in {*found.events, *gold}:
            per_type.setdefault(event, Counts()).add(
                [event] if event in found.events else [], [event] if event in gold else []
            )
        for hits, predicted, wanted in ((place, found.place, item.place),
                                        (date, found.event_date, item.event_date)):  # fmt: skip
            if wanted is not None:
                hits[0] += predicted == wanted
                hits[1] += 1
    lines = [
        f"  {len(labelled)} cooperation items: event types micro-F1 {events.f1:.3f} "
        f"(P {events.precision:.3f} R {events.recall:.3f}), "
        f"organisations F1 {organisations.f1:.3f} "
        f"(P {organisations.precision:.3f} R {organisations.recall:.3f})"
    ]
    if place[1] or date[1]:
        lines.append(
            f"  place {place[0]}/{place[1]} ({place[0] / max(place[1], 1):.0%}), "
            f"date {date[0]}/{date[1]} ({date[0] / max(date[1], 1):.0%}) where stated"
        )
    lines.append(
        "  per type: "
        + ", ".join(f"{e} {c.f1:.2f}" for e, c in sorted(per_type.items(), key=lambda x: x[0]))
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSON lines")
    args = parser.parse_args(argv)
    paths = args.files or [DATA_DIR / name for name in FILES]
    extractor = EventExtractor()
    everything: list[GoldItem] = []
    for path in paths:
        items = load_gold(path)
        everything += items
        print(path.name)
        print("\n".join(score(extractor, items)))

    def run() -> None:
        for item in everything:
            extractor.extract(item.title, item.text, item.language, item.published)

    run()  # warm-up: dateparser loads each language's data on first use
    wall, cpu = float("inf"), float("inf")
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        run()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    n = len(everything)
    print(
        f"{n} items: {cpu / n * 1e3:.3f} ms CPU per item, {wall / n * 1e3:.3f} ms wall "
        f"(best of 3; the machine's load {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
