# ruff: noqa: E501
"""Write the golden feed fixtures of tests/data in their real (legacy) encodings.

Run from the repository root: ``python tests/data/make_fixtures.py``. The
expected items are written by ``UPDATE_GOLDEN=1 pytest tests/test_ingest_parse.py``
and then checked by eye. All stories are fictional.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent

WHO_RSS_EN = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>WHO Western Pacific &#8211; News releases</title>
  <link>https://www.who.int/westernpacific/news</link>
  <description>News releases from the WHO Regional Office for the Western Pacific</description>
  <language>en-us</language>
  <item>
    <title>WHO and Viet Nam launch national action plan on antimicrobial resistance</title>
    <link>https://www.who.int/westernpacific/news/item/20-05-2025-who-and-viet-nam-amr?utm_source=rss&amp;utm_medium=feed</link>
    <guid isPermaLink="false">wpro-news-2025-0520-amr-vn</guid>
    <pubDate>Tue, 20 May 2025 03:00:00 GMT</pubDate>
    <dc:creator>WHO WPRO</dc:creator>
    <description><![CDATA[<p>Ha Noi, 20 May 2025 &ndash; The Ministry of Health of Viet Nam and the World Health Organization today launched the second <strong>National Action Plan on Antimicrobial Resistance</strong>.</p>]]></description>
    <content:encoded><![CDATA[<p>Ha Noi, 20 May 2025 &ndash; The Ministry of Health of Viet Nam and the World Health Organization today launched the second <strong>National Action Plan on Antimicrobial Resistance</strong> (2025&ndash;2030).</p>
<p>The plan strengthens laboratory surveillance in 40 provincial hospitals, with support from the Government of Japan and the Fleming Fund.</p>
<figure><img src="/images/amr.jpg" alt="Laboratory staff"/><figcaption>Laboratory staff in Ha Noi.</figcaption></figure>
<script>trackView("amr")</script>]]></content:encoded>
  </item>
  <item>
    <title>Regional Committee to discuss healthy ageing &amp; long-term care</title>
    <link>https://www.who.int/westernpacific/news/item/12-05-2025-rc-ageing#top</link>
    <guid isPermaLink="true">https://www.who.int/westernpacific/news/item/12-05-2025-rc-ageing</guid>
    <pubDate>Mon, 12 May 2025 09:30:00 +0800</pubDate>
    <description>Member States of the Western Pacific will review a framework on
      healthy   ageing, integrated care and dementia at the 76th session.</description>
  </item>
  <item>
    <title>Statement on a date typed in the future</title>
    <link>https://www.who.int/westernpacific/news/item/future</link>
    <pubDate>Fri, 01 Jan 2027 00:00:00 GMT</pubDate>
    <description>This item's date is more than a day ahead and must come out as null.</description>
  </item>
</channel>
</rss>
"""

MOHW_ATOM_KO = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko-KR">
  <title>보건복지부 보도자료</title>
  <id>tag:mohw.example,2025:press</id>
  <updated>2025-05-28T09:00:00+09:00</updated>
  <link rel="self" href="/press/atom.xml"/>
  <entry>
    <title>한·중·일 보건장관회의, 인공지능과 정신건강 협력 공동성명 채택</title>
    <id>tag:mohw.example,2025:press/1042</id>
    <link rel="alternate" href="/press/view/1042?page=1&amp;utm_campaign=atom"/>
    <published>2025-05-28T09:00:00+09:00</published>
    <updated>2025-05-28T10:15:00+09:00</updated>
    <summary>제17차 한·중·일 보건장관회의가 서울에서 열렸다.</summary>
    <content type="html">&lt;p&gt;보건복지부는 28일 서울에서 제17차 한·중·일 보건장관회의를 개최하고 &lt;b&gt;인공지능(AI)&lt;/b&gt;의 보건의료 활용과 정신건강 증진을 위한 공동성명을 채택했다고 밝혔다.&lt;/p&gt;&lt;p&gt;3국은 고립·은둔 청년 지원 경험을 공유하기로 했다.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title type="html">국민건강보험 보장성 강화 &lt;em&gt;2차&lt;/em&gt; 계획 발표</title>
    <id>tag:mohw.example,2025:press/1039</id>
    <link rel="alternate" href="https://mohw.example/press/view/1039"/>
    <updated>2025-05-26T14:00:00+09:00</updated>
    <summary>필수의료 보장을 확대하는 건강보험 보장성 강화 계획이 발표됐다.</summary>
  </entry>
