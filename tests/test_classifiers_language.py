"""Tests for classifiers.language: short titles in every target language, mixes, junk."""

from __future__ import annotations

import os

import pytest

from classifiers.language import (
    LanguageDetector,
    default_detector,
    detect_language,
    indonesian_or_malay,
    normalise_language_code,
)

TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Dengue cases rise sharply after monsoon rains",
        "WHO urges countries to boost measles vaccination",
        "Health ministry unveils plan to cut hospital waiting times",
        "Nurses strike over pay and staffing shortages",
        "New AI tool helps doctors spot lung cancer earlier",
        "Korea and Indonesia sign health cooperation agreement",
        "Bird flu detected on poultry farm near the capital",
        "Government expands free screening for diabetes",
        "Experts warn of rising antibiotic resistance",
        "Japan to fund new hospital in Cambodia",
        "Mental health hotline sees record calls",
        "Cholera outbreak kills dozens",
    ),
    "id": (
        "Kemenkes: kasus DBD meningkat di Jawa Barat",
        "Pemerintah tambah anggaran rumah sakit daerah",
        "Menteri Kesehatan kunjungi puskesmas di Papua",
        "BPJS Kesehatan tanggung biaya cuci darah",
        "Indonesia dan Korea Selatan teken kerja sama kesehatan",
        "Vaksinasi polio digelar serentak di seluruh provinsi",
        "Dokter spesialis masih kurang di daerah terpencil",
        "Kasus stunting turun menjadi 21 persen",
        "Rumah sakit diminta siaga hadapi lonjakan pasien",
        "Obat sirup anak ditarik dari peredaran",
        "Pemerintah siapkan layanan kesehatan jiwa di puskesmas",
        "Kemenkes imbau masyarakat waspada cacar monyet",
    ),
    "ms": (
        "KKM gesa orang ramai dapatkan suntikan vaksin",
        "Kerajaan umum peruntukan tambahan untuk hospital",
        "Menteri Kesihatan lawat hospital daerah di Sabah",
        "Kes denggi meningkat di Selangor, kata KKM",
        "Kekurangan doktor pakar di hospital kerajaan",
        "Harga ubat di farmasi swasta akan dikawal",
        "Kanak-kanak perlu lengkapkan imunisasi, kata doktor",
        "Malaysia dan Jepun meterai kerjasama kesihatan",
        "Kementerian Kesihatan Malaysia lancar kempen berhenti merokok",
        "Jururawat diberi elaun tambahan mulai bulan depan",
        "Pesakit kanser boleh dapatkan rawatan percuma di klinik kesihatan",
        "Wabak campak dikesan di beberapa sekolah di Johor",
    ),
    "vi": (
        "Bộ Y tế yêu cầu tăng cường phòng chống sốt xuất huyết",
        "Số ca mắc sởi tăng mạnh tại Hà Nội",
        "Việt Nam và Hàn Quốc ký kết hợp tác y tế",
        "Bệnh viện Bạch Mai quá tải bệnh nhân",
        "Thiếu thuốc điều trị ung thư tại nhiều bệnh viện",
        "Bảo hiểm y tế chi trả thêm thuốc mới",
        "Tiêm vắc xin phòng cúm cho người cao tuổi",
        "Cảnh báo dịch tay chân miệng ở trẻ em",
        "Bác sĩ trẻ về làm việc tại vùng sâu vùng xa",
        "Nhật Bản hỗ trợ trang thiết bị y tế cho Việt Nam",
        "Trầm cảm ở học sinh đang gia tăng",
        "Chuyển đổi số trong khám chữa bệnh",
    ),
    "tl": (
        "DOH nagbabala laban sa pagtaas ng kaso ng dengue",
        "Libreng bakuna para sa mga bata sa mga health center",
        "Mga nars humihiling ng dagdag na sahod",
        "PhilHealth magpapalawak ng benepisyo para sa mga pasyente",
        "Kakulangan ng doktor sa mga probinsya",
        "Kaso ng tigdas tumataas sa Metro Manila",
        "Mga ospital puno na dahil sa trangkaso",
        "Pilipinas at Japan lumagda ng kasunduan sa kalusugan",
        "Bagong ospital itatayo sa Mindanao",
        "Kalusugang pangkaisipan ng mga kabataan dapat bigyang pansin",
    ),
    "ko": (
        "보건복지부, 필수의료 지원 대책 발표",
        "독감 환자 급증…질병청 유행주의보 발령",
        "한-인니 보건장관 회담 개최",
        "서울대병원, AI 영상판독 도입",
        "치매 환자 100만 명 시대",
        "WHO, 엠폭스 국제 공중보건 비상사태 해제",
        "간호사 처우 개선 법안 국회 통과",
        "의대 정원 확대 두고 갈등 지속",
        "베트남에 의료장비 지원",
        "자살 예방 상담전화 109 개통",
    ),
    "ja": (
        "厚生労働省、医療費の自己負担見直しを検討",
        "インフルエンザ患者が急増",
        "日本とインドネシア、保健協力で覚書",
        "認知症基本法が施行",
        "がん検診の受診率向上へ",
        "WHOがパンデミック条約を採択",
        "看護師不足が深刻に",
        "新型コロナワクチンの定期接種始まる",
        "介護報酬を引き上げ",
        "オンライン診療の規制を緩和",
    ),
    "zh": (
        "国家卫健委发布医疗服务体系规划",
        "多地流感进入高发期",
        "中国与柬埔寨签署卫生合作备忘录",
        "医保目录新增药品今年起执行",
        "衛福部擴大癌症篩檢補助",
        "台灣新生兒出生數再創新低",
        "人工智能辅助诊断在基层医院推广",
        "長照3.0上路",
        "疾管署籲民眾接種流感疫苗",
        "中日韩卫生部长会议发表联合声明",
    ),
    "th": (
        "กระทรวงสาธารณสุขเตือนระวังไข้เลือดออก",
        "สปสช. เพิ่มสิทธิประโยชน์ตรวจคัดกรองมะเร็ง",
        "โรงพยาบาลชุมชนขาดแคลนแพทย์",
        "ไทยและญี่ปุ่นลงนามความร่วมมือด้านสาธารณสุข",
        "ผู้ป่วยไข้หวัดใหญ่พุ่งสูง",
        "WHO ชมไทยระบบหลักประกันสุขภาพ",
        "ฉีดวัคซีนเอชพีวีให้นักเรียนหญิง",
        "กรมสุขภาพจิตเปิดสายด่วน 1323",
        "ผู้สูงอายุเสี่ยงภาวะสมองเสื่อม",
        "โควิดสายพันธุ์ใหม่ระบาดในหลายประเทศ",
    ),
}
CASES = [(lang, title) for lang, titles in TITLES.items() for title in titles]


