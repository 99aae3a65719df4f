"""Explicit topic mentions: names and acronyms from topics.toml found in text."""

from __future__ import annotations

import pytest

from classifiers.mentions import READ_CHARS, TopicNames
from classifiers.taxonomy import load_taxonomy

NAMES = TopicNames(
    {
        "amr": ["antimicrobial resistance", "AMR", "薬剤耐性", "항생제 내성"],
        "uhc": ["universal health coverage", "UHC", "全民健康覆盖", "보편적 건강보장"],
        "ncd": ["non-communicable diseases", "NCDs", "โรคไม่ติดต่อ"],
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("薬剤耐性（AMR）対策アクションプランを改定", {"amr"}),
        ("보편적 건강보장(UHC)과 항생제 내성 대응에 협력", {"uhc", "amr"}),
        ("三国将推进全民健康覆盖", {"uhc"}),
        ("Ministers agree on Universal Health Coverage", {"uhc"}),
        ("Tackling non-communicable\ndiseases and AMR", {"ncd", "amr"}),
        ("Non communicable diseases kill millions", {"ncd"}),  # a hyphen may be a space
        ("ไทยเร่งควบคุมโรคไม่ติดต่อ", {"ncd"}),
    ],
)
def test_names_are_found_in_any_language(text: str, expected: set[str]) -> None:
    assert NAMES.find(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The AMRO office said growth will slow",  # an acronym inside a longer word
        "Amr Diab tours Asia",  # acronyms are case-sensitive
        "uhc",
        "nothing about health",
        "CAMR",
    ],
)
def test_lookalikes_are_not_mentions(text: str) -> None:
    assert NAMES.find(text) == frozenset()


def test_only_the_start_of_a_huge_text_is_read() -> None:
    assert NAMES.find("x " * READ_CHARS + "antimicrobial resistance") == frozenset()


def test_no_names_finds_nothing() -> None:
    empty = TopicNames({})
    assert not empty and empty.find("AMR") == frozenset()


def test_the_bundled_taxonomy_names_the_issue_examples() -> None:
    names = TopicNames.of(load_taxonomy())
    assert "uhc" in names.find("중국, 일본과 보편적 건강보장(UHC) 협력")
    assert "uhc" in names.find("中日韩三国同意推进全民健康覆盖")
    assert "amr" in names.find("薬剤耐性（AMR）で日ASEAN協力")
    assert "amr" in names.find("Korea, ASEAN to fight AMR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # infectious diseases name health security; non-communicable ones name ncd only
        ("新興・再興感染症の予防と対応で協力", {"health_security"}),
        ("非感染性疾患の予防で協力", {"ncd"}),
        ("三国加强传染病防控合作", {"health_security"}),
        ("慢性非传染性疾病防控", {"ncd"}),
        ("감염병 공동 대응", {"health_security"}),
        ("비감염성 질환 관리", {"ncd"}),
        ("ไทย-ลาวเฝ้าระวังโรคติดต่อชายแดน", {"health_security"}),
        ("ไทยเร่งควบคุมโรคไม่ติดต่อ", {"ncd"}),
        ("Kerja sama pengendalian penyakit menular", {"health_security"}),
        ("Pencegahan penyakit tidak menular", {"ncd"}),
        ("Hợp tác phòng chống bệnh truyền nhiễm", {"health_security"}),
        ("Phòng chống bệnh không lây nhiễm", {"ncd"}),
        ("Talks on infectious diseases and non-communicable diseases", {"health_security", "ncd"}),
        # population ageing and care of older people
        ("活力ある健康な高齢化に関する協力", {"ageing"}),
        ("저출산 고령화 대응 인구정책", {"ageing"}),
        ("加强老年护理服务促进健康老龄化", {"ageing"}),
        # the diseases whose control the labelling guide puts under health security
        ("Thailand and Laos step up malaria control along the border", {"health_security"}),
        ("싱가포르 뎅기열 환자 급증", {"health_security"}),
        ("中柬合作开展结核病筛查", {"health_security"}),
        ("フィリピンでコレラ対策を支援", {"health_security"}),
        ("Kasus demam berdarah meningkat di Jawa Barat", {"health_security"}),
        ("Hợp tác phòng chống bệnh lao tại Đồng Nai", {"health_security"}),
        ("กรมควบคุมโรคเร่งคัดกรองวัณโรคในเรือนจำ", {"health_security"}),
        # "lao" alone is tuberculosis, but Lào is Laos: only "bệnh lao" is a name
        ("Việt Nam và Lào ký kết hợp tác thương mại", set()),
    ],
)
def test_the_bundled_names_tell_neighbouring_topics_apart(text: str, expected: set[str]) -> None:
    assert TopicNames.of(load_taxonomy()).find(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Thailand, Korea to run joint clinical trials of a dengue vaccine",
        "양국 제약사, 신약 개발 및 임상시험 협력",
        "双方将共同研发登革热疫苗并进行临床试验",
        "日本とベトナム、臨床試験の連携で合意",
        "Kerja sama uji klinis vaksin TBC",
        "Hợp tác thử nghiệm lâm sàng thuốc điều trị ung thư",
    ],
)
def test_clinical_trials_name_health_industry(text: str) -> None:
    """Health R&D is `health_industry` (the guide): trials and new-drug development."""
    assert "health_industry" in TopicNames.of(load_taxonomy()).find(text)


@pytest.mark.parametrize(
    "text",
    [
        "Korea, Viet Nam to apply artificial intelligence in chest X-ray reading",
        "인공지능 기반 진단 보조 솔루션 공동 개발",
        "中泰合作推进人工智能辅助诊断",
        "Penerapan kecerdasan artifisial di puskesmas",
        "Ứng dụng trí tuệ nhân tạo trong chẩn đoán hình ảnh",
        "ใช้ปัญญาประดิษฐ์คัดกรองมะเร็งเต้านม",
        # digital technology and transformation, as ministers' agenda lists name the area
        "the use of digital technologies to improve access to care",
        "推动卫生领域数字化转型",
        "⑤デジタル技術を活用した医療",
        "การใช้เทคโนโลยีดิจิทัลในระบบสุขภาพ",
        "hợp tác chuyển đổi số và đào tạo nhân lực",
    ],
)
def test_artificial_intelligence_names_digital_health(text: str) -> None:
    """AI and digital technology in a health item are digital health (the guide); outside
    health no topic is given, as the item is not relevant."""
    assert "digital_health" in TopicNames.of(load_taxonomy()).find(text)