</feed>
"""

KDCA_RSS_EUCKR = """<?xml version="1.0" encoding="euc-kr"?>
<rss version="2.0">
<channel>
  <title>질병관리청 보도자료</title>
  <link>http://kdca.example/</link>
  <language>ko</language>
  <item>
    <title>질병관리청, 라오스와 뎅기열 감시체계 공동연구 착수</title>
    <link>http://kdca.example/board.es?mid=a20501&amp;list_no=72011&amp;act=view</link>
    <description><![CDATA[<p>질병관리청은 라오스 보건부와 <b>뎅기열 감시</b> 공동연구 협약을 체결했다.</p><p>연구책임자 김똠방 박사는 &quot;양국 협력&quot;을 강조했다.</p>]]></description>
    <pubDate>Thu, 22 May 2025 10:00:00 +0900</pubDate>
    <guid>http://kdca.example/board.es?mid=a20501&amp;list_no=72011&amp;act=view</guid>
  </item>
  <item>
    <title>여름철 식중독 예방 수칙 안내</title>
    <link>http://kdca.example/board.es?mid=a20501&amp;list_no=72005&amp;act=view</link>
    <description>기온이 오르면서 식중독 환자가 늘고 있어 손 씻기 등 예방수칙 준수를 당부했다.</description>
    <pubDate>2025-05-20 09:00:00</pubDate>
  </item>
</channel>
</rss>
"""

NHC_RSS_GB2312 = """<?xml version="1.0" encoding="gb2312"?>
<rss version="2.0">
<channel>
  <title>国家卫生健康委员会 新闻发布</title>
  <link>http://nhc.example/</link>
  <language>zh-cn</language>
  <item>
    <title>中国与东盟举行卫生合作论坛 聚焦传统医药与数字健康</title>
    <link>http://nhc.example/news/2025-05/24/c_1038.htm</link>
    <description><![CDATA[<p>5月24日，第五届中国—东盟卫生合作论坛在广西南宁举行。</p><p>国家卫生健康委副主任王堃出席并致辞，各方同意加强传统医药和数字健康领域合作。</p>]]></description>
    <pubDate>Sat, 24 May 2025 16:30:00 +0800</pubDate>
  </item>
  <item>
    <title>全国启动“体重管理年”活动</title>
    <link>http://nhc.example/news/2025-05/19/c_1021.htm</link>
    <description>国家卫生健康委等16个部门联合启动“体重管理年”活动，倡导健康生活方式。</description>
    <pubDate>Mon, 19 May 2025 08:00:00 +0800</pubDate>
  </item>
</channel>
</rss>
"""

CDC_TW_BIG5 = """<?xml version="1.0" encoding="big5"?>
<rss version="2.0">
<channel>
  <title>衛生福利部疾病管制署 新聞稿</title>
  <link>https://cdc-tw.example/</link>
  <language>zh-TW</language>
  <item>
    <title>臺灣與菲律賓簽署登革熱防治合作備忘錄</title>
    <link>https://cdc-tw.example/Bulletin/Detail/7Xk2?typeid=9</link>
    <description>疾管署今日與菲律賓衛生部簽署登革熱防治合作備忘錄，雙方將交流病媒監測與實驗室診斷經驗。</description>
    <pubDate>Wed, 21 May 2025 15:00:00 +0800</pubDate>
  </item>
  <item>
    <title>國內新增三例麻疹境外移入病例</title>
    <link>https://cdc-tw.example/Bulletin/Detail/7Xj9?typeid=9</link>
    <description>疾管署提醒民眾出國前接種疫苗，返國後如出現發燒、紅疹應儘速就醫。</description>
    <pubDate>Tue, 20 May 2025 14:00:00 +0800</pubDate>
  </item>
