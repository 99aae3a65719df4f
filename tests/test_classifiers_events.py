"""Cooperation events: event types, organisations, place and date, and their data files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_runner import Monitor

from classifiers.base import Document, Labels
from classifiers.cooperation_events import EventExtractor, with_events
from classifiers.errors import EventDataError
from classifiers.event_data import (
    load_events,
    load_organisations,
    load_places,
    parse_events,
    parse_organisations,
    parse_places,
)
from classifiers.event_date import event_date
from classifiers.events import EventFinder
from classifiers.organisations import OrganisationFinder
from classifiers.phrases import PhraseMatcher
from classifiers.places import PlaceFinder

PUBLISHED = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)  # a Thursday


@pytest.fixture(scope="module")
def events() -> EventFinder:
    return EventFinder()


@pytest.fixture(scope="module")
def organisations() -> OrganisationFinder:
    return OrganisationFinder()


@pytest.fixture(scope="module")
def places() -> PlaceFinder:
    return PlaceFinder()


# --- event types ----------------------------------------------------------------------------------

EVENT_CASES = [
    ("agreement", "en", "Korea and Viet Nam sign health MOU", ""),
    ("agreement", "ko", "한-베트남, 보건의료 협력 양해각서 체결", ""),
    ("agreement", "zh", "中老签署卫生合作谅解备忘录", ""),
    ("agreement", "ja", "日タイ、医薬品規制で協力覚書", ""),
    ("agreement", "id", "Indonesia dan Korea teken nota kesepahaman kesehatan", ""),
    ("agreement", "vi", "Việt Nam và Hàn Quốc ký biên bản ghi nhớ về y tế", ""),
    ("agreement", "th", "ไทย-ญี่ปุ่น ลงนามบันทึกความเข้าใจด้านสาธารณสุข", ""),
    ("meeting", "en", "Thai and Cambodian officials hold border malaria talks", ""),
    ("meeting", "ko", "복지부 장관, WHO 사무총장 접견", ""),
    ("meeting", "zh", "国家卫健委主任会见联合国儿童基金会执行主任", ""),
    ("meeting", "vi", "Bộ trưởng Y tế hội đàm với Bộ trưởng Y tế Lào", ""),
    ("meeting", "tl", "Mga ministro ng kalusugan ng ASEAN, nagpulong sa Maynila", ""),
    ("statement", "en", "Ministers adopt joint statement on pandemic preparedness", ""),
    ("statement", "ja", "日中韓保健相会合、共同声明を採択", ""),
    ("statement", "th", "ที่ประชุมรับรองปฏิญญาว่าด้วยสังคมสูงวัย", ""),
    ("funding", "en", "World Bank approves $300 million loan for Philippine hospitals", ""),
    ("funding", "ja", "カンボジアに医療機材を供与　無償資金協力で", ""),
    ("funding", "id", "Kemenkes terima hibah alat USG dari Jepang", ""),
    ("funding", "vi", "JICA bàn giao trang thiết bị y tế cho Bệnh viện Chợ Rẫy", ""),
    ("project", "ko", "코이카, 라오스 모자보건 사업 착수", ""),
    ("project", "zh", "澜湄合作疟疾监测项目启动", ""),
    ("project", "vi", "Khởi động dự án nâng cao năng lực y tế cơ sở", ""),
    ("training", "zh", "澜湄合作疟疾防控培训班在昆明开班", ""),
    ("training", "ko", "몽골 간호사 초청연수 개강", ""),
    ("training", "th", "ไทยเปิดหลักสูตรอบรมพยาบาลวิกฤตให้ประเทศเพื่อนบ้าน", ""),
    ("visit", "ja", "フィリピン保健省の視察団が来日", ""),
    ("visit", "id", "Delegasi Kemenkes kunjungi rumah sakit di Seoul", ""),
    ("visit", "vi", "Đoàn công tác Bộ Y tế thăm và làm việc tại Thái Lan", ""),
    ("conference", "en", "Regional workshop on antimicrobial resistance opens", ""),
    ("conference", "ko", "한·메콩 보건협력 세미나 방콕서 열려", ""),
    ("conference", "zh", "中国—东盟卫生合作论坛在南宁举行", ""),
    ("conference", "ms", "WHO, KKM anjur bengkel serantau kesihatan mental", ""),
]


@pytest.mark.parametrize(("event", "language", "title", "text"), EVENT_CASES)
def test_each_event_type_is_found_in_every_main_language(
    events: EventFinder, event: str, language: str, title: str, text: str
) -> None:
    assert event in events.find(title, text, language, 2026)


def test_background_sentences_and_ignored_phrases_report_no_event(events: EventFinder) -> None:
    text = (
        "Senior officials met in Aranyaprathet on Monday to coordinate malaria surveillance. "
        "The meeting follows a cross-border agreement signed in 2019."
    )
    assert events.find("Border malaria talks", text, "en", 2026) == ("meeting",)
    # without a published date the latest year named is this year's
    assert events.find("Border malaria talks 2026", text, "en", None) == ("meeting",)
    assert "agreement" not in events.find("Free trade agreement covers electronics", "", "en", 2026)
    assert "agreement" not in events.find("Người dân đăng ký khám bệnh", "", "vi", 2026)


def test_weak_triggers_count_only_when_nothing_stronger_is_reported(events: EventFinder) -> None:
    assert events.find("Thailand and Laos agree on border malaria control", "", "en", 2026) == (
        "agreement",
    )
    met = "The health ministers met in Hanoi on Tuesday and agreed to expand cooperation."
    assert events.find("Ministers agree to deepen cooperation", met, "en", 2026) == ("meeting",)
    assert events.find("80 perawat Indonesia berangkat ke Jepang", "", "id", 2026) == ("training",)
    assert events.find("รถพยาบาลและโรงพยาบาลชุมชน", "", "th", 2026) == ()  # not "nurse"


def test_training_that_an_agreement_is_about_is_not_a_training_event(events: EventFinder) -> None:
    found = events.find(
        "Singapore and Viet Nam sign MoU",
        "Young Vietnamese doctors will take fellowships and training in Singapore.",
        "en",
        2026,
    )
    assert found == ("agreement",)
    # the title says training happened: then it counts
    assert "training" in events.find("Nurses finish training course under MoU", "", "en", 2026)


# --- organisations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHO and Japan launch project", ("WHO",)),
        ("세계보건기구(WHO) 서태평양지역사무처", ("WHO",)),
        ("世卫组织西太平洋区域办事处", ("WHO",)),
        ("Tổ chức Y tế Thế giới trao bộ xét nghiệm", ("WHO",)),
        ("องค์การอนามัยโลกมอบเครื่องตรวจ", ("WHO",)),
        ("Health ministers of ASEAN Plus Three countries", ("APT", "ASEAN")),
        ("제10차 아세안+3 보건장관회의", ("APT", "ASEAN")),
        ("한중일 보건장관회의", ("TRILATERAL",)),
        ("日中韓保健相会合", ("TRILATERAL",)),
        ("Health ministers of China, Japan and South Korea met", ("TRILATERAL",)),
        ("澜湄合作专项基金", ("MEKONG",)),
        ("Bank Dunia menyetujui pinjaman", ("WORLD_BANK",)),
        ("亚投行批准贷款", ("AIIB",)),
        ("国際協力機構（JICA）", ("JICA",)),
        ("Quỹ Toàn cầu phòng chống AIDS", ("GLOBAL_FUND",)),
        ("Gavi, the Vaccine Alliance, and UNICEF", ("GAVI", "UNICEF")),
    ],
)
def test_organisations_are_found_by_their_names_in_every_language(
    organisations: OrganisationFinder, text: str, expected: tuple[str, ...]
) -> None:
    assert organisations.find(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Who pays for care? Officials weigh who should bear the cost",
        "Hospitals in the Mekong Delta expand dialysis",
        "Khám bệnh miễn phí tại đồng bằng sông Cửu Long (Mekong)",
        "A 'global fundraising' drive for the hospital",
        "ADBs and other multilateral lenders",  # not the acronym on its own
    ],
)
def test_no_false_organisation_matches(organisations: OrganisationFinder, text: str) -> None:
    assert organisations.find(text) == ()


def test_one_organisation_stands_in_for_another_and_cited_standards_do_not_count(
    organisations: OrganisationFinder,
) -> None:
    text = "ASEAN Plus Three health ministers, from ASEAN and China, Japan and South Korea, met"
    assert organisations.find(text) == ("APT", "ASEAN")
    assert organisations.find("Hospitals must follow WHO guidelines on sterilisation") == ()
    assert organisations.find("세계보건기구(WHO) 권고 기준에 못 미친다") == ()


def test_phrase_matcher_takes_the_longest_phrase_and_respects_case_and_word_edges() -> None:
    matcher = PhraseMatcher({"A": ["ASEAN"], "B": ["ASEAN Plus Three"], "C": ["sign"]}, ["signal"])
    assert matcher.keys("ASEAN Plus Three and ASEAN") == ["B", "A"]
    assert matcher.keys("asean") == []  # an all-capitals acronym is case-sensitive
    assert matcher.keys("They SIGN it") == ["C"]  # other phrases ignore case
    assert matcher.keys("a signal, signs, signing") == []
    both = PhraseMatcher({"project": ["援建"], "funding": ["援建"]})
    assert both.keys("中国援建医院") == ["project", "funding"]  # one phrase, two keys


# --- place ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "lead", "expected"),
    [
        ("Indonesia and Korea sign MoU in Jakarta", "", "Jakarta"),
        ("", "보건복지부 장관은 지난 10일 하노이에서 회담을 가졌다.", "Hanoi"),
        ("", "国家卫生健康委员会主任10日在北京会见老挝卫生部长。", "Beijing"),
        ("", "日中韓の保健相会合が18日、東京で開かれた。", "Tokyo"),
        ("", "Ngày 10/3, tại Hà Nội, hai Bộ trưởng đã hội đàm.", "Hanoi"),
        ("", "กระทรวงสาธารณสุขจัดการประชุมนานาชาติ ที่กรุงเทพฯ", "Bangkok"),
        ("", "Nagpulong kahapon sa Maynila ang mga ministro.", "Manila"),
        ("Filipino nurses left Manila for Japan", "", None),  # named, not the place
    ],
)
def test_place_is_a_city_the_text_says_the_event_was_in(
    places: PlaceFinder, title: str, lead: str, expected: str | None
) -> None:
    assert places.find(title, lead) == expected


# --- event date -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("보건복지부 장관은 지난 10일 하노이에서 회담을 갖고 12일 밝혔다", "ko", "2026-03-10"),
        ("Officials met on Tuesday", "en", "2026-03-10"),
        ("signed the agreement on 18 May", "en", "2026-05-18"),
        ("昨日、東京で会談した", "ja", "2026-03-11"),
        ("Tổ chức Y tế Thế giới hôm qua đã trao", "vi", "2026-03-11"),
        ("Ngày 7/4, tại TP Hồ Chí Minh", "vi", "2026-04-07"),
        ("Từ ngày 19 đến 21/10, đoàn công tác", "vi", "2025-10-19"),
        ("di Jakarta, Selasa (10/3).", "id", "2026-03-10"),
        ("ระหว่างวันที่ 18-20 พฤษภาคม 2569", "th", "2026-05-18"),
        ("เมื่อวานนี้ (11 มี.ค.)", "th", "2026-03-11"),
        ("国家卫健委主任3月9日在北京会见", "zh", "2026-03-09"),
        ("Nag-turnover ang JICA noong Lunes", "tl", "2026-03-09"),
        ("제10차 회의가 16일부터 이틀간 열린다", "ko", "2026-03-16"),  # a preview: ahead
        ("No date here at all", "en", None),
    ],
)
def test_event_dates_absolute_and_relative_to_the_published_date(
    text: str, language: str, expected: str | None
) -> None:
    assert event_date(text, language, PUBLISHED) == expected


def test_without_a_published_date_only_dates_with_a_year_are_kept() -> None:
    assert event_date("Officials met on Tuesday", "en", None) is None
    assert event_date("지난 10일 하노이에서", "ko", None) is None
    assert event_date("signed on 12 March 2025", "en", None) == "2025-03-12"


# --- together -------------------------------------------------------------------------------------


def test_extractor_fills_the_four_fields_of_a_cooperation_item_only() -> None:
    extractor = EventExtractor()
    doc = Document(
        "1",
        "한-베트남 보건장관 회담…의료인력 교류 양해각서 체결",
        "보건복지부 장관은 지난 10일 하노이에서 베트남 보건부 장관과 회담을 갖고 "
        "세계보건기구(WHO)와 함께 양해각서(MOU)를 체결했다고 12일 밝혔다.",
        published=PUBLISHED,
    )
    labels = Labels("ko", True, True, (), ("KR", "VN"), "")
    found = with_events(labels, doc, extractor)
    assert found.events == ("agreement", "meeting")
    assert found.organisations == ("WHO",)
    assert found.place == "Hanoi"
    assert found.event_date == "2026-03-10"
    domestic = Labels("ko", True, False, (), ("KR",), "")
    assert with_events(domestic, doc, extractor) == domestic


# --- data files -----------------------------------------------------------------------------------


def test_bundled_data_files_load_with_every_fixed_id() -> None:
    assert [e.id for e in load_events().events] == [
        "agreement", "meeting", "statement", "funding", "project", "training", "visit",
        "conference",
    ]  # fmt: skip
    ids = {o.id for o in load_organisations().organisations}
    assert ids == {
        "WHO", "ASEAN", "APT", "APEC", "TRILATERAL", "MEKONG", "EAS", "G20", "UNICEF", "UNFPA",
        "UNDP", "UNAIDS", "WFP", "IOM", "FAO", "WOAH", "UNEP", "UHC2030", "WORLD_BANK", "ADB",
        "AIIB", "GLOBAL_FUND", "GAVI", "CEPI", "RED_CROSS", "KOICA", "KOFIH", "JICA", "TICA",
        "USAID", "SCO",
    }  # fmt: skip
    main = {"en", "ko", "zh", "ja", "id", "vi", "th"}
    for event in load_events().events:
        assert main <= set(event.triggers), event.id
    assert len(load_places().places) >= 50


BAD_EVENTS = """\
[[event]]
id = "agreement"
name = "Agreement"
description = "Signed."
trigers = ["typo"]
[event.triggers]
en = ["MOU", "x"]

