"""monitor.ingest.address_guard: which addresses a feed added from Telegram may use."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest
from feedserver import FeedServer

from monitor.ingest.address_guard import AddressGuard, UnsafeAddressError, address_problem, refused
from monitor.ingest.fetch import Fetcher, FetchLimits

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>one</title><link>https://news.example/1</link></item></channel></rss>"""


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fd12:3456::1", "unique-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("100.64.0.1", "shared"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:c0a8:101::1", "private"),  # 6to4 of 192.168.1.1
        ("240.0.0.1", "reserved"),
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
    ],
)
def test_address_problem(address: str, kind: str | None) -> None:
    assert address_problem(ipaddress.ip_address(address)) == kind


def test_allowance_keeps_metadata_and_multicast_refused() -> None:
    ip = ipaddress.ip_address
    assert refused(ip("10.0.0.1"), allow_private=True) is None
    assert refused(ip("127.0.0.1"), allow_private=True) is None
    assert refused(ip("10.0.0.1"), allow_private=False) == "private"
    assert refused(ip("169.254.169.254"), allow_private=True) == "cloud metadata"
    assert refused(ip("224.0.0.1"), allow_private=True) == "multicast"


def resolver(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return table[host]

    return resolve


async def test_check_url_after_resolution() -> None:
    guard = AddressGuard(
        resolver=resolver(
            {
                "news.example": ["93.184.216.34"],
                "intranet.example": ["93.184.216.34", "10.0.0.5"],  # one bad address is enough
                "metadata.google.internal": ["169.254.169.254"],
                "scoped.example": ["fe80::1%eth0"],
            }
        )
    )
    await guard.check_url("https://news.example/rss.xml")
    for url, reason in [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://[::1]:8080/feed", "loopback"),
        ("http://intranet.example/rss", r"intranet.example \(10.0.0.5\) is a private address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata"),
        ("http://scoped.example/", "link-local"),
        ("http://nowhere.example/", "does not resolve"),
        ("ftp://news.example/", "not an http"),
        ("http://news.example:99999/", "bad port"),
    ]:
        with pytest.raises(UnsafeAddressError, match=reason):
            await guard.check_url(url)
    allowing = AddressGuard(allow_private=True, resolver=resolver({}))
    await allowing.check_url("http://127.0.0.1:8080/feed")
    with pytest.raises(UnsafeAddressError, match="cloud metadata"):
        await allowing.check_url("http://169.254.169.254/latest/meta-data/")


async def test_system_resolver_refuses_localhost() -> None:
    with pytest.raises(UnsafeAddressError, match="loopback"):
        await AddressGuard().check_url("http://localhost:1/")


async def test_every_redirect_is_checked(feed_server: FeedServer) -> None:
    """The first hop looks public (resolver), the redirect goes to 127.0.0.1: refused."""
    feed_server.add("/feed.xml", RSS)
    feed_server.add_redirect("/moved", feed_server.url("/feed.xml"))
    public_looking = feed_server.url("/moved").replace("127.0.0.1", "localhost")
    guard = AddressGuard(resolver=resolver({"localhost": ["93.184.216.34"]}))
    limits = FetchLimits(retries=0)
    async with Fetcher(user_agent="t", limits=limits, on_request=guard.on_request) as fetcher:
        with pytest.raises(UnsafeAddressError, match=r"127\.0\.0\.1 is a loopback address"):
            await fetcher.fetch(public_looking)
    assert feed_server.hits("/moved") == 1  # the first hop was fetched ...
    assert feed_server.hits("/feed.xml") == 0  # ... the private one never was
    allowing = AddressGuard(allow_private=True)
    async with Fetcher(user_agent="t", limits=limits, on_request=allowing.on_request) as fetcher:
        result = await fetcher.fetch(feed_server.url("/moved"))
    assert result.status == 200 and result.content == RSS


async def test_a_dns_answer_that_changes_after_the_check_is_caught_at_the_connection(
    feed_server: FeedServer,
) -> None:
    """Rebinding: the guard's lookup says public, the connection reaches 127.0.0.1."""
    feed_server.add("/feed.xml", RSS)
    feed_server.add_redirect("/moved", "https://news.example/feed.xml")
    guard = AddressGuard(resolver=resolver({"localhost": ["93.184.216.34"]}))
    limits = FetchLimits(retries=0)
    async with Fetcher(
        user_agent="t", limits=limits, on_request=guard.on_request, on_response=guard.on_response
    ) as fetcher:
        for path in ("/feed.xml", "/moved"):
            url = feed_server.url(path).replace("127.0.0.1", "localhost")
            with pytest.raises(UnsafeAddressError, match=r"localhost connected to 127\.0\.0\.1"):
                await fetcher.fetch(url)
    allowing = AddressGuard(allow_private=True, resolver=resolver({"localhost": ["127.0.0.1"]}))
    async with Fetcher(user_agent="t", limits=limits, on_response=allowing.on_response) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed.xml").replace("127.0.0.1", "localhost"))
    assert result.status == 200 and result.content == RSS
