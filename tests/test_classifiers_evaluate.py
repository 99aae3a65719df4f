"""Scoring against labelled items, and `monitor eval` on a small labelled file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import Monitor

from classifiers.base import Labels
from classifiers.errors import ClassifierDataError
from classifiers.evaluate import ALL, TOPIC, evaluate_file, report_table, score
from classifiers.gold import GoldItem, parse_gold


def gold(
    lang: str, relevant: bool, coop: bool, topics: tuple[str, ...], countries: tuple[str, ...]
) -> GoldItem:
    return GoldItem("g", lang, "t", "x", relevant, coop, topics, countries)


def labels(
    lang: str, relevant: bool, coop: bool, topics: tuple[str, ...], countries: tuple[str, ...]
) -> Labels:
    return Labels(lang, relevant, coop, topics, countries, "s")


def test_scores_per_label_and_language() -> None:
    golds = [
        gold("ko", True, True, ("uhc", "ncd"), ("KR", "ID")),
        gold("ko", True, False, ("ageing",), ("KR",)),
        gold("th", False, False, (), ("TH",)),
    ]
    predicted = [
        labels("ko", True, True, ("uhc",), ("KR", "ID")),  # one topic missed
        labels("ko", True, True, ("ageing", "uhc"), ("KR",)),  # false cooperation, extra topic
        labels("zh", True, False, (), ()),  # false relevant, wrong language, country missed
    ]
    report = score(golds, predicted)
    relevant = report.counts[("relevant", ALL)]
    assert (relevant.tp, relevant.fp, relevant.fn) == (2, 1, 0)
    cooperation = report.counts[("cooperation", "ko")]
    assert (cooperation.precision, cooperation.recall) == (0.5, 1.0)
    topics = report.counts[("topics", ALL)]
    assert (topics.tp, topics.fp, topics.fn) == (2, 1, 1)
    assert topics.f1 == pytest.approx(2 / 3)
    assert report.counts[("countries", "th")].recall == 0.0
    assert report.language_accuracy("ko") == 1.0 and report.language_accuracy(ALL) == 2 / 3
    assert report.languages() == ["ko", "th", ALL]
    assert len(report.errors) == 2


def test_topic_shape_per_topic_and_per_count() -> None:
    golds = [
        gold("en", True, True, ("uhc", "ncd", "ageing"), ()),  # three topics
        gold("en", True, True, ("uhc", "ncd"), ()),  # two
        gold("en", True, True, (), ()),  # a courtesy call: none
        gold("en", True, True, (), ()),
        gold("ko", True, False, ("amr",), ()),
        gold("ko", False, False, (), ()),  # not relevant: not in the topic-count table
    ]
    predicted = [
        labels("en", True, True, ("uhc", "ncd"), ()),
        labels("en", True, True, ("uhc",), ()),
        labels("en", True, True, (), ()),
        labels("en", True, True, ("uhc",), ()),
        labels("ko", True, False, ("amr",), ()),
        labels("ko", False, False, (), ()),
    ]
    report = score(golds, predicted)
    uhc = report.counts[(TOPIC + "uhc", ALL)]
    assert (uhc.tp, uhc.fp, uhc.fn) == (2, 1, 0)
    assert report.counts[(TOPIC + "ageing", "en")].recall == 0.0
    assert report.topics() == ["ageing", "amr", "ncd", "uhc"]
    # ageing 0, amr 1, ncd 2/3, uhc 0.8
    assert report.topic_macro_f1() == pytest.approx((0 + 1 + 2 / 3 + 0.8) / 4)
    assert report.multi_topic_rate() == (1, 2)
    assert report.no_topic_rate() == (1, 2)
    assert report.no_topic_rate("ko") == (0, 0)
    assert report.topic_counts["en"][("3+", "2")] == 1
    assert sum(report.topic_counts[ALL].values()) == 5


def test_report_names_its_split_and_shows_the_topic_tables(tmp_path: Path) -> None:
    from rich.console import Console

    class Fixed:
        model_id = "fixed"

        def classify(self, docs):  # type: ignore[no-untyped-def]
            return [Labels("en", True, True, ("uhc",), ("KR",), "s") for _ in docs]

    path = tmp_path / "heldout.jsonl"
    item = {"id": "a", "language": "en", "title": "t", "text": "x", "relevant": True}
    path.write_text(
        json.dumps(item | {"cooperation": True, "topics": ["uhc", "ncd"], "countries": ["KR"]})
        + "\n",
        encoding="utf-8",
    )
    report = evaluate_file(path, Fixed())
    console = Console(width=160, record=True)
    console.print(report_table(report))
    text = console.export_text()
    assert report.name == "heldout"
    assert "heldout: F1 (precision/recall)" in text
    assert "heldout: per topic" in text and "ncd" in text
    assert "heldout: topic F1 per language" in text
    assert "0/0/1/0" in text and "0/1/0/0" in text  # gold 2 topics, predicted 1
    assert "0/1 (0%)" in text  # the two-topic item did not keep two


def test_bad_labelled_lines_are_all_reported() -> None:
    lines = ['{"id": "a", "language": "en", "relevant": "yes", "cooperation": false}', "{oops", ""]
    with pytest.raises(ClassifierDataError) as caught:
        parse_gold(lines, source="gold.jsonl")
    assert "gold.jsonl:1: key 'relevant' must be true or false" in str(caught.value)
    assert "gold.jsonl:2:" in str(caught.value)


def test_a_training_item_says_what_it_is_used_for() -> None:
    line = '{"id": "c", "language": "en", "relevant": true, "cooperation": false, "use": "%s"}'
    assert parse_gold([line % "cooperation"], source="t.jsonl")[0].use == "cooperation"
    assert parse_gold([line.replace(', "use": "%s"', "")], source="t.jsonl")[0].use == "all"
    with pytest.raises(ClassifierDataError) as caught:
        parse_gold([line % "topics"], source="t.jsonl")
    assert "t.jsonl:1: key 'use' must be one of all, cooperation, cuts, not 'topics'" in str(
        caught.value
    )


def test_monitor_eval_prints_a_table_per_language(classify_monitor: Monitor) -> None:
    seeds = (Path(__file__).parent / "data" / "seed_items.jsonl").read_text("utf-8").splitlines()
    lines = []
    for raw in seeds[:7]:
        item = json.loads(raw)
        lines.append(
            json.dumps({**item, "relevant": True, "cooperation": True}, ensure_ascii=False)
        )
    path = classify_monitor.root / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = classify_monitor.root / "news.jsonl"
    second.write_text(lines[0] + "\n", encoding="utf-8")

    # piped, with an 80-column default: the tables are printed whole, not wrapped;
    # each split gets its own tables
    result = classify_monitor("eval", "--gold", str(path), "--gold", str(second), COLUMNS="80")

    assert result.exit_code == 0, result.output
    for language in (
        "en (1)",
        "ko (1)",
        "zh (1)",
        "ja (1)",
        "id (1)",
        "vi (1)",
        "th (1)",
        "all (7)",
    ):
        assert language in result.stdout
    assert "1.00 (1.00/1.00)" in result.stdout
    assert "gold.jsonl" not in result.stdout and "gold: per topic" in result.stdout
    assert "gold: topic F1 per language" in result.stdout
    assert "news: per topic" in result.stdout and "news: topic F1 per language" in result.stdout
