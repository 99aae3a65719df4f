"""The story rule (pure) and `monitor stories` (through the embedded classifier)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from cli_runner import Monitor

from classifiers.base import Labels
from monitor.alerts.router import story_members
from monitor.alerts.stories import (
    STORY_WINDOW,
    Report,
    StoryCandidate,
    group_stories,
    reports_talks_aside,
    same_story,
    session_number,
    split_by_story,
)

T0 = datetime(2026, 12, 6, 9, tzinfo=UTC)


def unit(cosine: float) -> tuple[float, float]:
    """A 2-d unit vector at `cosine` to (1, 0)."""
    return (cosine, float(np.sqrt(1 - cosine**2)))


def labels(countries: tuple[str, ...], vector: tuple[float, ...], **more: object) -> Labels:
    base = Labels("en", True, True, (), countries, "", embedding=vector)
    return replace(base, **more)  # type: ignore[arg-type]


def candidate(i: int, countries: set[str], cosine: float, **more: object) -> StoryCandidate:
    return StoryCandidate(i, unit(cosine), frozenset(countries), **more)  # type: ignore[arg-type]


KCJ = ("KR", "CN", "JP")


def test_partial_country_lists_and_the_host_join_one_story() -> None:
    item = labels(KCJ, (1.0, 0.0))
    found = same_story(
        item,
        [
            candidate(1, {"KR", "CN"}, 0.88),  # a report naming two of the three
            candidate(2, {"KR", "CN", "JP", "PH"}, 0.88),  # ... and one adding the host
            candidate(3, set(), 0.95),  # one naming no country needs a closer vector
            candidate(4, {"KR"}, 0.92),  # one side's own report
        ],
    )
    assert found == [3, 4, 1, 2] or set(found) == {1, 2, 3, 4}
    assert same_story(labels((), (1.0, 0.0)), [candidate(1, set(), 0.90)]) == []


def test_a_missing_or_another_topic_alone_does_not_split_but_vectors_and_models_do() -> None:
    item = labels(("KR", "ID"), (1.0, 0.0), topics=("uhc",))
    found = same_story(
        item,
        [
            candidate(1, {"KR", "ID"}, 0.90, topics=frozenset({"ncd"})),  # another topic: joins
            candidate(2, {"KR", "ID"}, 0.60),  # far
            StoryCandidate(3, (1.0, 0.0, 0.0), frozenset({"KR", "ID"})),  # another model
            candidate(4, {"KR", "ID"}, 0.99),  # closest first
            candidate(5, {"KR", "ID"}, 0.865),  # no topic: counts for nothing
        ],
    )
    assert found == [4, 1, 5]


@pytest.mark.parametrize(
    ("language", "title"),
    [("ko", "코이카, 라오스 모자보건 사업 착수"), ("th", "กรมการแพทย์ลงนามความร่วมมือกับเกาหลี")],
)
def test_topics_on_both_sides_with_none_in_common_count_against(language: str, title: str) -> None:
    """Two Korea–Laos items of one day, one on maternal health and one on regulation: the
    same words and countries, but what they are about differs."""
    item = labels(("KR", "LA"), (1.0, 0.0), language=language, topics=("maternal_health",))
    near = 0.885  # joins on its own: countries +0.02
    assert same_story(item, [candidate(1, {"KR", "LA"}, near)], title=title) == [1]
    shared = frozenset({"maternal_health", "uhc"})
    assert same_story(item, [candidate(1, {"KR", "LA"}, near, topics=shared)], title=title) == [1]
    other = frozenset({"health_industry"})
    assert same_story(item, [candidate(1, {"KR", "LA"}, near, topics=other)], title=title) == []


@pytest.mark.parametrize(
    ("title", "text", "aside"),
    [
        ("Korea, Japan health chiefs hold bilateral talks", "", True),
        ("Ministers meet", "They met on the sidelines of the ASEAN Plus Three meeting.", True),
        ("한일 보건장관 양자 면담…고령화 협력 논의", "", True),
        ("中日卫生部长举行双边会晤", "", True),
        ("日韓保健相が二国間会談", "", True),
        ("Menkes RI-Korea gelar pertemuan bilateral di sela KTT ASEAN", "", True),
        ("Bộ trưởng Y tế Việt Nam gặp song phương Bộ trưởng Hàn Quốc", "", True),
        ("รมว.สาธารณสุขหารือทวิภาคีกับญี่ปุ่น", "", True),
        ("Korea and Viet Nam sign MOU to deepen bilateral cooperation", "", False),
        ("한중일 보건장관회의 부대행사로 감염병 포럼 개최", "", False),  # a side event is a meeting
        ("ASEAN health ministers adopt a declaration", "", False),
    ],
)
def test_talks_aside_a_meeting_in_the_main_languages(title: str, text: str, aside: bool) -> None:
    assert reports_talks_aside(title, text) is aside


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("한일 보건장관, 아세안+3 회의 계기 양자회담", ""),
        (
            "Japan, Korea ministers meet",
            "The two met on the sidelines of the APT ministers' meeting.",
        ),
    ],
)
def test_talks_aside_do_not_join_the_meeting_they_were_beside(title: str, text: str) -> None:
    """Same day, same place, the countries a subset and words alike: another event."""
    item = labels(("KR", "JP"), (1.0, 0.0))
    apt = candidate(1, {"KR", "JP", "CN"}, 0.93, organisations=frozenset({"APT"}))
    assert same_story(item, [apt], title=title, text=text) == []
    assert same_story(item, [apt]) == [1]  # without the marker it is a partial country list
    # another report of the same talks, marked or naming no mechanism, still joins
    assert same_story(item, [replace(apt, aside=True)], title=title, text=text) == [1]
    pair = candidate(2, {"KR", "JP"}, 0.90)
    assert same_story(item, [pair], title=title, text=text) == [2]


def test_another_partner_or_no_shared_country_is_another_story() -> None:
    kr_vn = labels(("KR", "VN"), (1.0, 0.0))
    assert same_story(kr_vn, [candidate(1, {"KR", "PH"}, 0.92)]) == []  # Korea–Philippines
    assert same_story(kr_vn, [candidate(1, {"TH", "KH"}, 0.99)]) == []  # nothing shared


def test_other_sessions_of_a_series_never_join_and_the_same_session_helps() -> None:
    item = labels(KCJ, (1.0, 0.0))
    title = "제19차 한중일 보건장관회의 서울서 개최"
    last_year = candidate(1, set(KCJ), 0.99, session=18)
    assert same_story(item, [last_year], title=title) == []
    # the same session carries a pair whose vectors alone would not be enough
    assert same_story(item, [candidate(2, set(KCJ), 0.84, session=19)], title=title) == [2]
    assert same_story(item, [candidate(2, set(KCJ), 0.84)], title=title) == []


def test_event_evidence_counts_when_the_classifier_gives_it() -> None:
    item = labels(("KR", "TH"), (1.0, 0.0), organisations=("KOICA",), place="Bangkok")
    near = 0.845  # under the threshold on its own (the shared countries add 0.02)
    assert same_story(item, [candidate(1, {"KR", "TH"}, near)]) == []
    joined = candidate(1, {"KR", "TH"}, near, organisations=frozenset({"KOICA"}), place="bangkok")
    assert same_story(item, [joined]) == [1]
    dated = labels(("KR", "TH"), (1.0, 0.0), event_date="2026-11-26")
    assert same_story(dated, [candidate(1, {"KR", "TH"}, 0.90, event_date="2025-11-26")]) == []


@pytest.mark.parametrize(
    ("title", "text", "number"),
    [
        ("제19차 한중일 보건장관회의 개최", "", 19),
        ("복지부 차관 참석", "보건복지부 제2차관은 제10차 아세안+3 보건장관회의에 참석했다.", 10),
        ("The 16th Tripartite Health Ministers' Meeting held in Beijing", "", 16),
        ("Sixteenth Tripartite Health Ministers' Meeting", "", 16),
        ("Health ministers meet", "The next (17th) meeting will be held in Japan.", 17),
        ("第十九次中日韩卫生部长会议在首尔举行", "", 19),
        ("中国第四批援老挝医疗队抵达万象", "", 4),
        ("第19回日中韓保健大臣会合", "", 19),
        ("Pertemuan Menteri Kesehatan ASEAN ke-17 di Laos", "", 17),
        ("Hội nghị Bộ trưởng Y tế ASEAN lần thứ 17", "", 17),
        ("การประชุมรัฐมนตรีสาธารณสุขอาเซียน ครั้งที่ 17", "", 17),
        ("Korea and Viet Nam sign MOU on nurses", "About 1,000 nurses in 2026.", None),
        ("A third of clinics lack staff", "", None),
    ],
)
def test_session_numbers_in_the_main_languages(title: str, text: str, number: int | None) -> None:
    assert session_number(title, text) == number


def test_a_report_naming_no_session_takes_its_storys() -> None:
    """The 15th forum of the same week does not join the 19th meeting through a report
    of the meeting that names no session."""
    meeting = labels(KCJ, (1.0, 0.0))
    reports = [
        Report("a", meeting, "제19차 한중일 보건장관회의", "", T0),
        Report("b", labels(KCJ, unit(0.95)), "한중일 보건장관 공동선언문 채택", "", T0),
        Report("c", labels(KCJ, unit(0.96)), "제15차 한중일 감염병 포럼", "", T0),
    ]
    assert group_stories(reports) == {"a": "a", "b": "a", "c": "c"}


def test_grouping_honours_the_window_and_names_a_story_by_its_first_item() -> None:
    item = labels(("KR", "VN"), (1.0, 0.0))
    reports = [
        Report("first", item, "", "", T0),
        Report("copy", item, "", "", T0 + timedelta(hours=5)),
        Report("much later", item, "", "", T0 + STORY_WINDOW + timedelta(hours=6)),
        Report("earlier", item, "", "", T0 - timedelta(hours=2)),  # arrives late
    ]
    assert group_stories(reports) == {
        "first": "first",
        "copy": "first",
        "much later": "much later",
        "earlier": "first",
    }


def test_each_chat_gets_one_alert_per_story_then_at_most_the_replies() -> None:
    assert split_by_story([1, 2, 3], {2: 10, 3: 11}, {(3, 11): 3}) == ([1], [(2, 10)])


def test_an_item_joins_its_best_matchs_story_and_every_alerted_member_counts() -> None:
    story_of = {10: 10, 11: 10, 12: 10, 13: 13}
    assert story_members([12, 13], story_of, [10, 11, 12, 13]) == (10, [12, 10, 11])
    assert story_members([7], {}, [7, 8]) == (7, [7])  # stored before story ids


# --- monitor stories ---------------------------------------------------------------------

STORIES_INPUT = [
    {
        "id": "ko",
        "title": "제19차 한중일 보건장관회의 서울서 개최…공동선언문 채택",
        "text": "한국과 중국, 일본 보건장관이 6일 서울에서 열린 제19차 한중일 보건장관회의에서 "
        "팬데믹 대비와 건강한 노화 협력을 담은 공동선언문을 채택했다.",
        "published": "2026-12-06T17:30:00+09:00",
    },
    {
        "id": "en",
        "title": "S. Korea, China, Japan health ministers adopt joint statement in Seoul",
        "text": "Health ministers of South Korea, China and Japan adopted a joint statement on "
        "pandemic preparedness and healthy ageing at their 19th annual meeting in Seoul.",
        "published": "2026-12-06T19:10:00+09:00",
    },
    {
        "id": "last-year",
        "title": "제18차 한중일 보건장관회의 도쿄서 개최",
        "text": "제18차 한중일 보건장관회의가 일본 도쿄에서 열려 3국 장관이 감염병 정보 공유에 "
        "합의했다.",
        "published": "2026-12-06T20:00:00+09:00",  # a look back, published the same day
    },
    {
        "id": "zh",
        "title": "第十九次中日韩卫生部长会议在首尔举行",
        "text": "第十九次中日韩卫生部长会议在韩国首尔举行，三方围绕传染病防控、健康老龄化等议题"
        "深入交流，会议通过了联合声明。",
        "published": "2026-12-06T20:05:00+08:00",
    },
]


def test_monitor_stories_groups_a_file_and_reports_bad_lines(classify_monitor: Monitor) -> None:
    source = classify_monitor.root / "items.jsonl"
    lines = [json.dumps(item, ensure_ascii=False) for item in STORIES_INPUT]
    lines.insert(2, '{"id": "broken", "title": "no closing brace"')
    lines.insert(3, json.dumps({"id": "when", "title": "t", "text": "", "published": "soon"}))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = classify_monitor.root / "stories.jsonl"

    result = classify_monitor("stories", "--jsonl", str(source), "--out", str(target))

    assert result.exit_code == 0, result.output
    assert f"{source}:3: not valid JSON" in result.stderr
    assert f"{source}:4: key 'published' is not an ISO 8601 date: 'soon'" in result.stderr
    assert "2 malformed line(s) skipped, 4 grouped" in result.stderr
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert out == [
        {"id": "ko", "story": "ko"},
        {"id": "en", "story": "ko"},
        {"id": "last-year", "story": "last-year"},
        {"id": "zh", "story": "ko"},
    ]