</channel>
</rss>
"""

MHLW_RSS_SJIS = """<?xml version="1.0" encoding="Shift_JIS"?>
<rss version="2.0">
<channel>
  <title>厚生労働省 新着情報</title>
  <link>https://mhlw.example/</link>
  <language>ja</language>
  <item>
    <title>日本・フィリピン保健大臣会合 ～ユニバーサル・ヘルス・カバレッジ推進で合意～</title>
    <link>https://mhlw.example/stf/newpage_51234.html</link>
    <description>①UHC推進に向けた人材育成 ②医療機器の承認手続の協力について、両国の大臣が署名しました。㈱などの民間企業も参加予定です。</description>
    <pubDate>Fri, 23 May 2025 17:00:00 +0900</pubDate>
  </item>
  <item>
    <title>介護人材確保に向けた処遇改善について</title>
    <link>https://mhlw.example/stf/newpage_51199.html</link>
    <description>高齢化の進展に伴い、介護職員の処遇改善加算を見直します。</description>
    <pubDate>Wed, 21 May 2025 10:00:00 +0900</pubDate>
  </item>
</channel>
</rss>
"""

MOPH_RSS_TIS620 = """<?xml version="1.0" encoding="TIS-620"?>
<rss version="2.0">
<channel>
  <title>กระทรวงสาธารณสุข ข่าวประชาสัมพันธ์</title>
  <link>https://moph.example/</link>
  <language>th-TH</language>
  <item>
    <title>ไทยและลาวร่วมมือเฝ้าระวังไข้เลือดออกตามแนวชายแดน</title>
    <link>https://moph.example/news/2025/05/27/dengue-lao</link>
    <description>กระทรวงสาธารณสุขไทยและกระทรวงสาธารณสุขลาวลงนามบันทึกความเข้าใจว่าด้วยการเฝ้าระวังโรคไข้เลือดออกร่วมกันในจังหวัดชายแดน</description>
    <pubDate>Tue, 27 May 2025 11:00:00 +0700</pubDate>
  </item>
  <item>
    <title>รณรงค์ลดการบริโภคเกลือและโซเดียม</title>
    <link>https://moph.example/news/2025/05/25/salt</link>
    <description>กรมอนามัยชวนคนไทยลดเค็ม ลดโรคไม่ติดต่อเรื้อรัง เช่น ความดันโลหิตสูงและโรคไต</description>
    <pubDate>Sun, 25 May 2025 08:00:00 +0700</pubDate>
  </item>
</channel>
</rss>
"""

NIKKEI_RDF_JA = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://health-news.example/rss">
    <title>ヘルスニュース</title>
    <link>https://health-news.example/</link>
    <description>医療・健康のニュース</description>
    <dc:language>ja</dc:language>
    <items><rdf:Seq>
      <rdf:li rdf:resource="https://health-news.example/articles/2025052601"/>
      <rdf:li rdf:resource="https://health-news.example/articles/2025052502"/>
    </rdf:Seq></items>
  </channel>
  <item rdf:about="https://health-news.example/articles/2025052601">
    <title>日韓、AIによる画像診断の共同研究で合意</title>
    <link>https://health-news.example/articles/2025052601</link>
    <description>日本と韓国の研究機関が、AIを活用した画像診断の共同研究を始める。</description>
    <dc:date>2025-05-26T12:00:00+09:00</dc:date>
  </item>
  <item rdf:about="https://health-news.example/articles/2025052502">
    <title>認知症の早期発見へ　自治体で検診拡大</title>
    <link>https://health-news.example/articles/2025052502</link>
    <description>認知症の早期発見を目指し、検診を実施する自治体が増えている。</description>
    <dc:date>2025-05-25T08:30:00+09:00</dc:date>
  </item>
</rdf:RDF>
"""

