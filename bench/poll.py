"""Benchmark of one poll round: fetch and parse N feeds cold, then poll them warm (304).

Not a test: run it and read the figures.

    python bench/poll.py [--feeds 2000] [--concurrency 50] [--per-host 4] [--hosts 25]

A separate server *process* (asyncio, HTTP/1.1 keep-alive, ETag-aware) serves
N distinct generated RSS feeds of 20-40 KB, 20-40 items each, in English,
Korean, Chinese, Japanese, Indonesian, Vietnamese and Thai, some in legacy
charsets (EUC-KR, GB18030, Shift_JIS, TIS-620). The feeds are spread over
``--hosts`` ports of 127.0.0.1, each port standing for one site, so the
fetcher's per-origin limit applies as it would across real sites.

The client is the production `monitor.ingest.fetch.Fetcher` (its default limits
unless overridden); bodies are parsed beside the event loop in a process
pool sized to the cores with `monitor.ingest.parse.parse_feed` (the pipeline's
parser), falling back to bare feedparser when that module is missing.

Passes:

* cold: fetch every feed (200) and parse it, counting items;
* warm: fetch every feed again with its validators: all 304, nothing to parse;
* fetch only: fetch every feed unconditionally without parsing (how much of
  the cold pass is network and how much parsing).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from typing import Any
from xml.sax.saxutils import escape

from monitor.ingest.fetch import DEFAULT_LIMITS, Fetcher, FetchLimits
from monitor.models import FetchResult

USER_AGENT = "health-coop-monitor-bench/0.1 (+https://example.org/monitor; benchmark)"
SEED = 20240601
MIN_BYTES, MAX_BYTES = 20_000, 40_000
MIN_ITEMS, MAX_ITEMS = 20, 40
LEGACY_SHARE = 0.25  # share of ko/zh/ja/th feeds served in their legacy charset

# --- feed generation ----------------------------------------------------------

SENTENCES: dict[str, list[str]] = {
    "en": [
        "The Ministry of Health signed a memorandum of understanding on digital health.",
        "WHO and the government launched a joint programme against antimicrobial resistance.",
        "Hospitals in the capital reported a rise in dengue cases this week.",
        "Ministers met to discuss universal health coverage and primary care financing.",
        "A training programme for nurses from partner countries opened on Monday.",
        "The new vaccine plant will supply the region from next year.",
        "Officials warned that mental health services remain underfunded.",
        "The pilot project uses artificial intelligence to screen for tuberculosis.",
    ],
    "ko": [
        "보건복지부는 인도네시아 보건부와 디지털 헬스 협력 양해각서를 체결했다.",
        "세계보건기구와 정부는 항생제 내성 대응을 위한 공동 사업을 시작했다.",
        "이번 주 수도권 병원에서 뎅기열 환자가 늘었다고 보고했다.",
        "양국 장관은 보편적 건강보장과 일차 의료 재정에 대해 논의했다.",
        "협력국 간호사를 위한 연수 프로그램이 월요일에 시작되었다.",
        "새 백신 공장은 내년부터 지역에 백신을 공급할 예정이다.",
        "정신건강 서비스 예산이 여전히 부족하다는 지적이 나왔다.",
        "시범 사업은 인공지능을 이용해 결핵을 선별한다.",
    ],
    "zh": [
        "国家卫生健康委员会与印度尼西亚卫生部签署了数字健康合作谅解备忘录。",
        "世界卫生组织与政府启动了应对抗微生物药物耐药性的联合项目。",
        "首都医院本周报告登革热病例有所增加。",
        "两国部长讨论了全民健康覆盖和基层医疗筹资问题。",
        "面向合作国家护士的培训项目于周一开班。",
        "新的疫苗工厂将从明年起向本地区供应疫苗。",
        "官员警告心理健康服务仍然资金不足。",
        "试点项目利用人工智能筛查结核病。",
    ],
    "ja": [
        "厚生労働省はインドネシア保健省とデジタルヘルス協力の覚書に署名した。",
        "世界保健機関と政府は薬剤耐性対策の共同事業を開始した。",
        "首都圏の病院では今週デング熱の患者が増加したと報告された。",
        "両国の大臣はユニバーサル・ヘルス・カバレッジについて協議した。",
        "協力国の看護師を対象とした研修が月曜日に始まった。",
        "新しいワクチン工場は来年から地域にワクチンを供給する。",
        "当局は精神保健サービスの予算が依然として不足していると警告した。",
        "試験事業では人工知能を用いて結核を検診する。",
    ],
    "id": [
        "Kementerian Kesehatan menandatangani nota kesepahaman tentang kesehatan digital.",
        "WHO dan pemerintah meluncurkan program bersama melawan resistansi antimikroba.",
        "Rumah sakit di ibu kota melaporkan kenaikan kasus demam berdarah minggu ini.",
        "Para menteri membahas jaminan kesehatan semesta dan pembiayaan layanan primer.",
        "Program pelatihan bagi perawat dari negara mitra dibuka pada hari Senin.",
        "Pabrik vaksin baru akan memasok kawasan mulai tahun depan.",
    ],
    "vi": [
        "Bộ Y tế đã ký biên bản ghi nhớ hợp tác về y tế số với Hàn Quốc.",
        "WHO và Chính phủ khởi động chương trình chung chống kháng thuốc kháng sinh.",
        "Các bệnh viện ở thủ đô ghi nhận số ca sốt xuất huyết tăng trong tuần này.",
        "Các bộ trưởng thảo luận về bao phủ y tế toàn dân và tài chính y tế cơ sở.",
        "Chương trình đào tạo điều dưỡng cho các nước đối tác khai giảng vào thứ Hai.",
        "Nhà máy vắc xin mới sẽ cung cấp cho khu vực từ năm sau.",
    ],
    "th": [
        "กระทรวงสาธารณสุขลงนามบันทึกความเข้าใจด้านสุขภาพดิจิทัลกับเกาหลี",
        "องค์การอนามัยโลกและรัฐบาลเริ่มโครงการร่วมต่อต้านเชื้อดื้อยา",
        "โรงพยาบาลในเมืองหลวงรายงานผู้ป่วยไข้เลือดออกเพิ่มขึ้นในสัปดาห์นี้",
        "รัฐมนตรีหารือเรื่องหลักประกันสุขภาพถ้วนหน้าและการเงินระบบบริการปฐมภูมิ",
        "โครงการฝึกอบรมพยาบาลจากประเทศคู่ร่วมมือเปิดในวันจันทร์",
        "โรงงานวัคซีนแห่งใหม่จะส่งวัคซีนให้ภูมิภาคตั้งแต่ปีหน้า",
    ],
}
LANGUAGES = list(SENTENCES)
TEXT = "\x00TEXT\x00"
STATS_PATH = b"/stats/connections"
LEGACY_CHARSETS = {"ko": "euc-kr", "zh": "gb18030", "ja": "shift_jis", "th": "tis-620"}


@dataclass(frozen=True)
class Feed:
    """A generated feed as the server sends it."""

    path: bytes
    body: bytes
    gzipped: bytes
    content_type: bytes
    etag: bytes
    last_modified: bytes
    items: int


def make_feed(index: int, rng: random.Random, now: datetime) -> Feed:
    """A realistic RSS 2.0 feed of MIN_BYTES..MAX_BYTES with MIN_ITEMS..MAX_ITEMS items."""
    lang = LANGUAGES[index % len(LANGUAGES)]
    charset = "utf-8"
    if lang in LEGACY_CHARSETS and rng.random() < LEGACY_SHARE:
        charset = LEGACY_CHARSETS[lang]
    target = rng.randint(MIN_BYTES, MAX_BYTES)
    n_items = rng.randint(MIN_ITEMS, MAX_ITEMS)
    pool = SENTENCES[lang]
    site = f"https://news{index % 97}.example.org"
    head = (
        f'<?xml version="1.0" encoding="{charset}"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{escape(pool[0][:40])} — feed {index}</title>\n<link>{site}/</link>\n"
        f"<description>Health news feed {index}</description>\n<language>{lang}</language>\n"
    )
    tail = "</channel>\n</rss>\n"
    per_item = (target - len(head.encode(charset, "xmlcharrefreplace")) - len(tail)) // n_items
    items: list[str] = []
    for n in range(n_items):
        published = now - timedelta(minutes=37 * n + index % 60)
        link = f"{site}/{published:%Y/%m/%d}/story-{index}-{n}.html"
        title = escape(rng.choice(pool))
        shell = (  # TEXT stands for the description, filled in below
            f"<item>\n<title>{title}</title>\n<link>{link}</link>\n"
            f'<guid isPermaLink="false">urn:bench:{index}:{n}</guid>\n'
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>\n"
            f"<category>health</category>\n<description><![CDATA[<p>{TEXT}</p>]]></description>\n"
            "</item>\n"
        )
        budget = per_item - len(shell.encode(charset, "xmlcharrefreplace"))
        text: list[str] = []
        size = 0
        while size < budget:
            sentence = rng.choice(pool)
            text.append(sentence)
            size += len(sentence.encode(charset, "xmlcharrefreplace")) + 1
        items.append(shell.replace(TEXT, " ".join(text)))
    body = (head + "".join(items) + tail).encode(charset, "xmlcharrefreplace")
    return Feed(
        path=f"/feeds/{index}.xml".encode(),
        body=body,
        gzipped=gzip.compress(body, compresslevel=6),
        content_type=f"application/rss+xml; charset={charset}".encode(),
        etag=b'"%08x"' % zlib.crc32(body),
        last_modified=format_datetime(now - timedelta(hours=index % 24), usegmt=True).encode(),
        items=n_items,
    )


# --- the server process -------------------------------------------------------


class FeedProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server for GET, answering 304 on a matching ETag."""

    connections = 0  # accepted so far, in this process: shows how well keep-alive works

    def __init__(self, feeds: dict[bytes, Feed], use_gzip: bool) -> None:
        self._feeds = feeds
        self._gzip = use_gzip
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        FeedProtocol.connections += 1

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            request_line, *header_lines = head.split(b"\r\n")
            _method, target, _version = request_line.split(b" ", 2)
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            self._transport.write(self._respond(target, headers))
            if headers.get(b"connection", b"").lower() == b"close":
                self._transport.close()
                return

    def _respond(self, target: bytes, headers: dict[bytes, bytes]) -> bytes:
        if target == STATS_PATH:
            body = b"%d" % FeedProtocol.connections
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        feed = self._feeds.get(target)
        if feed is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        validators = b"ETag: %s\r\nLast-Modified: %s\r\n" % (feed.etag, feed.last_modified)
        if headers.get(b"if-none-match") == feed.etag:
            return b"HTTP/1.1 304 Not Modified\r\n" + validators + b"\r\n"
        body, encoding = feed.body, b""
        if self._gzip and b"gzip" in headers.get(b"accept-encoding", b""):
            body, encoding = feed.gzipped, b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
        return b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s%s\r\n%s" % (
            feed.content_type,
            len(body),
            validators,
            encoding,
            body,
        )


