"""Tests of monitor.ingest.dedup: canonical URLs, content hashes, MinHash near-duplicates."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.ingest.dedup import (
    BANDS,
    NEAR_DUPLICATE_THRESHOLD,
    NUM_PERMUTATIONS,
    DedupKeys,
    content_hash,
    dedup_keys,
    is_near_duplicate,
    similarity,
)
from monitor.ingest.urls import canonical_url

ROOT = Path(__file__).resolve().parent.parent

# --- canonical_url ------------------------------------------------------------


def _google_news_link(target: str) -> str:
    url = target.encode()
    payload = b"\x08\x13\x22" + bytes([len(url)]) + url + b"\xd2\x01\x00"
    article_id = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"https://news.google.com/rss/articles/{article_id}?oc=5&hl=ko&gl=KR"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://WWW.Example.COM:80/News/A.html", "http://www.example.com/News/A.html"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=IwAR0&gclid=x",
            "https://example.com/a?id=7",
        ),
        (
            "https://example.com/a?z=1&b=2&mc_cid=x&mc_eid=y&igshid=z&ref=home&cmpid=rss&a=3",
            "https://example.com/a?a=3&b=2&z=1",
        ),
        ("https://example.com/a?UTM_Campaign=x&Id=1", "https://example.com/a?Id=1"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?q=%e2%82%ac&x", "https://example.com/a?q=%E2%82%AC&x"),
        ("https://news.example/기사/123", "https://news.example/%EA%B8%B0%EC%82%AC/123"),
        (
            "https://news.example/%ea%b8%b0%ec%82%ac/123",
            "https://news.example/%EA%B8%B0%EC%82%AC/123",
        ),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("", ""),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("/relative/path", "/relative/path"),
        ("https://EXAMPLE.com./a", "https://example.com/a"),
        ("https://[::1]:8080/a", "https://[::1]:8080/a"),
        ("http://127.0.0.1:8000/feed.xml", "http://127.0.0.1:8000/feed.xml"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://www.yna.co.kr/view/AKR2025&ct=ga",
            "https://www.yna.co.kr/view/AKR2025",
        ),
        (
            "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1&url=https%3a%2f%2f"
            "vnexpress.net%2fhop-tac-y-te-123.html%3futm_source%3drss&c=1&mkt=vi-vn",
            "https://vnexpress.net/hop-tac-y-te-123.html",
        ),
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fkemkes.go.id%2Fberita%2Fa&h=AT0",
            "https://kemkes.go.id/berita/a",
        ),
        (
            _google_news_link("https://www.thejakartapost.com/health/2025/05/22/mou.html"),
            "https://www.thejakartapost.com/health/2025/05/22/mou.html",
        ),
    ],
)
def test_canonical_url_unwraps_decodable_redirectors(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        # New-style Google News ids are opaque: kept as they are (minus tracking).
        "https://news.google.com/rss/articles/AU_yqLMxQ2ZpbGxlcl9vcGFxdWVfaWQ?oc=5",
        "https://news.google.com/rss/articles/%%%",
        "https://www.google.com/url?q=javascript:alert(1)",
    ],
)
def test_canonical_url_keeps_undecodable_redirectors(url: str) -> None:
    assert canonical_url(url).startswith(("https://news.google.com/", "https://www.google.com/"))


def test_canonical_url_is_idempotent() -> None:
    for url in [
        "HTTP://Example.com:80/A%2fb?b=2&a=1&utm_source=x#f",
        "https://news.example/기사?q=한국&utm_medium=rss",
    ]:
        once = canonical_url(url)
        assert canonical_url(once) == once


# --- content_hash ---------------------------------------------------------------


def test_content_hash_ignores_case_width_punctuation_and_spaces() -> None:
    a = content_hash("WHO: Dengue update", "Cases rose by 10% in May.")
    b = content_hash("who — dengue update!", "  Cases   rose by 10 % in May ")
    assert a == b
    assert len(a) == 64
    # NFKC: full-width Latin letters and digits are the same text.
    assert content_hash("ＷＨＯ　１０", "") == content_hash("WHO 10", "")


def test_content_hash_differs_for_different_text() -> None:
    assert content_hash("한국", "보건 협력") != content_hash("한국", "보건 협약")
    # Thai vowel and tone marks are letters, not punctuation.
    assert content_hash("ไข้", "") != content_hash("ไข", "")


# --- near duplicates --------------------------------------------------------------

# (title, text) of an original story, a re-post that must match, and a different
# story about the same topic that must not.
STORIES: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
    "en": (
        (
            "WHO urges stronger dengue surveillance in the Western Pacific",
            "The World Health Organization on Tuesday urged countries in the Western Pacific "
            "to strengthen dengue surveillance as cases rose sharply after early monsoon rains. "
            "WHO said more than 120,000 cases had been reported since January, with the "
            "highest numbers in Viet Nam, the Philippines and Malaysia. The agency called for "
            "better vector control, early diagnosis and community clean-up campaigns.",
        ),
        (
            "WHO urges stronger dengue surveillance in Western Pacific (Reuters)",
            "MANILA (Reuters) - The World Health Organization on Tuesday urged countries in "
            "the Western Pacific to strengthen dengue surveillance as cases rose sharply after "
            "early monsoon rains. WHO said more than 120,000 cases had been reported since "
            "January, with the highest numbers in Viet Nam, the Philippines and Malaysia. "
            "The agency called for better vector control, early diagnosis and community "
            "clean-up campaigns. Reporting by Karen Lema; editing by Ed Davies.",
        ),
        (
            "WHO prequalifies second dengue vaccine",
            "The World Health Organization on Thursday prequalified a second dengue vaccine, "
            "opening the way for procurement by UN agencies. WHO said the two-dose vaccine "
            "showed strong protection against hospitalisation in trials in Asia and Latin "
            "America, and recommended its use in children aged 6 to 16 in high-burden areas.",
        ),
    ),
    "ko": (
        (
            "한·인니, AI 원격협진 양해각서 체결",
            "보건복지부는 인도네시아 보건부와 인공지능 기반 원격협진 시범사업에 관한 양해각서를 "
            "체결했다고 27일 밝혔다. 양국은 도서 지역 보건소 20곳에서 2년간 시범사업을 진행하고, "
            "한국 의료진이 현지 의사에게 영상 판독과 진료 자문을 제공한다.",
        ),
        (
            "한-인니 'AI 원격협진' MOU 체결…도서지역 보건소 20곳 시범사업",
            "(서울=연합뉴스) 보건복지부는 인도네시아 보건부와 인공지능 기반 원격협진 시범사업에 "
            "관한 양해각서를 체결했다고 27일 밝혔다. 양국은 도서 지역 보건소 20곳에서 2년간 "
            "시범사업을 진행하고, 한국 의료진이 현지 의사에게 영상 판독과 진료 자문을 제공한다. "
            "복지부 관계자는 협력 범위를 넓혀 나가겠다고 말했다.",
        ),
        (
            "한·베트남, 보건의료 인력 교류 양해각서 체결",
            "보건복지부는 베트남 보건부와 보건의료 인력 교류에 관한 양해각서를 체결했다고 "
            "밝혔다. 양국은 3년간 의사와 간호사 200명을 교류하고 공동 교육과정을 운영한다.",
        ),
    ),
    "zh": (
        (
            "中国—东盟卫生合作论坛在南宁举行",
            "5月24日，第五届中国—东盟卫生合作论坛在广西南宁举行。来自东盟十国的卫生部门官员和专家"
            "围绕传统医药、数字健康和公共卫生应急等议题进行了交流，各方同意建立传染病联防联控机制。",
        ),
        (
            "第五届中国-东盟卫生合作论坛在南宁举行",
            "新华社南宁5月24日电 5月24日，第五届中国—东盟卫生合作论坛在广西南宁举行。来自东盟十国"
            "的卫生部门官员和专家围绕传统医药、数字健康和公共卫生应急等议题进行了交流，"
            "各方同意建立传染病联防联控机制。",
        ),
        (
            "中国与东盟签署传统医药合作备忘录",
            "国家中医药管理局与东盟秘书处签署传统医药合作谅解备忘录，双方将在中医药人才培养、"
            "标准制定和临床研究方面开展合作，并在越南和老挝建设两个中医药中心。",
        ),
    ),
    "ja": (
        (
            "日本・フィリピン保健大臣会合、UHC推進で合意",
            "厚生労働省は23日、フィリピン保健省との保健大臣会合を東京で開き、ユニバーサル・ヘルス・"
            "カバレッジの推進に向けた人材育成と医療機器の承認手続での協力に合意した。"
            "両国は今後3年間で医師や看護師の研修を拡充する。",
        ),
        (
            "日比保健大臣会合　UHC推進で合意（共同）",
            "【共同】厚生労働省は23日、フィリピン保健省との保健大臣会合を東京で開き、"
            "ユニバーサル・ヘルス・カバレッジの推進に向けた人材育成と医療機器の承認手続での協力に"
            "合意した。両国は今後3年間で医師や看護師の研修を拡充する。",
        ),
        (
            "日本とベトナム、介護人材の育成で協力",
            "厚生労働省はベトナム保健省と介護人材の育成に関する協力覚書に署名した。"
            "日本語教育と介護技術の研修を組み合わせ、高齢化が進む両国の介護現場を支える。",
        ),
    ),
    "th": (
        (
            "ไทย-ลาว ร่วมเฝ้าระวังไข้เลือดออกชายแดน",
            "กระทรวงสาธารณสุขไทยและกระทรวงสาธารณสุขลาวลงนามบันทึกความเข้าใจว่าด้วยการเฝ้าระวัง"
            "โรคไข้เลือดออกร่วมกันในจังหวัดชายแดน ทั้งสองประเทศจะแลกเปลี่ยนข้อมูลผู้ป่วยทุกสัปดาห์"
            "และฝึกอบรมเจ้าหน้าที่ห้องปฏิบัติการ",
        ),
        (
            "ไทย–ลาว ร่วมมือเฝ้าระวังไข้เลือดออกตามแนวชายแดน",
            "กระทรวงสาธารณสุขไทยและกระทรวงสาธารณสุขลาวลงนามบันทึกความเข้าใจว่าด้วยการเฝ้าระวัง"
            "โรคไข้เลือดออกร่วมกันในจังหวัดชายแดน ทั้งสองประเทศจะแลกเปลี่ยนข้อมูลผู้ป่วยทุกสัปดาห์"
            "และฝึกอบรมเจ้าหน้าที่ห้องปฏิบัติการ โดยเริ่มที่จังหวัดหนองคายและนครพนม",
        ),
        (
            "ไทย-กัมพูชา ร่วมควบคุมมาลาเรียชายแดน",
            "กรมควบคุมโรคและกระทรวงสาธารณสุขกัมพูชาตกลงร่วมกันควบคุมโรคมาลาเรียในพื้นที่ชายแดน"
            "โดยจะแจกมุ้งชุบสารเคมีและตั้งจุดตรวจเชื้อในหมู่บ้านที่มีผู้ป่วยสูง",
        ),
    ),
    "vi": (
        (
            "WHO và Việt Nam khởi động kế hoạch quốc gia về kháng kháng sinh",
            "Bộ Y tế Việt Nam và Tổ chức Y tế Thế giới hôm nay đã khởi động Kế hoạch hành động "
            "quốc gia lần thứ hai về phòng chống kháng kháng sinh giai đoạn 2025-2030. Kế hoạch "
            "tăng cường giám sát tại 40 bệnh viện tuyến tỉnh với sự hỗ trợ của Chính phủ Nhật Bản.",
        ),
        (
            "Việt Nam, WHO khởi động kế hoạch quốc gia về kháng kháng sinh",
            "(TTXVN) Bộ Y tế Việt Nam và Tổ chức Y tế Thế giới hôm nay đã khởi động Kế hoạch hành "
            "động quốc gia lần thứ hai về phòng chống kháng kháng sinh giai đoạn 2025-2030. Kế "
            "hoạch tăng cường giám sát tại 40 bệnh viện tuyến tỉnh với sự hỗ trợ của Chính phủ "
            "Nhật Bản.",
        ),
        (
            "WHO hỗ trợ Việt Nam giám sát sốt xuất huyết",
            "Tổ chức Y tế Thế giới hỗ trợ Bộ Y tế Việt Nam mở rộng hệ thống giám sát sốt "
            "xuất huyết tại 20 tỉnh phía Nam, đồng thời tập huấn cho cán bộ y tế dự phòng "
            "về kiểm soát muỗi.",
        ),
    ),
    "id": (
        (
            "Indonesia dan Korea teken MoU telekonsultasi berbasis AI",
            "Kementerian Kesehatan RI dan Kementerian Kesehatan dan Kesejahteraan Korea "
            "menandatangani nota kesepahaman tentang telekonsultasi berbasis kecerdasan buatan "
            "untuk puskesmas di daerah terpencil. Uji coba akan dimulai di 20 puskesmas di "
            "Nusa Tenggara Timur dan Maluku.",
        ),
        (
            "Indonesia-Korea Teken MoU Telekonsultasi Berbasis AI",
            "Jakarta (ANTARA) - Kementerian Kesehatan RI dan Kementerian Kesehatan dan "
            "Kesejahteraan Korea menandatangani nota kesepahaman tentang telekonsultasi berbasis "
            "kecerdasan buatan untuk puskesmas di daerah terpencil. Uji coba akan dimulai di 20 "
            "puskesmas di Nusa Tenggara Timur dan Maluku.",
        ),
        (
            "Indonesia dan Jepang kerja sama pelatihan perawat",
            "Kementerian Kesehatan RI dan Kementerian Kesehatan Jepang sepakat memperluas program "
            "pelatihan perawat dan pengasuh lansia, dengan 500 peserta per tahun mulai 2026.",
        ),
    ),
}


@pytest.mark.parametrize("language", sorted(STORIES))
def test_reposted_wire_copy_is_a_near_duplicate(language: str) -> None:
    original, repost, _ = STORIES[language]
    a, b = dedup_keys(*original), dedup_keys(*repost)
    assert a.content_hash != b.content_hash
    assert (
        similarity(a.signature, b.signature) >= NEAR_DUPLICATE_THRESHOLD + 0.1
    )  # measured 0.64-0.84
    assert is_near_duplicate(a, b)
    assert set(a.bands) & set(b.bands), "LSH must make the re-post a candidate"


@pytest.mark.parametrize("language", sorted(STORIES))
def test_different_story_on_the_same_topic_is_not(language: str) -> None:
    original, _, other = STORIES[language]
    a, c = dedup_keys(*original), dedup_keys(*other)
    assert (
        similarity(a.signature, c.signature) <= NEAR_DUPLICATE_THRESHOLD - 0.2
    )  # measured 0.02-0.28
    assert not is_near_duplicate(a, c)


def test_stories_in_different_languages_are_not_duplicates() -> None:
    keys = [dedup_keys(*stories[0]) for stories in STORIES.values()]
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            assert similarity(a.signature, b.signature) < 0.1


def test_two_who_dengue_statements_are_not_duplicates() -> None:
    first = dedup_keys(
        "WHO statement on dengue in the Western Pacific",
        "WHO is concerned about the rise in dengue cases in the Western Pacific Region. "
        "Countries should strengthen surveillance, vector control and clinical management, "
        "and communities should remove standing water where mosquitoes breed.",
    )
    second = dedup_keys(
        "WHO statement on dengue vaccination",
        "WHO recommends the use of the dengue vaccine in children aged 6 to 16 in settings "
        "with high transmission intensity, alongside surveillance and vector control. "
        "Countries should plan introduction with their national immunization advisory groups.",
    )
    assert not is_near_duplicate(first, second)


def test_exact_repost_matches_by_content_hash() -> None:
    title, text = STORIES["ko"][0]
    a = dedup_keys(title, text)
    b = dedup_keys(title + "!", "  " + text.replace(" ", "  "))
    assert a.content_hash == b.content_hash
    assert a == b
    assert is_near_duplicate(a, b)


def test_keys_shape_and_determinism() -> None:
    keys = dedup_keys(*STORIES["en"][0])
    assert len(keys.signature) == NUM_PERMUTATIONS
    assert len(keys.bands) == BANDS
    assert [b[:4] for b in keys.bands] == [f"b{i:02d}:" for i in range(BANDS)]
    assert all(len(b) == 4 + 16 for b in keys.bands)
    # Same keys in a fresh interpreter with a different hash seed.
    code = (
        "from monitor.ingest.dedup import dedup_keys;"
        "import sys; k = dedup_keys(sys.argv[1], sys.argv[2]); print(k.bands[0], k.signature[:3])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, *STORIES["en"][0]],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{keys.bands[0]} {keys.signature[:3]}\n"}


def test_empty_and_tiny_texts() -> None:
    empty = dedup_keys("", "")
    assert empty == DedupKeys(content_hash("", ""), (), ())
    assert similarity(empty.signature, empty.signature) == 0.0
    tiny = dedup_keys("AI", "")
    assert len(tiny.signature) == NUM_PERMUTATIONS
    assert similarity(tiny.signature, dedup_keys("ai", "").signature) == 1.0


def test_similarity_of_mismatched_signatures_is_zero() -> None:
    assert similarity((1, 2, 3), (1, 2)) == 0.0
    assert similarity((1, 2, 3, 4), (1, 2, 0, 0)) == 0.5


def test_demo_feeds_carry_one_near_duplicate_and_one_repost() -> None:
    from datetime import UTC, datetime

    from monitor.ingest.parse import parse_feed

    demo = ROOT / "monitor" / "demo_feeds"
    items = []
    for name in ("mohw-ko.xml", "yna-health-ko.xml", "asia-health-news.xml"):
        parsed = parse_feed(
            (demo / name).read_bytes(),
            {},
            feed_url=f"http://127.0.0.1/{name}",
            language_hint=None,
            now=datetime(2025, 6, 1, tzinfo=UTC),
        )
        items.extend(parsed.items)
    keys = [dedup_keys(i.title, i.text) for i in items]
    pairs = [
        (items[a].url, items[b].url, keys[a].content_hash == keys[b].content_hash)
        for a in range(len(items))
        for b in range(a + 1, len(items))
        if is_near_duplicate(keys[a], keys[b])
    ]
    assert pairs == [
        (
            "http://demo.invalid/mohw/press/view?seq=1042",
            "http://demo.invalid/yna/view/AKR20250527051200017",
            False,
        ),
        (
            "http://demo.invalid/ahn/2025/05/23/korea-asean-digital-health",
            "http://demo.invalid/ahn/2025/05/24/korea-asean-digital-health-2",
            True,
        ),
    ]