[[event]]
id = "agreement"
name = "Again"
description = "Twice."
[event.triggers]
english = ["signed"]

[[event]]
id = "Bad Id"
name = "Bad"
[event.triggers]
en = []
[event.weak]
en = "agreed"
"""


def test_events_file_errors_name_every_line_and_reason() -> None:
    with pytest.raises(EventDataError) as caught:
        parse_events(BAD_EVENTS, "events.toml")
    message = str(caught.value)
    assert (
        "events.toml:5: event 'agreement': unknown key 'trigers' (did you mean 'triggers'?)"
        in message
    )
    assert "events.toml:7: event 'agreement': triggers.en[2] 'x' is too short" in message
    assert "events.toml:10: event 'agreement': duplicate id (first defined at line 2)" in message
    assert (
        "events.toml:14: event 'agreement': triggers: 'english' is not a language code" in message
    )
    assert "events.toml:17: event 'Bad Id': bad id 'Bad Id'" in message
    assert "event 'Bad Id': missing 'description'" in message
    assert "event 'Bad Id': triggers has no phrases" in message
    assert "events.toml:22: event 'Bad Id': weak.en must be a list of strings" in message


def test_organisations_and_places_files_errors() -> None:
    text = """\
[[organisation]]
id = "WHO"
name = "World Health Organization"
includes = ["OTHR"]
[organisation.names]
en = ["WHO"]

