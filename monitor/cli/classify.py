"""`monitor classify` and `monitor eval`: the classifiers offline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

import click

from classifiers.base import CLASSIFY_BATCH, Classifier, Document, Labels, labels_record
from monitor.cli.main import build_classifier, err, main, out, settings_of


@main.command()
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("rb"),
    required=True,
    help="Input: JSON lines {id, title, text[, published]}; '-' for stdin.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    help="Output JSON lines (default stdout).",
)
@click.pass_context
def classify(ctx: click.Context, jsonl: IO[bytes], out_path: Path) -> None:
    """Classify items offline: one JSON line out per valid line in, same order."""
    settings = settings_of(ctx)
    docs, skipped = read_documents(jsonl, getattr(jsonl, "name", "<stdin>"))
    # opened before the model loads: a bad --out fails in a second, not after a minute
    with click.open_file(str(out_path), "w", encoding="utf-8") as out_file:
        classifier = build_classifier(settings)
        for doc, labels in classify_with_progress(classifier, docs):
            out_file.write(json.dumps(labels_json(doc.id, labels), ensure_ascii=False) + "\n")
    if skipped:
        err.print(f"{skipped} malformed line(s) skipped, {len(docs)} classified", highlight=False)


def read_documents(
    lines: Iterable[bytes], name: str, check: Callable[[Document], None] | None = None
) -> tuple[list[Document], int]:
    """Parse classify input; a bad line (not UTF-8, not JSON, wrong shape, or refused by
    `check` with a ValueError) is reported on stderr with its number and skipped."""
    docs: list[Document] = []
    skipped = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            doc = document_from_json(_utf8(raw))
            if check is not None:
                check(doc)
            docs.append(doc)
        except ValueError as exc:
            skipped += 1
            err.print(f"{name}:{number}: {exc}", highlight=False, markup=False, soft_wrap=True)
    return docs, skipped


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
        ) from exc


def document_from_json(line: str) -> Document:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    if "id" not in value:
        raise ValueError("missing key 'id'")
    for key in ("title", "text"):
        if not isinstance(value.get(key, ""), str):
            raise ValueError(f"key {key!r} must be a string")
    hint = value.get("language")
    return Document(
        id=str(value["id"]),
        title=value.get("title") or "",
        text=value.get("text") or "",
        language_hint=hint if isinstance(hint, str) else None,
        published=_published(value.get("published")),
    )


def _published(value: object) -> datetime | None:
    """The optional "published" (ISO 8601), which relative dates in the item count from."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_DATE_CHARS:
        raise ValueError("key 'published' must be an ISO 8601 date or date-time string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"key 'published' is not an ISO 8601 date: {value!r}") from exc


def classify_with_progress(
    classifier: Classifier, docs: list[Document]
) -> Iterator[tuple[Document, Labels]]:
    from rich.progress import Progress

    with Progress(console=err, transient=True, disable=len(docs) <= CLASSIFY_BATCH) as progress:
        task = progress.add_task("classifying", total=len(docs))
        for start in range(0, len(docs), CLASSIFY_BATCH):
            batch = docs[start : start + CLASSIFY_BATCH]
            yield from zip(batch, classifier.classify(batch), strict=True)
            progress.advance(task, len(batch))


def labels_json(doc_id: str, labels: Labels) -> dict[str, object]:
    return {"id": doc_id, **labels_record(labels, digits=4)}


MAX_DATE_CHARS = 40  # "2026-03-12T09:30:00.000000+09:00" and then some
EVAL_WIDTH = 110  # the widest of `monitor eval`'s tables (105 columns), unwrapped


@main.command(name="eval")
@click.option(
    "--gold",
    "golds",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Labelled JSON lines (the format of classifiers/data/dev.jsonl); repeat for several "
    "splits. Default: both held-out splits, heldout.jsonl and heldout_news.jsonl.",
)
@click.pass_context
def evaluate(ctx: click.Context, golds: tuple[Path, ...]) -> None:
    """Precision, recall and F1 per label, per topic and per language, split by split."""
    from classifiers.evaluate import evaluate_file, report_table
    from classifiers.gold import HELDOUT_FILE, HELDOUT_NEWS_FILE

    settings = settings_of(ctx)
    classifier = build_classifier(settings)
    for gold in golds or (HELDOUT_FILE, HELDOUT_NEWS_FILE):
        report = evaluate_file(gold, classifier)
        if out.is_terminal:
            out.print(report_table(report))
        else:  # a file or a pipe: the whole table, never wrapped to a default 80 columns
            from rich.console import Console

            Console(width=EVAL_WIDTH, no_color=True).print(report_table(report))