@pytest.mark.parametrize(("expected", "title"), CASES)
def test_short_titles(expected: str, title: str) -> None:
    assert detect_language(title, "") == expected


@pytest.mark.parametrize(("expected", "title"), CASES[::7])
def test_title_as_text(expected: str, title: str) -> None:
    assert detect_language("", title) == expected


def test_at_least_ten_titles_per_target_language() -> None:
    for language in ("en", "ko", "zh", "ja", "id", "vi", "th", "ms", "tl"):
        assert len(TITLES[language]) >= 10


@pytest.mark.parametrize(
    "title",
    ["衛福部擴大癌症篩檢補助", "国家卫健委发布医疗服务体系规划", "臺灣與菲律賓簽署醫衛合作備忘錄"],
)
def test_simplified_and_traditional_are_zh(title: str) -> None:
    assert detect_language(title, "") == "zh"


def test_kana_makes_japanese_even_when_han_dominates() -> None:
    assert detect_language("厚労省、医療費見直しへ", "") == "ja"
    long_japanese = "厚生労働省は新型インフルエンザ等対策政府行動計画を改定したと発表した。" * 5
    assert detect_language("", long_japanese) == "ja"


def test_stray_kana_in_long_chinese_text_is_still_chinese() -> None:
    text = "国家卫生健康委员会今天发布全国医疗卫生服务体系规划纲要，" * 10 + "（「美味の店」）"
    assert detect_language("", text) == "zh"


def test_kanji_only_headline_uses_japanese_hint() -> None:
    assert detect_language("日中韓保健大臣会合開催", "") == "zh"
    assert detect_language("日中韓保健大臣会合開催", "", hint="ja") == "ja"