VN_JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Bộ Y tế - Tin tức",
    "home_page_url": "https://moh-vn.example/",
    "feed_url": "https://moh-vn.example/feed.json",
    "language": "vi-VN",
    "items": [
        {
            "id": "https://moh-vn.example/tin-tuc/hop-tac-y-te-viet-nam-han-quoc-123",
            "url": "https://moh-vn.example/tin-tuc/hop-tac-y-te-viet-nam-han-quoc-123",
            "title": "Việt Nam và Hàn Quốc ký kết hợp tác đào tạo nhân lực y tế",
            "content_html": (
                "<p>Ngày 26/5, Bộ Y tế Việt Nam và Bộ Y tế và Phúc lợi Hàn Quốc đã ký "
                "biên bản ghi nhớ về <strong>đào tạo nhân lực y tế</strong>.</p>"
                "<p>Hai bên sẽ trao đổi 200 bác sĩ và điều dưỡng trong ba năm.</p>"
            ),
            "summary": "Việt Nam và Hàn Quốc ký biên bản ghi nhớ về đào tạo nhân lực y tế.",
            "date_published": "2025-05-26T10:00:00+07:00",
        },
        {
            "id": 457,
            "url": "/tin-tuc/tiem-chung-mo-rong-457",
            "title": "Tăng cường tiêm chủng mở rộng cho trẻ em",
            "content_text": "Bộ Y tế yêu cầu các địa phương  đẩy nhanh tiến độ tiêm chủng\nmở rộng.",
            "date_published": "2025-05-24T08:00:00Z",
        },
        {
            "id": "no-date",
            "title": "Thông báo lịch làm việc",
            "content_text": "Lịch làm việc tuần tới của lãnh đạo Bộ.",
            "date_published": "not a date",
        },
    ],
}

