"""Country precision / recall / F1 of the gazetteer on a labelled JSONL split.

Not a test: run it and read the figures.

    python bench/gazetteer_eval.py classifiers/data/train.jsonl [--errors] [--no-language]

By default the item's labelled language is passed to `find_countries` (as the
callers pass the detected one); ``--no-language`` scans without it. Do not tune on
classifiers/data/dev.jsonl: it is the held-out split.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from classifiers.gazetteer import country_mentions, default_gazetteer, find_countries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--errors", action="store_true", help="list every miss and false hit")
    parser.add_argument("--no-language", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    default_gazetteer()
    compile_ms = (time.perf_counter() - start) * 1000

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    chars = 0
    scan = 0.0
    for line in args.path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        text = f"{item['title']}\n{item['text']}"
        lang = None if args.no_language else item["language"]
        chars += len(text.encode("utf-8"))
        t0 = time.perf_counter()
        predicted = set(find_countries(text, language=lang) if lang else find_countries(text))
        scan += time.perf_counter() - t0
        gold = {c.upper() for c in item.get("countries", [])}
        for key in (item["language"], "all"):
            counts[key][0] += len(predicted & gold)
            counts[key][1] += len(predicted - gold)
            counts[key][2] += len(gold - predicted)
        if args.errors and predicted != gold:
            found = [
                (code, text[s:e])
                for code, s, e in (
                    country_mentions(text, language=lang) if lang else country_mentions(text)
                )
            ]
            print(
                f"{item['id']}: missed {sorted(gold - predicted)} "
                f"extra {sorted(predicted - gold)} found {found}"
            )
            print("   ", text[:600].replace("\n", " / "))
    print(f"{'lang':6} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn")
    for key in sorted(counts, key=lambda k: (k == "all", k)):
        tp, fp, fn = counts[key]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        print(f"{key:6} {p:6.3f} {r:6.3f} {f:6.3f}  {tp}/{fp}/{fn}")
    print(f"compile {compile_ms:.0f} ms; scan {scan / (chars / 1024) * 1000:.3f} ms per KB")


if __name__ == "__main__":
    main()