@pytest.mark.parametrize(
    ("expected", "title"),
    [
        ("fr", "Le ministère de la Santé lance une campagne de vaccination contre la grippe"),
        ("es", "El Ministerio de Sanidad amplía la cobertura de vacunación contra la gripe"),
        ("de", "Das Gesundheitsministerium startet eine neue Impfkampagne gegen die Grippe"),
        ("ru", "Минздрав России сообщил о росте заболеваемости гриппом"),
        ("mn", "Эрүүл мэндийн яам томуугийн вакцинжуулалт эхлүүллээ"),
        ("ar", "وزارة الصحة تطلق حملة تطعيم ضد الإنفلونزا"),
        ("hi", "स्वास्थ्य मंत्रालय ने टीकाकरण अभियान शुरू किया"),
        ("km", "ក្រសួងសុខាភិបាលបានប្រកាសយុទ្ធនាការចាក់វ៉ាក់សាំង"),
        ("lo", "ກະຊວງສາທາລະນະສຸກ ປະກາດ ມາດຕະການ"),
        ("my", "ကျန်းမာရေးဝန်ကြီးဌာန"),
    ],
)
def test_other_languages(expected: str, title: str) -> None:
    assert detect_language(title, "") == expected


def test_mixed_english_with_korean_name_is_english() -> None:
    title = (
        "Korea's health minister Cho Kyoo-hong (조규홍) met WHO officials in Geneva "
        "to discuss pandemic preparedness"
    )
    assert detect_language(title, "") == "en"


def test_mixed_korean_with_english_terms_is_korean() -> None:
    text = "보건복지부는 WHO와 함께 Digital Health Partnership 협력 방안을 논의했다고 밝혔다."
    assert detect_language("", text) == "ko"


def test_mixed_thai_with_english_terms_is_thai() -> None:
    assert detect_language("WHO ชื่นชมระบบ Universal Health Coverage ของไทย", "") == "th"


def test_majority_language_of_title_and_text() -> None:
    title = "Korea and Indonesia sign MOU"
    text = "보건복지부는 인도네시아 보건부와 디지털 헬스 협력을 위한 양해각서를 체결했다고 밝혔다."
    assert detect_language(title, text) == "ko"


def test_vietnamese_decomposed_diacritics() -> None:
    import unicodedata

    title = unicodedata.normalize("NFD", "Bộ Y tế yêu cầu tăng cường phòng chống sốt xuất huyết")
    assert detect_language(title, "") == "vi"


# -- Indonesian / Malay -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        ("ms", "Kerajaan umum peruntukan tambahan untuk hospital"),
        ("ms", "KKM: kes denggi meningkat"),
        ("id", "Pemerintah tambah anggaran rumah sakit"),
        ("id", "Kemenkes: kasus DBD meningkat"),
        ("ms", "Kementerian Kesihatan lancar kempen"),
        ("id", "Kementerian Kesehatan luncurkan kampanye"),
    ],
)
def test_indonesian_or_malay_words(expected: str, text: str) -> None:
    assert indonesian_or_malay(text, "id" if expected == "ms" else "ms") == expected


def test_indonesian_or_malay_undecided_keeps_default() -> None:
    assert indonesian_or_malay("Vaksin baru untuk anak", "id") == "id"
    assert indonesian_or_malay("Vaksin baru untuk anak", "ms") == "ms"


@pytest.mark.parametrize(
    ("expected", "title"),
    [
        ("ms", "Vaksin baru untuk kanak-kanak di hospital"),
        ("id", "Vaksin baru untuk anak di rumah sakit"),
        ("ms", "Harga ubat naik, kata KKM"),
        ("id", "Harga obat naik, kata Kemenkes"),
    ],
)
def test_indonesian_malay_short_titles(expected: str, title: str) -> None:
    assert detect_language(title, "") == expected


@pytest.mark.parametrize(
    "text",
    [
        # lingua reads both as Malay with confidence 0.999 and 0.86
        "Indonesia dan Brunei sepakat tingkatkan penempatan perawat. Menteri Kesehatan Brunei "
        "Darussalam menandatangani nota kesepahaman di Bandar Seri Begawan bersama wakil "
        "menteri kesehatan.",
        "Layanan konseling kesehatan jiwa terima ribuan panggilan dalam enam bulan. Kementerian "
        "Kesehatan mencatat lonjakan panggilan sepanjang semester pertama.",
    ],
)
def test_indonesian_words_overrule_a_confident_malay_reading(text: str) -> None:
    assert detect_language(text, "") == "id"