ID_RSS_HTML = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>Kemenkes &#8211; Berita Sehat Negeriku</title>
  <link>https://kemkes.example/</link>
  <language>id-ID</language>
  <item>
    <title>Indonesia &#8211; Korea Teken MoU Telekonsultasi Berbasis AI</title>
    <link>https://kemkes.example/berita/indonesia-korea-mou-telekonsultasi-ai/?utm_source=rss&amp;fbclid=IwAR0abc</link>
    <guid isPermaLink="false">https://kemkes.example/?p=51234</guid>
    <pubDate>Thu, 22 May 2025 06:15:42 +0000</pubDate>
    <description><![CDATA[<div class="wp-block"><img width="300" height="200" src="https://kemkes.example/wp-content/uploads/mou.jpg" class="attachment-medium" alt="" />
<p>Jakarta, 22 Mei 2025&nbsp;&#8212; Kementerian Kesehatan RI dan Kementerian Kesehatan dan Kesejahteraan Korea menandatangani nota kesepahaman (MoU) tentang <a href="https://kemkes.example/tag/telemedisin">telekonsultasi</a> berbasis kecerdasan buatan (AI) untuk puskesmas di daerah terpencil.</p>
<p>&#8220;Kerja sama ini membantu dokter di 3T&#8221;, kata Menkes. Kemenkes &#038; mitra lainnya&#8230;</p>
<style>.wp-block{color:red}</style>
<p>The post <a href="https://kemkes.example/berita/x/">Indonesia &#8211; Korea Teken MoU</a> appeared first on <a href="https://kemkes.example">Sehat Negeriku</a>.</p></div>]]></description>
  </item>
  <item>
    <title><![CDATA[Cakupan Imunisasi Dasar Lengkap Naik &amp; Stunting Turun]]></title>
    <link>https://kemkes.example/berita/imunisasi-stunting/</link>
    <pubDate>Tue, 20 May 2025 02:00:00 +0000</pubDate>
    <description>&lt;ul&gt;&lt;li&gt;Imunisasi dasar lengkap: 92%&lt;/li&gt;&lt;li&gt;Prevalensi stunting: 19,8%&lt;/li&gt;&lt;/ul&gt;</description>
  </item>
</channel>
</rss>
"""

NO_LINKS_NO_DATES = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Ministry bulletin (plain)</title>
  <link>http://bulletin.example/</link>
  <item>
    <title>Health ministers of ASEAN agree on a regional vaccine stockpile</title>
    <description>The ministers agreed to study a shared stockpile of vaccines.</description>
  </item>
  <item>
    <title>Weekly influenza situation report</title>
    <description>Influenza-like illness remained below the seasonal threshold.</description>
    <pubDate>sometime last week</pubDate>
  </item>
  <item>
    <title></title>
    <description>   </description>
  </item>
  <item>
    <description>An entry with a description but no title.</description>
  </item>
</channel>
</rss>
"""

TRUNCATED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Philippine DOH press releases</title>
  <link>https://doh.example/</link>
  <language>en-PH</language>
  <item>
    <title>DOH, JICA open maternal care wing in Cebu</title>
    <link>https://doh.example/press-release/doh-jica-maternal-care-wing</link>
    <description>The Department of Health and JICA opened a new maternal and newborn care wing.</description>
    <pubDate>Mon, 26 May 2025 09:00:00 +0800</pubDate>
  </item>
  <item>
    <title>Measles vaccination drive reaches 1 million children</title>
    <link>https://doh.example/press-release/measles-drive</link>
    <description>The nationwide catch-up campaign passed one million children vaccinated.</description>
    <pubDate>Sun, 25 May 2025 09:00:00 +0800</pubDate>
  </item>
  <item>
    <title>DOH warns against heat str"""

WRONG_HEADER_EUCKR = """<?xml version="1.0" encoding="euc-kr"?>
<rss version="2.0">
<channel>
  <title>연합 보건 뉴스</title>
  <link>http://yna-health.example/</link>
  <item>
    <title>한-아세안 디지털헬스 협력 포럼 개최</title>
    <link>http://yna-health.example/view/AKR20250527000100017</link>
    <description>(서울=연합뉴스) 한국과 아세안 10개국이 디지털헬스 협력 포럼을 열고 원격의료 시범사업을 논의했다.</description>
    <pubDate>Tue, 27 May 2025 15:20:00 +0900</pubDate>
  </item>
</channel>
</rss>
"""


def write(name: str, text: str, encoding: str) -> None:
    """Write one fixture in its encoding (strict: every character must fit)."""
    (HERE / name).write_bytes(text.encode(encoding))


def main() -> None:
    """Write every fixture."""
    write("who_rss_en.xml", WHO_RSS_EN, "utf-8")
    write("mohw_atom_ko.xml", MOHW_ATOM_KO, "utf-8")
    # Declared EUC-KR, written as CP949 (its superset, as Korean sites do): 똠 is CP949-only.
    write("kdca_rss_euckr.xml", KDCA_RSS_EUCKR, "cp949")
    # Declared GB2312, written as GBK: 堃 is outside GB2312.
    write("nhc_rss_gb2312.xml", NHC_RSS_GB2312, "gbk")
    write("cdc_tw_big5.xml", CDC_TW_BIG5, "big5")
    # Declared Shift_JIS, written as CP932: ①, ㈱ and ～ (U+FF5E) are Windows extensions.
    write("mhlw_rss_sjis.xml", MHLW_RSS_SJIS, "cp932")
    write("moph_rss_tis620.xml", MOPH_RSS_TIS620, "tis-620")
    write("health_news_rdf_ja.xml", NIKKEI_RDF_JA, "utf-8")
    (HERE / "moh_vn_jsonfeed.json").write_text(
        json.dumps(VN_JSON_FEED, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    write("kemkes_rss_id_html.xml", ID_RSS_HTML, "utf-8")
    write("no_links_no_dates.xml", NO_LINKS_NO_DATES, "utf-8")
    write("truncated.xml", TRUNCATED, "utf-8")
    write("wrong_header_euckr.xml", WRONG_HEADER_EUCKR, "euc-kr")


if __name__ == "__main__":
    main()
