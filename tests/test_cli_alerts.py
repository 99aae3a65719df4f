"""`monitor subscribers`, `monitor feedback export` and the alerts part of `monitor stats`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cli_runner import Monitor
from test_store_subscriptions import MODEL, add_item, labels

from monitor.store import Store


def test_subscribers_add_list_remove(monitor: Monitor) -> None:
    result = monitor(
        "subscribers", "add", "-1001234567890", "--topic", "digital_health", "--country", "kr",
        "--language", "ko", "--keyword", "원격의료", "--all-relevant", "--title", "Team <A>",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added subscriber -1001234567890" in result.output
    with Store.open(monitor.database_url) as store:
        sub = store.subscription(-1001234567890)
    assert sub is not None and sub.chat_type == "supergroup"
    assert sub.filter.countries == {"KR"} and not sub.filter.cooperation_only
    listed = monitor("subscribers", "list")
    assert "-1001234567890" in listed.output and "Team <A>" in listed.output
    assert "digital_health" in listed.output and "all relevant" in listed.output
    assert monitor("subscribers", "remove", "-1001234567890").exit_code == 0
    again = monitor("subscribers", "remove", "-1001234567890")
    assert again.exit_code == 2 and "no subscriber with chat id" in again.output


def test_subscribers_add_refuses_bad_filters(monitor: Monitor) -> None:
    bad_topic = monitor("subscribers", "add", "5", "--topic", "nonsense")
    assert bad_topic.exit_code == 2 and "unknown topic(s) nonsense" in bad_topic.output
    bad_country = monitor("subscribers", "add", "5", "--country", "Korea")
    assert bad_country.exit_code == 2 and "ISO 3166-1" in bad_country.output
    assert monitor("subscribers", "add", "five").exit_code == 2


def test_feedback_export_and_stats(monitor: Monitor) -> None:
    now = datetime.now(UTC)
    with Store.open(monitor.database_url) as store:
        a = add_item(store, 1, "Telemedicine MOU", seen=now)
        add_item(store, 2, "No votes", seen=now)
        store.save_labels("h1", MODEL, labels(), now)
        store.save_feedback(10, a, 1, now)
        store.save_feedback(11, a, -1, now)
        store.save_feedback(12, a, 1, now)
    out_file = monitor.root / "votes.jsonl"
    result = monitor("feedback", "export", "--out", str(out_file))
    assert result.exit_code == 0, result.output
    (line,) = out_file.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert (record["id"], record["title"], record["up"], record["down"]) == (
        a,
        "Telemedicine MOU",
        2,
        1,
    )
    assert record["model"] == MODEL and record["labels"]["topics"] == ["uhc"]
    stdout = monitor("feedback", "export")
    assert json.loads(stdout.output.splitlines()[0])["id"] == a
    stats = monitor("stats")
    assert stats.exit_code == 0, stats.output
    assert "alerts" in stats.output and "👍" in stats.output
