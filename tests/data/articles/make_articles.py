# ruff: noqa: E501
"""Write the article pages of tests/data/articles (fictional), in their real encodings.

Run from the repository root: ``python tests/data/articles/make_articles.py``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

KOREAN_EUCKR = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="ko">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=euc-kr" />
<title>한·인니, AI 원격협진 양해각서 체결 : 보건뉴스</title>
<script type="text/javascript">var _gaq = _gaq || []; _gaq.push(['_trackPageview']);</script>
</head>
<body>
<div id="gnb"><ul><li><a href="/">홈</a></li><li><a href="/politics">정치</a></li><li><a href="/economy">경제</a></li><li><a href="/health">보건·의료</a></li><li><a href="/login">로그인</a></li></ul></div>
<div class="ad_top"><a href="/ad">[광고] 건강검진 특가 이벤트</a></div>
<div id="articleBody" class="article_view">
<h3 class="tit">한·인니, AI 원격협진 양해각서 체결…도서지역 보건소 20곳 시범사업</h3>
<p class="info">입력 2025.05.27 10:15 | 기자 김똠방</p>
<p>보건복지부는 인도네시아 보건부와 인공지능(AI) 기반 원격협진 시범사업에 관한 양해각서(MOU)를 체결했다고 27일 밝혔다.</p>
<p>양국은 인도네시아 동누사틍가라주와 말루쿠주의 도서 지역 보건소 20곳에서 2년간 시범사업을 진행한다. 한국 의료진은 현지 의사에게 흉부 엑스레이 영상 판독과 진료 자문을 제공하고, 인공지능 판독 보조 소프트웨어를 함께 보급한다.</p>
<p>복지부 관계자는 "의료 취약지의 진료 공백을 줄이는 데 양국의 경험을 모으겠다"며 "시범사업 결과를 바탕으로 아세안 국가로 협력을 넓혀 나가겠다"고 말했다.</p>
<p>이번 협약은 지난해 열린 한-인도네시아 보건장관회의의 후속 조치로, 두 나라는 보건의료 인력 연수와 의료기기 인허가 협력도 함께 논의하고 있다.</p>
</div>
<div class="related"><h4>관련기사</h4><ul><li><a href="/1">반도체 수출 3개월 연속 증가</a></li><li><a href="/2">은행권 AI 상담 서비스 확대</a></li></ul></div>
<div id="footer"><p>보건뉴스 | 서울특별시 중구 세종대로 000 | 등록번호 서울 아00000 | 발행인 홍길동</p><p>Copyright ⓒ 보건뉴스. 무단전재 및 재배포 금지</p></div>
</body>
</html>
"""

ENGLISH_BOILERPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Japan and Philippines agree on UHC | Asia Health Times</title>
<script>window.dataLayer = window.dataLayer || [];</script>
<style>body { font-family: sans-serif; }</style>
</head>
<body>
<header>
  <nav class="site-nav"><ul>
    <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
    <li><a href="/health">Health</a></li><li><a href="/subscribe">Subscribe now</a></li>
  </ul></nav>
</header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<main>
<article>
  <h1>Japan and the Philippines agree to deepen cooperation on universal health coverage</h1>
  <p class="byline">By Maria Santos, 23 May 2025</p>
  <p>Health ministers from Japan and the Philippines on Friday signed a memorandum of cooperation to expand primary health care and train health workers, as Manila pushes to implement its Universal Health Care Act nationwide.</p>
  <p>Under the agreement, Japan will support the training of 1,200 nurses and midwives over three years and help set up a referral network linking rural health units with provincial hospitals in the Visayas.</p>
  <p>&ldquo;Universal health coverage is not only about financing; it is about people who can deliver care,&rdquo; the Philippine health secretary said at the signing ceremony in Tokyo.</p>
  <p>The two countries will also work together on medical device regulation, with the aim of shortening approval times for equipment used in primary care.</p>
</article>
</main>
<aside class="most-read"><h3>Most read</h3><ul>
  <li><a href="/a">Stock markets rally on trade deal</a></li>
  <li><a href="/b">AI in banking: what to know</a></li>
</ul></aside>
<footer>
  <p>&copy; 2025 Asia Health Times. All rights reserved.</p>
  <p><a href="/contact">Contact us</a> | <a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p>
</footer>
</body>
</html>
"""

NAVIGATION_ONLY = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Page not found</title></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<footer>&copy; 2025 Ministry of Health</footer></body></html>
"""


def main() -> None:
    """Write every page."""
    # Declared EUC-KR, written as CP949 (똠 is outside EUC-KR), as Korean sites do.
    (HERE / "korean_euckr.html").write_bytes(KOREAN_EUCKR.encode("cp949"))
    (HERE / "english_boilerplate.html").write_bytes(ENGLISH_BOILERPLATE.encode("utf-8"))
    (HERE / "navigation_only.html").write_bytes(NAVIGATION_ONLY.encode("utf-8"))


if __name__ == "__main__":
    main()
