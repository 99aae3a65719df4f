"""Tests for classifiers.summarise: splitting in every target language, ranking, limits, junk."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray

from classifiers.base import Summariser
from classifiers.summarise import (
    CANDIDATES,
    ELLIPSIS,
    ExtractiveSummariser,
    clean_text,
    split_sentences,
)

ARTICLES: dict[str, tuple[str, str]] = {
    "en": (
        "Korea and Indonesia sign MOU on digital health",
        "SEOUL, Jan. 5 (Yonhap) -- South Korea and Indonesia signed a memorandum of "
        "understanding on digital health cooperation on Friday, the health ministry said. "
        "The agreement covers telemedicine, health data and training of health workers. "
        "Dr. Lee Min-ho of the ministry said the U.S. and Japan had signed similar deals. "
        "The weather in Seoul was cold. Read more: other stories.",
    ),
    "ko": (
        "한-인니 디지털 헬스 협력 양해각서 체결",
        "(서울=연합뉴스) 홍길동 기자 = 보건복지부는 인도네시아 보건부와 디지털 헬스 협력 "
        "양해각서를 체결했다고 5일 밝혔다. 양해각서에는 원격의료와 보건의료 데이터 협력, "
        "보건인력 교육이 포함됐다. 양국 장관은 자카르타에서 만나 후속 사업을 논의했다. "
        "이날 서울은 추웠다. hong@yna.co.kr",
    ),
    "zh": (
        "中国与柬埔寨签署卫生合作谅解备忘录",
        "新华社北京1月5日电（记者 王某）中国国家卫生健康委员会与柬埔寨卫生部5日签署卫生合作"
        "谅解备忘录。双方将在传染病防控、医疗人员培训等领域开展合作。柬埔寨卫生大臣表示，"
        "合作将惠及两国人民。当天北京天气晴朗。",
    ),
    "zh-Hant": (
        "台灣與菲律賓簽署醫衛合作備忘錄",
        "衛福部今日與菲律賓衛生部簽署醫衛合作備忘錄。雙方將在傳染病防治與醫療人員培訓方面合作。"
        "菲律賓代表表示，期待深化交流。",
    ),
    "ja": (
        "日本とインドネシア、保健医療分野の協力覚書に署名",
        "厚生労働省は5日、インドネシア保健省と保健医療分野の協力覚書に署名したと発表した。"
        "覚書には遠隔医療や医療人材の育成が含まれる。両国の大臣はジャカルタで会談した。"
        "東京は晴れだった。",
    ),
    "id": (
        "Indonesia dan Korea Selatan teken kerja sama kesehatan",
        "JAKARTA, KOMPAS.com - Kementerian Kesehatan RI dan Kementerian Kesehatan Korea "
        "Selatan menandatangani nota kesepahaman kerja sama kesehatan digital. Kerja sama "
        "ini mencakup telemedisin dan pelatihan tenaga kesehatan. Menurut dr. Budi, "
        "kerja sama akan dimulai tahun depan. Baca juga: berita lain.",
    ),
    "vi": (
        "Việt Nam và Hàn Quốc ký biên bản ghi nhớ hợp tác y tế",
        "(Dân trí) - Bộ Y tế Việt Nam và Bộ Y tế Hàn Quốc đã ký biên bản ghi nhớ hợp tác "
        "trong lĩnh vực y tế số. Theo PGS.TS. Nguyễn Văn A, hai bên sẽ hợp tác đào tạo nhân "
        "lực y tế. TP. Hồ Chí Minh sẽ là nơi thí điểm. Xem thêm: tin khác.",
    ),
    "th": (
        "ไทยและญี่ปุ่นลงนามบันทึกความเข้าใจความร่วมมือด้านสาธารณสุข",
        "กระทรวงสาธารณสุขไทยและกระทรวงสาธารณสุขญี่ปุ่นลงนามบันทึกความเข้าใจความร่วมมือ "
        "ด้านการพัฒนาระบบสุขภาพดิจิทัลและการฝึกอบรมบุคลากรทางการแพทย์ "
        "ทั้งสองประเทศจะเริ่มโครงการนำร่องในปีหน้า อ่านต่อ",
    ),
    "ms": (
        "Malaysia dan Jepun meterai kerjasama kesihatan",
        "Kementerian Kesihatan Malaysia dan Jepun memeterai memorandum persefahaman "
        "kerjasama kesihatan digital. Kerjasama itu meliputi latihan jururawat dan doktor. "
        "Ia akan bermula tahun depan.",
    ),
    "tl": (
        "Pilipinas at Japan lumagda ng kasunduan sa kalusugan",
        "Lumagda ang Department of Health at ang Japan ng kasunduan sa kooperasyon sa "
        "kalusugan. Kasama rito ang pagsasanay ng mga nars at doktor. Magsisimula ito "
        "sa susunod na taon.",
    ),
}


def language_of(key: str) -> str:
    return key.split("-")[0]


@pytest.fixture(scope="module")
def e5_embed() -> Iterator[object]:
    from classifiers.e5_encoder import E5Encoder

    yield E5Encoder().encode


def test_implements_protocol() -> None:
    summariser: Summariser = ExtractiveSummariser()
    assert summariser.summarise("T", "", "en") == "T"


@pytest.mark.parametrize("key", list(ARTICLES))
def test_summary_in_every_language_without_embedding(key: str) -> None:
    title, text = ARTICLES[key]
    summary = ExtractiveSummariser().summarise(title, text, language_of(key))
    assert summary
    assert len(summary) <= 300
    assert summary in clean_text(text).replace("\n", " ") or all(
        part.strip() in text for part in summary.split(". ")
    )
    for boilerplate in ("Read more", "Yonhap", "기자 =", "新华社", "Baca juga", "Xem thêm"):
        assert boilerplate not in summary
    assert "@" not in summary


@pytest.mark.parametrize("key", ["en", "ko", "zh", "ja", "id", "vi", "th"])
def test_summary_with_e5(key: str, e5_embed: object) -> None:
    title, text = ARTICLES[key]
    summariser = ExtractiveSummariser(embed=e5_embed)  # type: ignore[arg-type]
    summary = summariser.summarise(title, text, language_of(key))
    assert summary
    assert len(summary) <= 300
    lead = split_sentences(clean_text(text), language_of(key))[0]
    assert lead in summary  # the lead sentence is central and gets the lead bonus


def test_off_topic_sentence_is_dropped_with_e5(e5_embed: object) -> None:
    title, text = ARTICLES["en"]
    summary = ExtractiveSummariser(embed=e5_embed, max_sentences=2).summarise(  # type: ignore[arg-type]
        title, text, "en"
    )
    assert "weather" not in summary
    assert summary.startswith("South Korea and Indonesia signed")


def test_off_topic_sentence_is_dropped_by_word_overlap() -> None:
    title, text = ARTICLES["en"]
    summary = ExtractiveSummariser(max_sentences=2).summarise(title, text, "en")
    assert "weather" not in summary


def test_sentences_keep_original_order() -> None:
    text = "Alpha first sentence about vaccines here. Beta second sentence about vaccines too. "
    text += "Gamma third sentence about vaccines again. Delta fourth one about vaccines."

    def embed(texts: list[str]) -> NDArray[np.float64]:
        # The title ("Vaccines") is [1, 0]: Delta, then Gamma are closest to it.
        rank = {"Alpha": 0.1, "Beta": 0.2, "Gamma": 0.8, "Delta": 0.9}
        rows = []
        for item in texts:
            weight = next((v for k, v in rank.items() if item.startswith(k)), 1.0)
            rows.append([weight, 1 - weight])
        return np.array(rows)

    summary = ExtractiveSummariser(embed=embed, max_sentences=2).summarise("Vaccines", text, "en")
    assert summary == "Gamma third sentence about vaccines again. Delta fourth one about vaccines."


def test_max_chars_and_max_sentences() -> None:
    text = " ".join(f"Sentence number {i} talks about hospitals and nurses." for i in range(20))
    summary = ExtractiveSummariser(max_chars=120, max_sentences=3).summarise("", text, "en")
    assert len(summary) <= 120
    assert 1 <= summary.count(".") <= 3
    one = ExtractiveSummariser(max_sentences=1).summarise("", text, "en")
    assert one.count(".") == 1


def test_overlong_sentence_cut_at_word_boundary() -> None:
    text = "The ministry " + "announced new measures for hospitals " * 20 + "today."
    summary = ExtractiveSummariser(max_chars=100).summarise("", text, "en")
    assert len(summary) <= 100
    assert summary.endswith(ELLIPSIS)
    assert summary[:-1].split(" ")[-1] in text.split(" ")  # whole words only


def test_overlong_cjk_sentence_cut_at_character() -> None:
    text = "国家卫生健康委员会" * 60 + "。"
    summary = ExtractiveSummariser(max_chars=50).summarise("", text, "zh")
    assert len(summary) == 50
    assert summary.endswith(ELLIPSIS)


def test_overlong_thai_keeps_vowel_marks_with_their_letter() -> None:
    text = "ผู้ป่วยที่ได้รับวัคซีน" * 30
    summary = ExtractiveSummariser(max_chars=40).summarise("", text, "th")
    assert len(summary) <= 40
    assert summary.endswith(ELLIPSIS)
    assert text.startswith(summary[:-1])
    import unicodedata

    assert unicodedata.category(text[len(summary) - 1]) != "Mn"


def test_title_only() -> None:
    assert ExtractiveSummariser().summarise("Dengue cases rise", "", "en") == "Dengue cases rise"
    long_title = "Dengue " * 80
    summary = ExtractiveSummariser().summarise(long_title, "", "en")
    assert 0 < len(summary) <= 300 and summary.endswith(ELLIPSIS)


def test_text_equal_to_title_falls_back_to_title() -> None:
    title = "보건복지부, 필수의료 지원 대책 발표"
    assert ExtractiveSummariser().summarise(title, title, "ko") == title


def test_empty() -> None:
    assert ExtractiveSummariser().summarise("", "", "und") == ""
    assert ExtractiveSummariser().summarise("  ", "\n\n", "en") == ""


def test_binary_junk_is_never_empty_and_bounded() -> None:
    junk = os.urandom(5000).decode("latin-1")
    summary = ExtractiveSummariser().summarise("", junk, "und")
    assert summary and len(summary) <= 300
    assert ExtractiveSummariser().summarise(
        "", junk.encode("latin-1").decode("utf-8", "replace"), "und"
    )


@pytest.mark.parametrize("seed", range(20))
def test_binary_junk_gives_the_title(seed: int) -> None:
    junk = random.Random(seed).randbytes(5000)
    summariser = ExtractiveSummariser()
    assert summariser.summarise("Title", junk.decode("latin-1"), "en") == "Title"
    assert summariser.summarise("Title", junk.decode("utf-8", "replace"), "und") == "Title"
    assert summariser.summarise("Title", junk.decode("cp1252", "replace"), "en") == "Title"
    controls = "".join(chr(i) for i in range(32)) * 10
    assert ExtractiveSummariser().summarise("Title", controls, "en") == "Title"


def test_short_text_is_summarised_as_is() -> None:
    text = "WHO warns of measles."
    assert ExtractiveSummariser().summarise("", text, "en") == text


def test_megabyte_text_is_fast(e5_embed: object) -> None:
    text = "The health ministry announced a new vaccination campaign for children. " * 15_000
    assert len(text) > 1_000_000
    calls: list[int] = []

    def embed(texts: list[str]) -> NDArray[np.float32]:
        calls.append(len(texts))
        return e5_embed(texts)  # type: ignore[operator,no-any-return]

    start = time.perf_counter()
    summary = ExtractiveSummariser(embed=embed).summarise("Vaccination", text, "en")
    elapsed = time.perf_counter() - start
    assert summary and len(summary) <= 300
    assert calls and max(calls) <= 31  # title + at most 30 sentences are embedded
    assert elapsed < 10
    start = time.perf_counter()
    ExtractiveSummariser().summarise("Vaccination", text, "en")
    assert time.perf_counter() - start < 1


def test_failing_embedding_falls_back_to_words() -> None:
    def broken(texts: list[str]) -> NDArray[np.float64]:
        raise RuntimeError("model gone")

    title, text = ARTICLES["en"]
    summary = ExtractiveSummariser(embed=broken).summarise(title, text, "en")
    assert summary.startswith("South Korea and Indonesia")


def test_wrong_shape_embedding_is_ignored() -> None:
    def wrong(texts: list[str]) -> NDArray[np.float64]:
        return np.zeros((1, 3))

    title, text = ARTICLES["vi"]
    assert ExtractiveSummariser(embed=wrong).summarise(title, text, "vi")


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        ExtractiveSummariser(max_chars=5)
    with pytest.raises(ValueError):
        ExtractiveSummariser(max_sentences=0)


def test_unknown_language_uses_script() -> None:
    title, text = ARTICLES["zh"]
    summary = ExtractiveSummariser().summarise(title, text, "und")
    assert summary.startswith("中国国家卫生健康委员会")


# -- splitting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "Dr. Kim met U.S. officials on Jan. 5 in Seoul. The rate was 3.5% in 2024! "
            "Was it bad? Yes.",
            [
                "Dr. Kim met U.S. officials on Jan. 5 in Seoul.",
                "The rate was 3.5% in 2024!",
                "Was it bad?",
                "Yes.",
            ],
        ),
        (
            "en",
            'He said "it works." Then J. Smith left, e.g. at noon.',
            ['He said "it works."', "Then J. Smith left, e.g. at noon."],
        ),
        (
            "id",
            "dr. Budi mengatakan kasus naik. Pemerintah akan bertindak. Ada 1.200 kasus.",
            ["dr. Budi mengatakan kasus naik.", "Pemerintah akan bertindak.", "Ada 1.200 kasus."],
        ),
        (
            "ms",
            "Menurut Dr. Ahmad, kes meningkat. KKM akan bertindak segera.",
            ["Menurut Dr. Ahmad, kes meningkat.", "KKM akan bertindak segera."],
        ),
        (
            "vi",
            "PGS.TS. Nguyễn Văn A cho biết số ca tăng. TP. Hồ Chí Minh ghi nhận 500 ca. Đúng vậy.",
            [
                "PGS.TS. Nguyễn Văn A cho biết số ca tăng.",
                "TP. Hồ Chí Minh ghi nhận 500 ca.",
                "Đúng vậy.",
            ],
        ),
        (
            "tl",
            "Sinabi ni Dr. Cruz na tumaas ang kaso. Magbabakuna ang DOH.",
            ["Sinabi ni Dr. Cruz na tumaas ang kaso.", "Magbabakuna ang DOH."],
        ),
        (
            "zh",
            "国家卫健委今天发布规划。规划提出到2030年建成体系！专家表示：“这很重要。”下一步怎么办？",
            [
                "国家卫健委今天发布规划。",
                "规划提出到2030年建成体系！",
                "专家表示：“这很重要。”",
                "下一步怎么办？",
            ],
        ),
        (
            "zh",
            "衛福部今日宣布擴大補助。補助金額為3.5億元！",
            ["衛福部今日宣布擴大補助。", "補助金額為3.5億元！"],
        ),
        (
            "ja",
            "厚生労働省は5日、計画を発表した。計画は2030年までの目標を示す。「重要だ」と述べた。",
            [
                "厚生労働省は5日、計画を発表した。",
                "計画は2030年までの目標を示す。",
                "「重要だ」と述べた。",
            ],
        ),
        (
            "ko",
            "보건복지부는 5일 계획을 발표했다. 계획은 목표를 담았다.정부는 3.5% 증액한다고 밝혔다.",
            [
                "보건복지부는 5일 계획을 발표했다.",
                "계획은 목표를 담았다.",
                "정부는 3.5% 증액한다고 밝혔다.",
            ],
        ),
        (
            "th",
            "กระทรวงสาธารณสุขเตือนประชาชนระวังไข้เลือดออกช่วงฤดูฝน ผู้ป่วยเพิ่มขึ้นกว่าปีที่แล้ว 2 เท่า "
            "แพทย์แนะนำให้กำจัดแหล่งเพาะพันธุ์ยุงลาย",
            [
                "กระทรวงสาธารณสุขเตือนประชาชนระวังไข้เลือดออกช่วงฤดูฝน",
                "ผู้ป่วยเพิ่มขึ้นกว่าปีที่แล้ว 2 เท่า",
                "แพทย์แนะนำให้กำจัดแหล่งเพาะพันธุ์ยุงลาย",
            ],
        ),
    ],
)
def test_split_sentences(language: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, language) == expected


def test_split_on_line_breaks() -> None:
    assert split_sentences("Headline without stop\nBody sentence.", "en") == [
        "Headline without stop",
        "Body sentence.",
    ]


def test_split_thai_short_chunks_are_merged() -> None:
    text = "ปี 2567 WHO ชื่นชม ไทย"
    assert split_sentences(text, "th") == [text]


def test_split_empty() -> None:
    assert split_sentences("", "en") == []
    assert split_sentences(" \n \n", "zh") == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("SEOUL, Jan. 5 (Yonhap) -- South Korea said", "South Korea said"),
        ("BANGKOK (Reuters) - Thailand said", "Thailand said"),
        ("JAKARTA, KOMPAS.com - Kementerian Kesehatan", "Kementerian Kesehatan"),
        ("(Dân trí) - Bộ Y tế", "Bộ Y tế"),
        ("(서울=연합뉴스) 홍길동 기자 = 보건복지부는", "보건복지부는"),
        ("[헬스조선=김철수 기자] 보건복지부는", "보건복지부는"),
        ("新华社北京1月5日电（记者 王某）国家卫健委", "国家卫健委"),
        ("However, officials said - the plan", "However, officials said - the plan"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_texts_to_embed_are_exactly_what_summarise_embeds() -> None:
    """The classifier embeds these for topics and hands the vectors back: nothing twice."""
    asked: list[list[str]] = []

    def embed(texts: list[str]) -> NDArray[np.float64]:
        asked.append(list(texts))
        rng = np.random.default_rng(len(asked))
        return rng.normal(size=(len(texts), 8))

    summariser = ExtractiveSummariser(embed=embed)
    title = "Korea and Viet Nam agree to cooperate in five areas"
    text = " ".join(
        f"Sentence number {n} says something about health cooperation between them."
        for n in range(1, 9)
    )
    expected = summariser.texts_to_embed(title, text, "en")
    summariser.summarise(title, text, "en")
    assert asked == [expected]
    assert expected[0] == title and len(expected) == 1 + min(8, CANDIDATES)


def test_a_short_lead_needs_no_embedding() -> None:
    summariser = ExtractiveSummariser(embed=lambda texts: np.zeros((len(texts), 4)))
    assert summariser.texts_to_embed("Title", "One short sentence about dengue cases.", "en") == []
    assert summariser.texts_to_embed("", "", "en") == []