def serve(n_feeds: int, n_hosts: int, use_gzip: bool, conn: Connection) -> None:
    """Server process: generate the feeds, listen on n_hosts ports, report, serve until told."""
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    feeds = [make_feed(i, rng, now) for i in range(n_feeds)]
    by_path = {f.path: f for f in feeds}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [
            await loop.create_server(
                lambda: FeedProtocol(by_path, use_gzip), "127.0.0.1", 0, backlog=1024
            )
            for _ in range(n_hosts)
        ]
        ports = [s.sockets[0].getsockname()[1] for s in servers]
        conn.send(
            {
                "ports": ports,
                "items": sum(f.items for f in feeds),
                "bytes": sum(len(f.body) for f in feeds),
                "gzip_bytes": sum(len(f.gzipped) for f in feeds),
                "legacy": sum(b"charset=utf-8" not in f.content_type for f in feeds),
            }
        )
        stop = asyncio.Event()
        loop.add_reader(conn.fileno(), stop.set)
        await stop.wait()
        loop.remove_reader(conn.fileno())
        for s in servers:
            s.close()

    asyncio.run(main())
    conn.recv()
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- parsing in worker processes ---------------------------------------------

try:
    from monitor.ingest.parse import parse_feed
except ImportError:  # the pipeline's parser is not there yet
    PARSER = "feedparser"