def test_luar_negeri_is_indonesian_too() -> None:
    text = "Ribuan warga berobat ke luar negeri setiap tahun, kata Kementerian Kesehatan."
    assert indonesian_or_malay(text, "ms") == "id"


def test_hint_breaks_an_indonesian_malay_tie() -> None:
    title = "Vaksin baru untuk anak"
    assert detect_language(title, "", hint="ms") == "ms"
    assert detect_language(title, "", hint="id") == "id"


# -- hints and junk -----------------------------------------------------------------------


def test_hint_is_not_used_when_the_text_decides() -> None:
    assert detect_language("Health ministry expands free cancer screening", "", hint="ko") == "en"
    assert detect_language("보건복지부, 필수의료 지원 대책 발표", "", hint="en") == "ko"


def test_hint_used_for_very_short_text() -> None:
    assert detect_language("OK", "", hint="fil") == "tl"
    assert detect_language("Covid", "", hint="id") == "id"
    assert detect_language("", "", hint="en-US") == "en"
    assert detect_language("", "", hint="zh_TW") == "zh"


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   \n\t ",
        "12345 67890 -- /// 2024-01-05 12:00",
        "https://example.com/a/b?c=d",
        "\x00\x01\x02\xfe\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        "Ã¤Â¸Â­Ã¥â€º Ã¨Â¡â€ºÃ§â€Å¸Ã©Æ’Â¨",
        "\ufffd\ufffd\ufffd\ufffd abc \ufffd\ufffd\ufffd",
        "?!",
    ],
)
def test_junk_is_undetermined_or_the_hint(junk: str) -> None:
    assert detect_language(junk, junk) == "und"
    assert detect_language(junk, junk, hint="ko") == "ko"


def test_random_bytes_are_undetermined() -> None:
    junk = os.urandom(4000)
    assert detect_language("", junk.decode("latin-1")) == "und"
    assert detect_language("", junk.decode("utf-8", "replace")) == "und"


def test_long_text_only_reads_the_start() -> None:
    text = "Health ministry warns of dengue. " * 30_000
    assert detect_language("", text) == "en"


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en", "en"),
        ("EN-us", "en"),
        ("zh_Hant", "zh"),
        ("fil", "tl"),
        ("in", "id"),
        ("", None),
        (None, None),
        ("english", None),
        ("x", None),
    ],
)
def test_normalise_language_code(tag: str | None, code: str | None) -> None:
    assert normalise_language_code(tag) == code


def test_detector_instance_and_default_are_shared() -> None:
    assert default_detector() is default_detector()
    detector = LanguageDetector(preload=True)
    assert detector.detect("Dengue cases rise sharply after monsoon rains", "") == "en"


# Short English headlines made mostly of names: lingua alone reads several as Tagalog, Malay
# or Dutch; without a word of that language they stay English.
@pytest.mark.parametrize(
    "title",
    [
        "Thailand and Laos cooperate on dengue",
        "Singapore, Malaysia to share outbreak data",
        "Philippines, Japan boost nurse training",
        "Vietnam, Cambodia boost cross-border TB control",
        "Malaysia, Brunei hold health talks",
    ],
)
def test_short_english_headlines_with_names_stay_english(title: str) -> None:
    assert detect_language(title, "") == "en"


@pytest.mark.parametrize(
    ("expected", "title"),
    [
        ("tl", "DOH nagbabala sa pagtaas ng dengue"),
        ("tl", "Pilipinas at Japan lumagda ng kasunduan"),
        ("id", "Menkes terima Dubes Jepang"),
        ("id", "Kasus DBD meningkat"),
        ("ms", "Hospital kerajaan kekurangan doktor pakar"),
        ("ms", "Wabak denggi meningkat"),
    ],
)
def test_short_headlines_with_their_own_words_keep_their_language(
    expected: str, title: str
) -> None:
    assert detect_language(title, "") == expected


def test_a_latin_hint_decides_a_short_headline_without_words_of_either() -> None:
    assert detect_language("Singapore, Malaysia to share outbreak data", "", hint="en") == "en"