[[organisation]]
id = "OTHER"
name = "Other"
[organisation.names]
en = ["WHO"]
"""
    with pytest.raises(EventDataError) as caught:
        parse_organisations(text, "organisations.toml")
    message = str(caught.value)
    assert (
        "organisations.toml:4: organisation 'WHO': includes unknown organisation 'OTHR' "
        "(did you mean 'OTHER'?)" in message
    )
    assert "organisation 'OTHER': name 'WHO' is also listed for 'WHO'" in message

    with pytest.raises(EventDataError) as caught:
        parse_places('[[place]]\nname = "Seoul"\ncountry = "Korea"\nnames = ["서울"]\n', "p.toml")
    assert "p.toml:3: place 'Seoul': country 'Korea' is not an ISO 3166-1 alpha-2 code" in str(
        caught.value
    )
    with pytest.raises(EventDataError, match=r"p\.toml:1: TOML syntax error"):
        parse_places("[[place]\n", "p.toml")


def test_a_missing_data_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EventDataError, match="cannot read"):
        load_events(tmp_path / "missing.toml")


# --- monitor classify -----------------------------------------------------------------------------


def test_monitor_classify_prints_the_event_fields(classify_monitor: Monitor) -> None:
    lines = [
        {
            "id": "ko-mou",
            "published": "2026-03-12T09:30:00+09:00",
            "title": "한-인니 보건장관 회담…디지털헬스 양해각서 체결",
            "text": "보건복지부 장관은 지난 10일 자카르타에서 인도네시아 보건부 장관과 회담을 갖고 "
            "디지털 헬스 협력에 관한 양해각서(MOU)를 체결했다고 12일 밝혔다. 양국은 원격의료와 "
            "보건의료 데이터 분야에서 협력한다.",
        },
        {"id": "bad-date", "published": "next week", "title": "x", "text": "y"},
        {"id": "local", "title": "Hospital opens a new cardiology ward", "text": ""},
    ]
    result = classify_monitor(
        "classify",
        "--jsonl",
        "-",
        input="\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "<stdin>:2: key 'published' is not an ISO 8601 date: 'next week'" in result.stderr
    records = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(records) == {"ko-mou", "local"}
    mou = records["ko-mou"]
    assert mou["cooperation"] is True
    assert {"agreement", "meeting"} <= set(mou["events"])
    assert mou["place"] == "Jakarta"
    assert mou["event_date"] == "2026-03-10"
    assert mou["organisations"] == []
    local = records["local"]
    assert (local["events"], local["organisations"], local["place"], local["event_date"]) == (
        [],
        [],
        None,
        None,
    )


# --- evaluation -----------------------------------------------------------------------------------


def test_eval_scores_event_types_and_organisations_per_language() -> None:
    from rich.console import Console

    from classifiers.evaluate import ALL, report_table, score
    from classifiers.gold import parse_gold

    lines = [
        {"id": "1", "language": "ko", "title": "t", "text": "x", "relevant": True,
         "cooperation": True, "events": ["agreement", "meeting"], "organisations": ["WHO"],
         "place": "Hanoi", "event_date": "2026-03-10", "published": "2026-03-12"},
        {"id": "2", "language": "en", "title": "t", "text": "x", "relevant": True,
         "cooperation": True, "events": ["funding"], "organisations": []},
        {"id": "3", "language": "en", "title": "t", "text": "x", "relevant": True,
         "cooperation": False},  # no cooperation: no event expected
        {"id": "4", "language": "en", "title": "t", "text": "x", "relevant": True,
         "cooperation": True},  # cooperation without event labels: not scored for events
    ]  # fmt: skip
    gold = parse_gold([json.dumps(line) for line in lines], source="gold.jsonl")
    assert gold[0].published == datetime(2026, 3, 12)  # noqa: DTZ001
    assert (gold[2].events, gold[3].events) == ((), None)
    predicted = [
        Labels("ko", True, True, (), (), "", events=("agreement",), organisations=("WHO",),
               place="Hanoi", event_date="2026-03-11"),
        Labels("en", True, True, (), (), "", events=("funding", "project")),
        Labels("en", True, False, (), (), "", events=()),
        Labels("en", True, True, (), (), "", events=("visit",)),
    ]  # fmt: skip
    report = score(gold, predicted)
    events = report.counts[("events", ALL)]
    assert (events.tp, events.fp, events.fn) == (2, 1, 1)
    assert report.counts[("event:meeting", "ko")].recall == 0.0
    assert report.counts[("organisations", "ko")].f1 == 1.0
    assert report.counts[("place", ALL)].f1 == 1.0
    assert report.counts[("event_date", ALL)].f1 == 0.0
    assert ("event:visit", ALL) not in report.counts  # item 4 is not labelled for events
    console = Console(width=140, record=True)
    console.print(report_table(report))
    text = console.export_text()
    assert "cooperation events: F1 per language" in text
    assert "event types (micro)" in text
