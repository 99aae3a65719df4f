"""Tests for classifiers.gazetteer: names in every target script, look-alike traps, CSV checks."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from classifiers.errors import GazetteerError
from classifiers.gazetteer import (
    Gazetteer,
    country_mentions,
    default_gazetteer,
    find_countries,
    load_gazetteer,
)
from classifiers.gazetteer_csv import Alias, parse_gazetteer

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
    ("Lào Cai", ("VN",)),  # a Vietnamese province, not Laos
    ("ภาษาอังกฤษ", ()),
    ("ลาวา", ()),
    ("Amerika Latin", ()),
    ("Côte d'Ivoire", ("CI",)),
    # sub-national names that are also common words, or that sit inside other names
    ("광주광역시와 广州市", ("KR", "CN")),  # Gwangju (Korea) vs Guangzhou (China)
    ("光州和广州", ("KR", "CN")),
    ("中山大学附属医院", ()),  # Zhongshan city vs Sun Yat-sen: not listed
    ("Georgia and Jordan", ()),
    ("양강도와 함경북도 등지", ("KP",)),  # 함경북도 is North Korea, not 경북
    ("제2차 세계대전과 디지털 대전환", ()),  # 대전 "great war", not Daejeon
    ("대전에서 열린 학회", ("KR",)),
    ("부산물 처리와 천안문 사태", ()),
    ("WHO 서태평양지역사무소", ()),  # 평양 inside 태평양 (Pacific)
    ("a US$500 million loan", ()),
    ("一台中国产手机", ("CN",)),  # not 台中 Taichung
    ("在平台中发布", ()),
    ("米中共同声明", ("US", "CN")),
    ("增加纳税人数", ()),  # not 加纳 Ghana
    ("医院也门诊量增加", ()),  # not 也门 Yemen
    ("沿海地区", ()),  # not 海地 Haiti
    ("很多哥哥", ()),  # not 多哥 Togo
    ("川崎病の治療", ()),  # Kawasaki disease
    ("毎日豪雨が続く", ()),  # not 日豪 Japan-Australia
    ("前日比で上昇", ()),
    ("日ベトナム首脳会談", ("JP", "VN")),
    ("セブンイレブンとジャワカレー", ()),
    ("แพร่ระบาด ตากแดด ไม่ได้เลย", ()),  # spread, sunbathe, "at all": not Phrae, Tak, Loei
    ("น้อย.", ()),
    ("อย.อนุมัติทะเบียนยา", ("TH",)),
    ("ซีเรียสมาก", ()),
    ("Châu Á - Thái Bình Dương", ()),  # Asia-Pacific, not Thái Bình province
    ("tỉnh Thái Bình", ("VN",)),
    ("Thai Binh and Lao Cai provinces", ("VN",)),
    ("Labuan Bajo dan Labuan", ("ID", "MY")),
    ("棉兰老岛与棉兰", ("PH", "ID")),
    ("Strait of Malacca", ()),
    ("특정한·일반적인 사례", ()),  # 한·일 glued to Hangul is not Korea-Japan
    ("한-호주 협력", ("KR", "AU")),
]


# (text, language passed by the caller, expected)
LOCAL_CASES: list[tuple[str, str | None, tuple[str, ...]]] = [
    # a local name counts only in its language
    ("Bộ Y tế cho biết", "vi", ("VN",)),
    ("Bộ Y tế cho biết", None, ()),
    ("Bộ Y tế cho biết", "en", ()),
    ("정부는 몽골 보건부에 검진차량을 기증했다", "ko", ("KR", "MN")),
    ("政府は閣議で決定した", "ja", ("JP",)),
    ("国务院常务会议研究", "zh", ("CN",)),
    ("กระทรวงสาธารณสุขแถลง", "th", ("TH",)),
    # another country's ministry whose name begins like the local one is not the local one
    ("Bộ Y tế và Phúc lợi Hàn Quốc hợp tác với Indonesia", "vi", ("KR", "ID")),
    ("Bộ Y tế, Lao động và Phúc lợi Nhật Bản hỗ trợ Lào", "vi", ("JP", "LA")),
    ("Bộ Y tế Công cộng Lào và Bộ Y tế ký kết", "vi", ("LA", "VN")),
    ("กระทรวงสาธารณสุขและสวัสดิการเกาหลีใต้ลงนามกับอินโดนีเซีย", "th", ("KR", "ID")),
    ("Kementerian Kesehatan mencatat", "id", ("ID",)),
    ("Kementerian Kesihatan berkata", "ms", ("MY",)),
    ("DOH, maglalagay ng mental health unit", "tl", ("PH",)),
    ("DOH, maglalagay ng mental health unit", "fil", ("PH",)),  # tag alias
    ("国务院常务会议", "zh-CN", ("CN",)),  # region subtag cut
    # ... and is dropped when another country owns it
    ("몽골 정부는 지원을 요청했다", "ko", ("MN",)),
    ("일본의 국회", "ko", ("JP",)),
    ("中国の政府と日本", "ja", ("CN", "JP")),
    ("美国国务院发言人", "zh", ("US",)),
    ("美国务院发言人", "zh", ("US",)),
    ("新加坡衞生部", "zh", ("SG",)),
    ("รัฐบาลจีนประกาศ", "th", ("CN",)),
    ("Bộ trưởng Bộ Y tế tiếp Bộ trưởng Bộ Y tế Lào", "vi", ("VN", "LA")),
    ("Kementerian Kesehatan Jepang", "id", ("JP",)),
    ("Bộ Y tế Việt Nam", "vi", ("VN",)),
    ("กระทรวงสาธารณสุขของลาว", "th", ("LA",)),  # genitive ของ between
    # a region or organisation owns it too
    ("Pertemuan Menteri Kesehatan ASEAN", "id", ()),
    ("유럽연합 통계청 자료", "ko", ()),
    ("非洲疾控中心表示", "zh", ()),
    ("รัฐสภายุโรปลงมติ", "th", ()),
    ("미국 연방대법원 판결", "ko", ("US",)),
    # local names inside longer words
    ("트럼프 행정부는 탈퇴를 선언했다", "ko", ()),  # 행정부 "the executive"
    ("결정부터 집행까지", "ko", ()),  # ~정부터 "from ~"
    ("외국회사와 전국회의", "ko", ()),  # not 국회
    ("外国会社と全国会議", "ja", ()),
    ("电子商务部门和经济部门", "zh", ()),  # 部门 "departments"
    ("經濟部表示", "zh", ("TW",)),
    # ... or when it refers back to a foreign one named earlier
    ("일본 정부는 13일 발표했다. 정부는 또 지원을 늘린다", "ko", ("JP",)),
    ("Chính phủ Nhật Bản cho biết. Chính phủ cũng", "vi", ("JP",)),
    # local stop phrase and local place
    ("Chương trình chống Lao quốc gia", "vi", ()),  # lao: tuberculosis
    ("Bộ Lao động - Thương binh và Xã hội", "vi", ("VN",)),
    ("Lao PDR", "vi", ("LA",)),
    ("Lao workers", "en", ("LA",)),
    ("HIV di Papua", "id", ("ID",)),
    ("HIV in Papua", "en", ()),
    ("Papua Nugini", "id", ("PG",)),
    ("Program JKN", "id", ("ID",)),
    ("Pegawai JKN", "ms", ("MY",)),
    ("Presiden AS", "id", ("US",)),
    ("大陸與台灣", "zh", ("CN", "TW")),
    ("歐洲大陸", "zh", ()),
    ("包罗万象", "zh", ()),
    ("万象", "zh", ("LA",)),
    ("万象", "ja", ()),
    ("川崎市", "ja", ("JP",)),
    ("川崎", "zh", ()),
]


@pytest.mark.parametrize(("text", "language", "expected"), LOCAL_CASES)
def test_local_names(text: str, language: str | None, expected: tuple[str, ...]) -> None:
    assert find_countries(text, language=language) == expected


def test_local_mentions_have_offsets() -> None:
    text = "정부는 몽골 정부와"
    assert country_mentions(text, language="ko") == [("KR", 0, 2), ("MN", 4, 6)]


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


UN_MEMBERS = (
    "AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV "
    "KH CM CA CF TD CL CN CO KM CG CD CR CI HR CU CY CZ KP DK DJ DM DO EC EG SV GQ ER EE SZ "
    "ET FJ FI FR GA GM GE DE GH GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO "
    "KZ KE KI KW KG LA LV LB LS LR LY LI LT LU MG MW MY MV ML MT MH MR MU MX FM MD MC MN ME "
    "MA MZ MM NA NR NP NL NZ NI NE NG MK NO OM PK PW PA PG PY PE PH PL PT QA KR RO RU RW KN "
    "LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO ZA SS ES LK SD SR SE CH SY TJ TZ TH TL TG "
    "TO TT TN TR TM TV UG UA AE GB US UY UZ VU VE VN YE ZM ZW"
).split()


@pytest.mark.parametrize(
    ("lang", "missing"),
    [("en", {"GE"}), ("zh", set()), ("ja", set()), ("ko", set()), ("th", {"GE"})],
)
def test_every_un_member_is_named(lang: str, missing: set[str]) -> None:
    """Georgia is left out where its name is also the US state's (see docs/taxonomy.md)."""
    path = Path(__file__).resolve().parents[1] / "classifiers" / "gazetteer.csv"
    aliases = parse_gazetteer(path.read_text(encoding="utf-8"), str(path))
    named = {a.codes[0] for a in aliases if len(a.codes) == 1 and a.lang == lang and not a.local}
    assert len(UN_MEMBERS) == 193
    assert {code for code in UN_MEMBERS if code not in named} == missing