else:
    PARSER = "monitor.ingest.parse.parse_feed"


def parse_body(content: bytes, headers: dict[str, str], url: str) -> object:
    """Parse one body as the pipeline does; returns what it would get back."""
    if PARSER == "feedparser":
        import feedparser

        parsed = feedparser.parse(content, response_headers=headers)
        return [(e.get("title"), e.get("link"), e.get("id")) for e in parsed.entries]
    return parse_feed(content, headers, feed_url=url, language_hint=None, now=datetime.now(UTC))


def count_items(parsed: object) -> int:
    items = getattr(parsed, "items", parsed)
    assert isinstance(items, (list, tuple))
    return len(items)


def warm_up_worker(_: int) -> int:
    return os.getpid()


# --- the client ------------------------------------------------------------------


@dataclass
class PassResult:
    name: str
    seconds: float
    feeds: int
    items: int
    statuses: dict[int, int]
    errors: list[str]
    latencies: list[float]
    connections: int = 0  # opened by the server during the pass

    def report(self) -> str:
        rate = self.feeds / self.seconds if self.seconds else float("inf")
        lines = [
            f"{self.name:<11} {self.seconds:7.2f} s  {rate:8.1f} feeds/s"
            + (
                f"  {self.items / self.seconds:9.0f} items/s ({self.items} items)"
                if self.items
                else ""
            )
        ]
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        lat = sorted(self.latencies)
        if lat:
            p50 = statistics.median(lat) * 1000
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            lines.append(
                f"{'':<11} statuses {{{statuses}}}  request p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                f"  {self.connections} connections opened"
            )
        if self.errors:
            lines.append(f"{'':<11} {len(self.errors)} errors, first: {self.errors[0]}")
        return "\n".join(lines)


