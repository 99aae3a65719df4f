"""Where a fetch someone outside may steer can go: public addresses only, checked after DNS.

An operator's ``/addfeed URL`` makes the service fetch that URL from inside its
network, on every poll, and a feed's entries name the article pages that
``fulltext`` feeds fetch; so a URL (or a redirect, or a DNS answer that changes
later) to ``127.0.0.1``, ``10.x``, ``fd00::``, a link-local address or a cloud
metadata endpoint could read internal services (server-side request forgery).
`address_problem` classifies one IP address (pure); `AddressGuard` resolves a
URL's host with the event loop's resolver and refuses it when any address is
not public. Its `on_request` is an httpx request hook, so every redirect hop is
checked again before it is sent. `FetchGuards` says which guard each fetch of
the poller goes through.

``allow_private_feeds`` (the operator's explicit choice, e.g. for feeds on an
intranet) lets private, loopback, link-local, unique-local and shared
addresses through; metadata endpoints, multicast and unspecified addresses are
refused regardless, since no feed lives there.

The address is resolved by the guard and again by httpx when it connects, so a
DNS server answering differently within that instant (rebinding) could slip a
private address past `on_request`. `on_response`, an httpx response hook, closes
that gap: it checks the address the connection actually reached, before the body
is read or a redirect followed. (The request itself has then been sent; what an
internal service answers is never read.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import httpx

from monitor.errors import FeedFetchError
from monitor.models import FeedSpec

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

# Instance metadata services of the clouds (AWS, GCP, Azure, OpenStack: the
# first; AWS ECS, AWS IPv6, Alibaba, Oracle Cloud, Azure's wire server).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "fd00:ec2::254",
        "100.100.100.200",
        "192.0.0.192",
        "168.63.129.16",
    )
)
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
ALWAYS_REFUSED = ("cloud metadata", "multicast", "unspecified")


class UnsafeAddressError(FeedFetchError):
    """A URL whose host is (or resolves to) an address feeds may not be fetched from."""


def address_problem(address: IPAddress) -> str | None:
    """What kind of non-public address `address` is ("loopback", ...), or None when public.

    IPv6 forms that embed an IPv4 address (mapped ``::ffff:a.b.c.d``, NAT64,
    6to4) are judged by the IPv4 address they carry.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_NETWORK:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    checks: tuple[tuple[bool, str], ...] = (
        (address in METADATA_ADDRESSES, "cloud metadata"),
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL, "unique-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in SHARED_NETWORK, "shared"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-global"),
    )
    return next((kind for hit, kind in checks if hit), None)


def refused(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why `address` is refused under the operator's setting, or None when it is allowed."""
    problem = address_problem(address)
    if problem is None or (allow_private and problem not in ALWAYS_REFUSED):
        return None
    return problem


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the event loop's resolver (getaddrinfo in a thread)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressGuard:
    """Refuses URLs whose host is or resolves to a non-public address.

    Args:
        allow_private: the operator allowed private networks (``allow_private_feeds``).
        resolver: host and port -> addresses; the system resolver by default,
            tests inject their own.
        unresolved_ok: a host this machine cannot resolve passes (the request then
            fails, or an HTTP proxy resolves it); off: it is refused.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        unresolved_ok: bool = False,
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolver
        self._unresolved_ok = unresolved_ok

    async def check_url(self, url: str) -> None:
        """Return when `url` may be fetched.

        Raises:
            UnsafeAddressError: no http(s) URL with a host, the host does not
                resolve, or one of its addresses is refused (named with its kind).
        """
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise UnsafeAddressError(f"{url} is not an http(s) URL with a host")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError as exc:
            raise UnsafeAddressError(f"{url} has a bad port") from exc
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = await self._addresses(host, port)
            except UnsafeAddressError:
                if self._unresolved_ok:
                    return
                raise
        for address in addresses:
            problem = refused(address, allow_private=self._allow_private)
            if problem is not None:
                shown = host if str(address) == host else f"{host} ({address})"
                raise UnsafeAddressError(
                    f"{shown} is a {problem} address; feeds must be on public addresses"
                    + ("" if problem in ALWAYS_REFUSED else " (allow_private_feeds is off)")
                )

    async def on_request(self, request: httpx.Request) -> None:
        """httpx request hook: check the first request and every redirect before it is sent."""
        await self.check_url(str(request.url))

    async def on_response(self, response: httpx.Response) -> None:
        """httpx response hook: refuse a response from a refused address, before its body.

        Raises:
            UnsafeAddressError: the connection reached an address `check_url` would refuse.
        """
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if not peer:  # a transport without sockets (tests' mock transports)
            return
        address = _address(str(peer[0]))
        problem = refused(address, allow_private=self._allow_private)
        if problem is not None:
            host = response.request.url.host
            raise UnsafeAddressError(
                f"{host} connected to {address}, a {problem} address (its DNS answer changed "
                "after the check); feeds must be on public addresses"
            )

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            found = await self._resolve(host, port)
        except OSError as exc:
            raise UnsafeAddressError(f"{host} does not resolve: {exc}") from exc
        if not found:
            raise UnsafeAddressError(f"{host} does not resolve to any address")
        return [_address(a) for a in found]


class FetchGuards:
    """The guard of each kind of fetch the poller makes.

    * A feed the operator wrote into feeds.toml is their choice: private and
      loopback addresses pass (intranet feeds), only the addresses no feed lives
      at (cloud metadata, multicast, unspecified) are refused, on every hop; a
      name this machine cannot resolve is left to the request (or the proxy).
    * A feed added from Telegram (``added_by`` in feeds.toml) and every article
      page (``fulltext``: the feed's publisher names those URLs) get public
      addresses only, unless the operator set ``allow_private_feeds``.

    Args:
        allow_private_feeds: the operator's ``allow_private_feeds``.
        resolver: host and port -> addresses; tests inject their own.
    """

    def __init__(
        self, *, allow_private_feeds: bool = False, resolver: Resolver = system_resolver
    ) -> None:
        self.operator_feeds = AddressGuard(
            allow_private=True, resolver=resolver, unresolved_ok=True
        )
        self.outside = AddressGuard(allow_private=allow_private_feeds, resolver=resolver)

    def for_feed(self, spec: FeedSpec) -> AddressGuard:
        """The guard of `spec`'s own fetches."""
        return self.outside if spec.added_by else self.operator_feeds

    @property
    def articles(self) -> AddressGuard:
        """The guard of article pages (``fulltext``), whoever listed the feed."""
        return self.outside


def _address(text: str) -> IPAddress:
    """An IP address as getaddrinfo or a socket gives it; a scope ("fe80::1%eth0") dropped."""
    return ipaddress.ip_address(text.split("%")[0])