def test_compile_is_fast() -> None:
    path = Path(__file__).resolve().parents[1] / "classifiers" / "gazetteer.csv"
    start = time.perf_counter()
    gazetteer = load_gazetteer(path)
    assert time.perf_counter() - start < 1.0  # about 0.08 s measured
    assert gazetteer.size > 7500


def test_local_rows_parse() -> None:
    text = (
        "code,lang,name\nKR,ko!,정부\nJP,ja!,政府\n-,vi!,Lao\nLA,en,Lao\nID,id!,JKN\nMY,ms!,JKN\n"
    )
    aliases = parse_gazetteer(text, "g.csv")
    assert [(a.name, a.codes, a.lang, a.local) for a in aliases] == [
        ("정부", ("KR",), "ko", True),
        ("政府", ("JP",), "ja", True),
        ("Lao", (), "vi", True),
        ("Lao", ("LA",), "en", False),
        ("JKN", ("ID",), "id", True),
        ("JKN", ("MY",), "ms", True),
    ]
    gazetteer = Gazetteer(aliases)
    assert gazetteer.countries("Lao", "vi") == ()
    assert gazetteer.countries("Lao", "en") == ("LA",)
    assert gazetteer.countries("LAO", "vi") == ()  # the ALL CAPS variant is local too
    assert gazetteer.countries("JKN", "id") == ("ID",)
    assert gazetteer.countries("JKN", "ms") == ("MY",)
    assert gazetteer.countries("JKN") == ()