async def run_pass(
    name: str,
    fetcher: Fetcher,
    urls: list[str],
    validators: dict[str, tuple[str | None, str | None]] | None,
    pool: ProcessPoolExecutor | None,
) -> tuple[PassResult, dict[str, tuple[str | None, str | None]]]:
    loop = asyncio.get_running_loop()
    statuses: dict[int, int] = {}
    errors: list[str] = []
    latencies: list[float] = []
    seen: dict[str, tuple[str | None, str | None]] = {}
    items = 0

    async def one(url: str) -> None:
        nonlocal items
        etag, last_modified = (validators or {}).get(url, (None, None))
        try:
            result: FetchResult = await fetcher.fetch(url, etag=etag, last_modified=last_modified)
        except Exception as exc:  # a benchmark counts failures
            errors.append(str(exc))
            return
        statuses[result.status] = statuses.get(result.status, 0) + 1
        latencies.append(result.elapsed_s)
        seen[url] = (result.etag, result.last_modified)
        if pool is not None and result.status == 200:
            parsed = await loop.run_in_executor(
                pool, parse_body, result.content, result.headers, result.url
            )
            items += count_items(parsed)

    started = time.perf_counter()
    await asyncio.gather(*(one(url) for url in urls))
    seconds = time.perf_counter() - started
    return PassResult(name, seconds, len(urls), items, statuses, errors, latencies), seen


async def run_client(
    args: argparse.Namespace, ports: list[int], pool: ProcessPoolExecutor
) -> list[PassResult]:
    urls = [f"http://127.0.0.1:{ports[i % len(ports)]}/feeds/{i}.xml" for i in range(args.feeds)]
    limits = FetchLimits(max_connections=args.concurrency, max_per_host=args.per_host)
    stats_url = f"http://127.0.0.1:{ports[0]}{STATS_PATH.decode()}"
    async with Fetcher(user_agent=USER_AGENT, limits=limits) as fetcher:

        async def connections() -> int:
            return int((await fetcher.fetch(stats_url)).content)

        results = []
        validators = None
        for name, use_validators, use_pool in [
            ("cold", False, True),
            ("warm (304)", True, False),
            ("fetch only", False, False),
        ]:
            before = await connections()
            result, seen = await run_pass(
                name,
                fetcher,
                urls,
                validators if use_validators else None,
                pool if use_pool else None,
            )
            result.connections = await connections() - before
            validators = validators or seen
            results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000, help="number of feeds (default 2000)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_LIMITS.max_connections,
        help=f"max connections (default {DEFAULT_LIMITS.max_connections}, as in production)",
    )
    parser.add_argument(
        "--per-host",
        type=int,
        default=DEFAULT_LIMITS.max_per_host,
        help=f"max requests in flight per origin (default {DEFAULT_LIMITS.max_per_host})",
    )
    parser.add_argument("--hosts", type=int, default=25, help="origins (ports) serving the feeds")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parser processes (default: cores)"
    )
    parser.add_argument("--gzip", action="store_true", help="serve gzip-compressed bodies")
    args = parser.parse_args(argv)

    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    generating = time.perf_counter()
    server = ctx.Process(target=serve, args=(args.feeds, args.hosts, args.gzip, child_conn))
    server.start()
    info: dict[str, Any] = parent_conn.recv()
    generated_s = time.perf_counter() - generating

    pool = ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx)
    try:
        list(pool.map(warm_up_worker, range(args.workers * 2)))  # start workers before timing
        results = asyncio.run(run_client(args, info["ports"], pool))
    finally:
        pool.shutdown()
        parent_conn.send("stop")
        server_rss_kb = parent_conn.recv()
        server.join()

    print(
        f"{args.feeds} feeds on {args.hosts} origins at 127.0.0.1 "
        f"({info['bytes'] / 1e6:.1f} MB, {info['bytes'] / args.feeds / 1000:.1f} KB/feed, "
        f"{info['items']} items, {info['legacy']} in legacy charsets"
        + (f", gzip {info['gzip_bytes'] / 1e6:.1f} MB" if args.gzip else "")
        + f"; generated in {generated_s:.1f} s)"
    )
    print(
        f"client: Fetcher max_connections={args.concurrency} max_per_host={args.per_host}; "
        f"parser {PARSER} in {args.workers} worker processes; {os.cpu_count()} cores; "
        f"Python {sys.version.split()[0]}"
    )
    for result in results:
        print(result.report())
    if results[0].items != info["items"]:
        print(f"WARNING: parsed {results[0].items} items of {info['items']} served")
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"peak RSS: client {self_kb / 1024:.0f} MB; largest child {children_kb / 1024:.0f} MB "
        f"(server process {server_rss_kb / 1024:.0f} MB, holding all feeds)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
