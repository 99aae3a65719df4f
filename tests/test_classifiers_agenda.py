"""Agenda lists: the listed areas of readouts and agreements, one item each."""

from __future__ import annotations

from classifiers.agenda import MAX_ITEM_CHARS, MAX_ITEMS, MIN_CHARS, agenda_items

# an opening paragraph without a list: agenda lists are read in items of MIN_CHARS or more
OPENING = "The ministers met in the capital on Monday and reviewed the year's work. " * 6 + "\n"


def long(text: str) -> str:
    return OPENING + text


def test_korean_triangle_markers_give_one_item_each() -> None:
    text = "양측은 ▲보편적 건강보장 ▲디지털 헬스 ▲감염병 대응 등 3개 분야 협력에 합의했다."
    assert agenda_items("", long(text)) == [
        "보편적 건강보장",
        "디지털 헬스",
        "감염병 대응 등 3개 분야 협력에 합의했다",
    ]


def test_bracketed_chinese_numbers_and_numbered_lines() -> None:
    zh = "双方同意在以下领域加强合作：（一）传染病防控；（二）传统医药；（三）卫生人才培养。"
    assert agenda_items("", long(zh)) == ["传染病防控", "传统医药", "卫生人才培养"]
    lines = "The plan covers:\n1. Primary care\n2. Digital health and data\n3) Vaccines"
    assert agenda_items("", long(lines)) == ["Primary care", "Digital health and data", "Vaccines"]


def test_enumerations_split_at_commas_semicolons_and_the_last_conjunction() -> None:
    en = (
        "The two countries will work together in four areas: health financing; healthy ageing; "
        "the health workforce; and preparedness for pandemics."
    )
    assert agenda_items("", long(en))[1:] == [
        "healthy ageing",
        "the health workforce",
        "preparedness for pandemics",
    ]
    vi = "Hai bên hợp tác trong các lĩnh vực y tế dự phòng, y học cổ truyền và chuyển đổi số."
    assert agenda_items("", long(vi))[1:] == ["y học cổ truyền", "chuyển đổi số"]
    ja = "両国は、高齢化対策、感染症対策、医療人材の育成で協力することで合意した。"
    assert agenda_items("", long(ja))[:2] == ["高齢化対策", "感染症対策"]  # "両国は" is too short


def test_a_text_without_a_list_has_no_items() -> None:
    assert (
        agenda_items("Minister visits hospital", "The minister met the hospital's director.") == []
    )
    assert agenda_items("", "") == []
    # two parts are a clause as often as a list
    assert agenda_items("", long("After the talks, the two ministers visited a hospital.")) == []


def test_a_headline_with_its_lead_sentence_is_not_read_for_lists() -> None:
    short = "Hai bên hợp tác trong các lĩnh vực y tế dự phòng, y học cổ truyền và chuyển đổi số."
    assert len(short) < MIN_CHARS
    assert agenda_items("Việt Nam - Lào hợp tác y tế", short) == []
    assert agenda_items("Việt Nam - Lào hợp tác y tế", long(short))


def test_items_are_bounded_in_number_and_length() -> None:
    many = "".join(f"▲ area number {i} " for i in range(40))
    assert len(agenda_items("", long(many))) == MAX_ITEMS
    huge = "▲ " + "x" * 1000 + " ▲ short item"
    assert max(len(item) for item in agenda_items("", long(huge))) <= MAX_ITEM_CHARS


def test_a_dense_script_lead_is_long_at_a_third_of_the_characters() -> None:
    # ~130 Han characters say as much as ~400 letters of English: a readout's lead, not a
    # headline with its first sentence
    zh = (
        "卫生部长今日会见来访的菲律宾卫生部长，双方签署卫生合作备忘录。依备忘录，双方将在"
        "传染病防治、医疗器械监管、数字健康、卫生人员培训及长期照护等领域加强合作。"
        "菲方感谢中方在疫情期间提供医疗物资，并表示期待借鉴中方在全民医保方面的经验。"
        "两国卫生部长上一次会谈是在三年前。"
    )
    assert len(zh) < MIN_CHARS
    listed = ["双方将在传染病防治", "医疗器械监管", "数字健康"]
    assert agenda_items("中菲卫生部长会谈", zh)[1:4] == listed
    # the same number of Latin characters is still a headline's lead
    assert agenda_items("", "Talks on a, b, c and d. " + "x" * (len(zh) - 30)) == []


def test_a_middle_dot_inside_japanese_words_is_not_a_bullet() -> None:
    ja = "両大臣は①ユニバーサル・ヘルス・カバレッジの推進②医薬品・医療機器の規制調和③感染症対策"
    assert agenda_items("", long(ja)) == [
        "ユニバーサル・ヘルス・カバレッジの推進",
        "医薬品・医療機器の規制調和",
        "感染症対策",
    ]
    lines = "重点分野:\n・高齢化への対応\n・医療人材の育成"
    assert agenda_items("", long(lines)) == ["高齢化への対応", "医療人材の育成"]


def test_a_closing_dash_ends_the_last_item() -> None:
    ja = "①医療保険制度②介護人材の育成③デジタル技術を活用した医療――の3分野で協力を進める。"
    assert agenda_items("", long(ja))[-1] == "デジタル技術を活用した医療"
    en = "They agreed on ▲ primary care ▲ vaccines -- the ministry said on Monday."
    assert agenda_items("", long(en)) == ["primary care", "vaccines"]


def test_a_marked_item_joining_two_areas_gives_both() -> None:
    ja = "両大臣は①高齢化への対応と介護人材の育成②感染症対策とパンデミックへの備え③医療保険"
    assert agenda_items("", long(ja)) == [
        "高齢化への対応",
        "介護人材の育成",
        "感染症対策",
        "パンデミックへの備え",
        "医療保険",
    ]
    ko = "양측은 ▲감염병 대응 및 보건안보 ▲디지털 헬스 분야에서 협력하기로 했다."
    assert agenda_items("", long(ko))[:2] == ["감염병 대응", "보건안보"]
    # と inside a kana word and a half too short to be an item leave the item whole
    whole = "①高齢者のひとり暮らし支援②医療の普及及び充実③A and primary care"
    assert agenda_items("", long(whole)) == [
        "高齢者のひとり暮らし支援",
        "医療の普及及び充実",
        "A and primary care",
    ]