@pytest.mark.parametrize(
    ("csv_text", "reason"),
    [
        ("code,lang,name\nKR,*!,정부\n", "bad lang '*!'"),
        ("code,lang,name\nKR,ko!!,정부\n", "bad lang 'ko!!'"),
        (
            "code,lang,name\nKR,ko!,정부\nJP,ko!,정부\n",
            "'정부' is JP here but KR at line 2 in ko! rows",
        ),
    ],
)
def test_local_row_problems(csv_text: str, reason: str) -> None:
    with pytest.raises(GazetteerError) as info:
        parse_gazetteer(csv_text, "g.csv")
    assert reason in str(info.value)


def test_variant_shared_by_two_codes_is_dropped() -> None:
    gazetteer = Gazetteer([Alias("Hòa Bình", ("VN",)), Alias("Hòa bình", ())])
    assert gazetteer.countries("Hòa Bình") == ("VN",)
    assert gazetteer.countries("HÒA BÌNH") == ()  # province or "peace": ambiguous in caps


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


def test_story_countries_default_to_the_home_of_a_national_language() -> None:
    from classifiers.gazetteer import story_countries

    assert story_countries("Số ca sốt xuất huyết tăng mạnh trong tuần qua", "vi") == ("VN",)
    assert story_countries("ผู้ป่วยไข้เลือดออกเพิ่มขึ้นในสัปดาห์นี้", "th") == ("TH",)
    assert story_countries("Dengue cases rise sharply this week", "en") == ()
    # Chinese is written in several countries: no default
    assert story_countries("登革热病例本周大幅上升", "zh") == ()
    assert story_countries("Lào ghi nhận ca sốt xuất huyết tăng mạnh", "vi") == ("LA",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("남북 보건의료 협력 재개…감염병 공동 대응", ("KR", "KP")),
        ("통일부는 남측이 북측에 말라리아 공동 방역을 제안했다", ("KR", "KP")),
        ("남북미 정상이 판문점에서 만났다", ("KR", "KP", "US")),
        ("朝韩同意就传染病防控开展合作", ("KR", "KP")),
        ("南北朝鲜卫生合作", ("KR", "KP")),
        ("南北対話の再開に向け協議", ("KR", "KP")),
    ],
)
def test_inter_korean_stories_name_both_koreas(text: str, expected: tuple[str, ...]) -> None:
    assert set(find_countries(text, None)) == set(expected)


@pytest.mark.parametrize(
    "text", ["미국 남북전쟁 당시의 야전병원", "남북극 해빙 관측", "大江南北流感高发"]
)
def test_north_south_that_is_not_inter_korean(text: str) -> None:
    assert not {"KR", "KP"} & set(find_countries(text, None))
