"""Tests for classifiers.gazetteer: names in every target script, look-alike traps, CSV checks."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from classifiers.errors import GazetteerError
from classifiers.gazetteer import (
    Alias,
    Gazetteer,
    country_mentions,
    default_gazetteer,
    find_countries,
    load_gazetteer,
    parse_gazetteer,
)

CASES: list[tuple[str, tuple[str, ...]]] = [
    # English
    ("Korea and Indonesia sign MOU on digital health", ("KR", "ID")),
    ("South Korea, Japan and China hold health ministers' meeting", ("KR", "JP", "CN")),
    ("North Korea reports no COVID cases", ("KP",)),
    ("North Korean and South Korean officials meet", ("KP", "KR")),
    ("DPRK and ROK resume talks", ("KP", "KR")),
    ("The PRC and the UAE signed a vaccine deal", ("CN", "AE")),
    ("Viet Nam and Lao PDR expand cooperation", ("VN", "LA")),
    ("Hospitals in Vietnam, Laos, Cambodia and Myanmar", ("VN", "LA", "KH", "MM")),
    ("Timor-Leste joins ASEAN health meeting in Brunei", ("TL", "BN")),
    ("Philippine and Malaysian nurses trained in Singapore", ("PH", "MY", "SG")),
    ("Chinese Taipei and Hong Kong delegates", ("TW", "HK")),
    ("Macau casinos and Mongolian herders", ("MO", "MN")),
    ("US, UK, France, Germany, Canada and Russia", ("US", "GB", "FR", "DE", "CA", "RU")),
    ("The U.S. and Australia fund programmes in Papua New Guinea", ("US", "AU", "PG")),
    ("Bangladesh, Pakistan, Sri Lanka and Nepal face dengue", ("BD", "PK", "LK", "NP")),
    ("Saudi Arabia and the United Arab Emirates", ("SA", "AE")),
    ("Korea's health minister visits Jakarta", ("KR", "ID")),
    ("Korea’s health minister", ("KR",)),
    ("SEOUL, Jan. 5 (Yonhap) -- officials said", ("KR",)),
    ("Officials met in Bangkok, Hanoi and Phnom Penh", ("TH", "VN", "KH")),
    ("Ulaanbaatar, Vientiane, Naypyidaw and Dili", ("MN", "LA", "MM", "TL")),
    ("New Zealand and India", ("NZ", "IN")),
    ("THE WHO WARNS CHINA AND INDIA", ("CN", "IN")),
    ("Korean won weakens", ("KR",)),
    ("Cooperation between the two Koreas", ("KR", "KP")),
    # Korean
    ("한국과 인도네시아, 디지털 헬스 협력 양해각서 체결", ("KR", "ID")),
    ("대한민국 보건복지부와 베트남 보건부 회담", ("KR", "VN")),
    ("북한, 평양에서 감염병 대응 회의", ("KP",)),
    ("중국·일본·미국 보건장관 회의", ("CN", "JP", "US")),
    ("한중일 보건장관회의 서울서 개최", ("KR", "CN", "JP")),
    ("한-중 보건의료 협력", ("KR", "CN")),
    ("태국, 라오스, 캄보디아, 미얀마 지원", ("TH", "LA", "KH", "MM")),
    ("필리핀·말레이시아·싱가포르·브루나이·동티모르", ("PH", "MY", "SG", "BN", "TL")),
    ("대만과 홍콩, 마카오 방문", ("TW", "HK", "MO")),
    ("호주·뉴질랜드·캐나다·영국·프랑스·독일·러시아", ("AU", "NZ", "CA", "GB", "FR", "DE", "RU")),
    # Chinese (simplified and traditional)
    ("中国与柬埔寨签署卫生合作谅解备忘录", ("CN", "KH")),
    ("中日韩卫生部长会议发表联合声明", ("CN", "JP", "KR")),
    ("韩国和朝鲜", ("KR", "KP")),
    ("南韓與北韓", ("KR", "KP")),
    ("中國與越南、老撾、緬甸", ("CN", "VN", "LA", "MM")),
    ("臺灣與菲律賓簽署醫衛合作備忘錄", ("TW", "PH")),
    ("泰国、马来西亚、新加坡、印尼", ("TH", "MY", "SG", "ID")),
    ("美国、英国、法国、德国、俄罗斯、加拿大", ("US", "GB", "FR", "DE", "RU", "CA")),
    ("澳大利亚和新西兰", ("AU", "NZ")),
    ("蒙古国和东帝汶", ("MN", "TL")),
    ("中美关系", ("CN", "US")),
    ("国家卫健委通报", ("CN",)),
    # Japanese
    ("日本とインドネシア、保健医療分野の協力覚書に署名", ("JP", "ID")),
    ("日中韓保健大臣会合", ("JP", "CN", "KR")),
    ("韓国と北朝鮮", ("KR", "KP")),
    ("ベトナム、タイ、フィリピン、マレーシア", ("VN", "TH", "PH", "MY")),
    ("厚生労働省は米国と協議", ("JP", "US")),
    ("ソウルで会談", ("KR",)),
    # Indonesian / Malay
    ("Indonesia dan Korea Selatan teken kerja sama kesehatan", ("ID", "KR")),
    ("Korea Utara tutup perbatasan", ("KP",)),
    ("Tiongkok, Jepang dan Amerika Serikat", ("CN", "JP", "US")),
    ("Malaysia dan Jepun meterai kerjasama", ("MY", "JP")),
    ("Kemenkes dan Australia", ("ID", "AU")),
    ("Filipina, Singapura, Kamboja", ("PH", "SG", "KH")),
    # Vietnamese
    ("Việt Nam và Hàn Quốc ký biên bản ghi nhớ hợp tác y tế", ("VN", "KR")),
    ("Trung Quốc, Nhật Bản và Triều Tiên", ("CN", "JP", "KP")),
    ("Bộ trưởng tiếp Đại sứ Mỹ và Pháp", ("US", "FR")),
    ("Thái Lan, Lào, Campuchia", ("TH", "LA", "KH")),
    ("Hà Nội đón đoàn Ấn Độ", ("VN", "IN")),
    # Thai
    ("ไทยและญี่ปุ่นลงนามบันทึกความเข้าใจ", ("TH", "JP")),
    ("เกาหลีใต้และเกาหลีเหนือ", ("KR", "KP")),
    ("จีน เวียดนาม ลาว กัมพูชา เมียนมา", ("CN", "VN", "LA", "KH", "MM")),
    ("สหรัฐอาหรับเอมิเรตส์และสหรัฐอเมริกา", ("AE", "US")),
    ("กรุงเทพฯ และสิงคโปร์", ("TH", "SG")),
    # Filipino
    ("Pilipinas at Timog Korea lumagda ng kasunduan", ("PH", "KR")),
    ("Tsina at Hapon", ("CN", "JP")),
]

TRAPS: list[tuple[str, tuple[str, ...]]] = [
    ("Indiana hospitals expand care", ()),
    ("Shipping in the Indian Ocean", ()),
    ("Georgia passes a health bill", ()),  # ambiguous: country or US state, skipped
    ("Java programming course for nurses", ()),
    ("New Jersey and Jersey City", ()),
    ("Chili peppers and chile sauce", ()),
    ("A woman and an animal", ()),
    ("Nigeria and Niger", ("NG", "NE")),
    ("Nigerian doctors", ("NG",)),
    ("Mali and Somalia", ("ML", "SO")),
    ("Oman", ("OM",)),
    ("Iranian officials", ("IR",)),
    ("Papua New Guinea", ("PG",)),
    ("Guinea-Bissau and Equatorial Guinea and Guinea", ("GW", "GQ", "GN")),
    ("Guinea worm eradication", ()),
    ("Guinea pig study", ()),
    ("Sudan and South Sudan", ("SD", "SS")),
    ("Dominican Republic and Dominica", ("DO", "DM")),
    ("Roast turkey for dinner", ()),
    ("Japanese encephalitis vaccine", ()),
    ("Spanish flu anniversary", ()),
    ("Korean Peninsula tensions", ()),
    ("Latin America and South America", ()),
    ("Pan American Health Organization", ()),
    ("WHO and ASEAN sign agreement", ()),
    ("The European Union and the African Union", ()),
    ("rok", ()),
    ("Korea inside North Korea", ("KR", "KP")),
    ("한국어 교육 확대", ("KR",)),  # the language: KR accepted
    ("인도네시아", ("ID",)),
    ("인도적 지원과 인도주의", ()),
    ("인도양", ()),
    ("일본뇌염 예방접종", ()),
    ("한미약품 신약", ()),
    ("印度尼西亚", ("ID",)),
    ("印度洋", ()),
    ("发展中国家", ()),
    ("發展中國家", ()),
    ("日本脑炎疫苗", ()),
    ("其中美国", ("US",)),
    ("生活中越来越多", ()),
    ("中老年人", ()),
    ("内蒙古", ("CN",)),
    ("中国台湾", ("TW",)),
    ("中国香港", ("HK",)),
    ("朝鲜半岛", ()),
    ("中国地方の病院", ()),  # Japanese: the Chūgoku region
    ("タイプとタイミング", ()),
    ("インドア", ()),
    ("ソウルフード", ()),
    ("Chủ Nhật tuần này", ()),
    ("Mỹ phẩm và Pháp luật", ()),
    ("Lào Cai", ()),
    ("ภาษาอังกฤษ", ()),
    ("ลาวา", ()),
    ("Amerika Latin", ()),
    ("Côte d'Ivoire", ("CI",)),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_countries(text: str, expected: tuple[str, ...]) -> None:
    assert find_countries(text) == expected


@pytest.mark.parametrize(("text", "expected"), TRAPS)
def test_traps(text: str, expected: tuple[str, ...]) -> None:
    assert find_countries(text) == expected


def test_enough_cases() -> None:
    assert len(CASES) + len(TRAPS) >= 60


def test_deduplicated_in_order_of_first_mention() -> None:
    text = "Japan, Korea, Japan again, 日本, 한국, Korea"
    assert find_countries(text) == ("JP", "KR")


def test_mentions_have_offsets() -> None:
    text = "Korea and 印度尼西亚 and Việt Nam"
    mentions = country_mentions(text)
    assert [(code, text[start:end]) for code, start, end in mentions] == [
        ("KR", "Korea"),
        ("ID", "印度尼西亚"),
        ("VN", "Việt Nam"),
    ]


def test_combined_form_gives_one_mention_per_country() -> None:
    text = "한중일 회의"
    assert country_mentions(text) == [("KR", 0, 3), ("CN", 0, 3), ("JP", 0, 3)]


def test_offsets_refer_to_original_text_when_not_nfc() -> None:
    text = unicodedata.normalize("NFD", "Bộ Y tế Việt Nam và Hàn Quốc")
    mentions = country_mentions(text)
    assert [code for code, _, _ in mentions] == ["VN", "KR"]
    assert [unicodedata.normalize("NFC", text[s:e]) for _, s, e in mentions] == [
        "Việt Nam",
        "Hàn Quốc",
    ]


def test_empty_and_junk() -> None:
    assert find_countries("") == ()
    assert find_countries("\x00\x01\ufffd" * 100) == ()
    assert country_mentions("") == []


def test_lowercase_alias_also_matches_capitalised() -> None:
    assert find_countries("Nước Anh và nước Đức") == ("GB", "DE")


def test_speed_per_kilobyte() -> None:
    default_gazetteer()
    text = (
        "The ministers of Korea and Indonesia met in Jakarta with WHO officials. "
        "보건복지부는 베트남과 협력한다. 中日韩卫生部长会议在北京举行。 "
    ) * 8
    text = text[:1024]
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        find_countries(text)
    per_kb = (time.perf_counter() - start) / runs
    assert per_kb < 0.01  # well under 10 ms per KB (about 0.2 ms measured)


def test_megabyte_text() -> None:
    text = "lorem ipsum dolor sit amet " * 40_000 + " Korea"
    assert find_countries(text) == ("KR",)


# -- the CSV ------------------------------------------------------------------------------


def test_bundled_covers_required_countries_in_every_script() -> None:
    required = (
        "BN KH ID LA MY MM PH SG TH VN TL KR KP CN JP TW HK MO MN IN AU NZ US GB FR DE CA RU "
        "BD PK LK NP AE SA"
    ).split()
    gazetteer = default_gazetteer()
    for code in required:
        assert gazetteer.countries(_any_name(code)) == (code,), code
    assert gazetteer.size > 1500


def _any_name(code: str) -> str:
    path = Path(__file__).resolve().parents[1] / "classifiers" / "gazetteer.csv"
    for alias in parse_gazetteer(path.read_text(encoding="utf-8"), str(path)):
        if alias.codes == (code,):
            return alias.name
    raise AssertionError(code)


def test_bundled_has_names_in_all_target_languages_for_key_countries() -> None:
    path = Path(__file__).resolve().parents[1] / "classifiers" / "gazetteer.csv"
    aliases = parse_gazetteer(path.read_text(encoding="utf-8"), str(path))
    for code in ("KR", "KP", "CN", "JP", "VN", "TH", "ID", "PH", "MY", "US"):
        languages = {alias.lang for alias in aliases if alias.codes == (code,)}
        assert {"en", "ko", "zh", "ja", "vi", "th"} <= languages, (code, languages)


def test_parse_and_build_custom(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "# comment\ncode,lang,name\nKR,en,Korea\nKR+JP,ko,한일\n-,en,Korea Town\n",
        encoding="utf-8",
    )
    gazetteer = load_gazetteer(path)
    assert gazetteer.countries("Korea Town; 한일 회담; Korea") == ("KR", "JP")


def test_gazetteer_from_aliases() -> None:
    gazetteer = Gazetteer([Alias("Atlantis", ("AT",)), Alias("Atlantis Sea", ())])
    assert gazetteer.countries("ATLANTIS and Atlantis Sea") == ("AT",)


@pytest.mark.parametrize(
    ("csv_text", "reason"),
    [
        ("name,code,lang\nKR,en,Korea\n", "header must be code,lang,name"),
        ("code,lang,name\nKR,en\n", "expected 3 columns, got 2"),
        ("code,lang,name\nKOR,en,Korea\n", "bad code 'KOR'"),
        ("code,lang,name\nkr,en,Korea\n", "bad code 'kr'"),
        ("code,lang,name\nKR,english,Korea\n", "bad lang 'english'"),
        ("code,lang,name\nKR,en,\n", "empty name"),
        ("code,lang,name\nKR,en,Korea\nKP,en,Korea\n", "'Korea' is KP here but KR at line 2"),
        ("", "empty file"),
    ],
)
def test_csv_problems(csv_text: str, reason: str) -> None:
    with pytest.raises(GazetteerError) as info:
        parse_gazetteer(csv_text, "g.csv")
    assert reason in str(info.value)
    assert str(info.value).startswith("g.csv")


def test_csv_reports_every_problem_with_line() -> None:
    text = "code,lang,name\nKOR,en,Korea\nKR,en,Korea\nXX,english,Foo\n"
    with pytest.raises(GazetteerError) as info:
        parse_gazetteer(text, "g.csv")
    assert [problem.line for problem in info.value.problems] == [2, 4]


def test_duplicate_same_code_is_fine() -> None:
    aliases = parse_gazetteer("code,lang,name\nKR,en,Korea\nKR,id,Korea\n", "g.csv")
    assert [alias.name for alias in aliases] == ["Korea"]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="cannot read"):
        load_gazetteer(tmp_path / "missing.csv")
