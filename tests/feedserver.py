"""A real HTTP/1.1 server on 127.0.0.1 for tests: feeds, validators, errors, slow and huge bodies.

Tests register routes and point real clients at ``server.url(path)``::

    with FeedServer() as server:
        url = server.add("/feed.xml", RSS, etag='"v1"')
        ...
        assert server.hits("/feed.xml") == 1

The server binds port 0 and runs in a background thread, one thread per
connection (keep-alive supported), so slow routes never block other requests.
Routes can be replaced at any time by adding the same path again (e.g. a new
version of a feed between two polls). Unknown paths answer 404.

Bookkeeping per path is thread-safe: `hits`, `requests` (method and
lower-cased headers of each request), `bytes_sent` (body bytes written) and
`max_in_flight` (the most requests served at the same time); `connections`
counts accepted TCP connections, and `wait_idle` blocks until no request is
being served, so counters read after it are final. `closed_port_url` gives a
URL where connections are refused.
"""

from __future__ import annotations

import gzip
import http.server
import socket
import sys
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Protocol
from urllib.parse import urlsplit

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
HUGE_CHUNK = 64 * 1024
HUGE_FILLER = b"<item><title>filler</title><description>" + b"x" * 200 + b"</description></item>\n"
SHUTDOWN_POLL_S = 0.02  # how often serve_forever checks for shutdown
IDLE_CONNECTION_TIMEOUT_S = 10.0  # an idle keep-alive connection's thread ends after this


@dataclass(frozen=True)
class Reply:
    """One canned response, for `FeedServer.add_sequence`."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-cased names


class _Route(Protocol):
    def respond(self, handler: _Handler, request: Request) -> None: ...


@dataclass(frozen=True)
class _Static:
    body: bytes
    status: int
    headers: Mapping[str, str]
    etag: str | None
    last_modified: str | None

    def respond(self, handler: _Handler, request: Request) -> None:
        validators = {}
        if self.etag is not None:
            validators["ETag"] = self.etag
        if self.last_modified is not None:
            validators["Last-Modified"] = self.last_modified
        if self.status == 200 and self._not_modified(request):
            handler.send_reply(304, b"", validators)
            return
        handler.send_reply(self.status, self.body, {**self.headers, **validators})

    def _not_modified(self, request: Request) -> bool:
        """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            if self.etag is None:
                return False
            tags = {_weak_stripped(tag) for tag in if_none_match.split(",")}
            return "*" in tags or _weak_stripped(self.etag) in tags
        if_modified_since = request.headers.get("if-modified-since")
        if if_modified_since is None or self.last_modified is None:
            return False
        try:
            return parsedate_to_datetime(self.last_modified) <= parsedate_to_datetime(
                if_modified_since
            )
        except (TypeError, ValueError):
            return if_modified_since == self.last_modified


@dataclass(frozen=True)
class _Redirect:
    location: str
    status: int

    def respond(self, handler: _Handler, request: Request) -> None:
        handler.send_reply(self.status, b"", {"Location": self.location})


@dataclass(frozen=True)
class _Drip:
    body: bytes
    interval_s: float
    content_type: str

    def respond(self, handler: _Handler, request: Request) -> None:
        handler.send_head(200, {"Content-Type": self.content_type}, len(self.body))
        for i in range(len(self.body)):
            if handler.server_stopping(self.interval_s):
                handler.close_connection = True
                return
            handler.write_body(request, self.body[i : i + 1])


@dataclass(frozen=True)
class _Huge:
    size: int
    content_length: bool
    content_type: str

    def respond(self, handler: _Handler, request: Request) -> None:
        chunk = (HUGE_FILLER * (HUGE_CHUNK // len(HUGE_FILLER) + 1))[:HUGE_CHUNK]
        headers = {"Content-Type": self.content_type}
        if self.content_length:
            handler.send_head(200, headers, self.size)
        else:
            handler.send_head(200, {**headers, "Transfer-Encoding": "chunked"}, None)
        left = self.size
        while left > 0:
            if handler.server_stopping(0):
                handler.close_connection = True
                return
            piece = chunk[: min(left, len(chunk))]
            left -= len(piece)
            if self.content_length:
                handler.write_body(request, piece)
            else:
                handler.write_chunk(request, piece)
        if not self.content_length:
            handler.write_chunk(request, b"")


class _Sequence:
    """Answers with each reply in turn; the last one repeats."""

    def __init__(self, replies: list[Reply]) -> None:
        if not replies:
            raise ValueError("add_sequence needs at least one reply")
        self._replies = list(replies)
        self._next = 0
        self._lock = threading.Lock()

    def respond(self, handler: _Handler, request: Request) -> None:
        with self._lock:
            reply = self._replies[min(self._next, len(self._replies) - 1)]
            self._next += 1
        handler.send_reply(reply.status, reply.body, dict(reply.headers))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_TIMEOUT_S
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._count_connection()

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        request = Request(
            method=method,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        owner = self.server.owner
        route, key = owner._route_for(self.path)
        self._key = key
        self._request = request
        owner._begin(key, request)
        try:
            if route is None:
                self.send_reply(404, b"not found\n", {"Content-Type": "text/plain"})
            else:
                route.respond(self, request)
        finally:
            owner._end(key)

    # Helpers used by the routes.

    def server_stopping(self, wait_s: float) -> bool:
        """Wait up to `wait_s`; True when the server is shutting down."""
        return self.server.owner._stopping.wait(wait_s)

    def send_head(self, status: int, headers: Mapping[str, str], length: int | None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def send_reply(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        bodiless = status in (204, 304)  # no Content-Length either (RFC 9110 §8.6)
        self.send_head(status, headers, None if bodiless else len(body))
        if bodiless:
            return
        self.write_body(self._request, body)

    def write_body(self, request: Request, data: bytes) -> None:
        if request.method == "HEAD" or not data:
            return
        self.wfile.write(data)
        self.server.owner._count_sent(self._key, len(data))

    def write_chunk(self, request: Request, data: bytes) -> None:
        if request.method == "HEAD":
            return
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.server.owner._count_sent(self._key, len(data))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows failures, not access logs."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up (size limits, timeouts) are expected, not errors."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """A local HTTP server whose routes tests register; a context manager.

    Args:
        host: Interface to bind; keep the default loopback.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._routes: dict[str, _Route] = {}
        self._hits: defaultdict[str, int] = defaultdict(int)
        self._requests: defaultdict[str, list[Request]] = defaultdict(list)
        self._sent: defaultdict[str, int] = defaultdict(int)
        self._in_flight: defaultdict[str, int] = defaultdict(int)
        self._max_in_flight: defaultdict[str, int] = defaultdict(int)
        self._total_in_flight = 0
        self._connections = 0
        self._max_total_in_flight = 0
        self._stopping = threading.Event()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> FeedServer:
        """Start serving in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": SHUTDOWN_POLL_S},
                name=f"FeedServer:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; slow responses in progress are cut short."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Addresses.

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.base_url + _checked(path)

    # Routes; each returns the route's URL.

    def add(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = RSS_CONTENT_TYPE,
        etag: str | None = None,
        last_modified: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        gzip_body: bool = False,
    ) -> str:
        """Serve `body` with these headers; answer 304 when the validators match.

        Args:
            path: Absolute path, optionally with a query string.
            body: The bytes served (before compression).
            content_type: The Content-Type header.
            etag: ETag to send and compare with If-None-Match.
            last_modified: Last-Modified to send and compare with If-Modified-Since.
            status: The status of a full response.
            headers: More response headers (they may override Content-Type).
            gzip_body: Send the body gzip-compressed with Content-Encoding: gzip.
        """
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if gzip_body:
            body = gzip.compress(body)
            all_headers["Content-Encoding"] = "gzip"
        return self._add(path, _Static(body, status, all_headers, etag, last_modified))

    def add_redirect(self, path: str, to_path: str, status: int = 302) -> str:
        """Redirect `path` to `to_path` (a path on this server or an absolute URL)."""
        return self._add(path, _Redirect(to_path, status))

    def add_drip(
        self, path: str, body: bytes, interval_s: float, *, content_type: str = RSS_CONTENT_TYPE
    ) -> str:
        """Serve `body` one byte every `interval_s` seconds (Content-Length announced)."""
        return self._add(path, _Drip(body, interval_s, content_type))

    def add_huge(
        self,
        path: str,
        size_bytes: int,
        *,
        content_length: bool = False,
        content_type: str = RSS_CONTENT_TYPE,
    ) -> str:
        """Stream `size_bytes` of filler generated on the fly, never held in memory.

        Args:
            path: Absolute path.
            size_bytes: Body size.
            content_length: Announce the size in Content-Length; otherwise the
                body is chunked and its size unknown to the client up front.
            content_type: The Content-Type header.
        """
        return self._add(path, _Huge(size_bytes, content_length, content_type))

    def add_sequence(self, path: str, replies: list[Reply]) -> str:
        """Answer the n-th request with ``replies[n]``; the last reply repeats."""
        return self._add(path, _Sequence(replies))

    # Bookkeeping.

    def hits(self, path: str) -> int:
        """Requests received for `path` so far."""
        with self._lock:
            return self._hits[path]

    def requests(self, path: str) -> list[Request]:
        """The requests received for `path`, oldest first."""
        with self._lock:
            return list(self._requests[path])

    def bytes_sent(self, path: str) -> int:
        """Body bytes written to clients for `path` (the kernel may not have delivered all)."""
        with self._lock:
            return self._sent[path]

    def max_in_flight(self, path: str | None = None) -> int:
        """The most requests (for `path`, or for any path) served at the same time."""
        with self._lock:
            return self._max_total_in_flight if path is None else self._max_in_flight[path]

    def connections(self) -> int:
        """TCP connections accepted so far (keep-alive reuse keeps this low)."""
        with self._lock:
            return self._connections

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Block until no request is being served (so counters are final); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._total_in_flight == 0, timeout_s)

    # Internals used by the handler.

    def _add(self, path: str, route: _Route) -> str:
        _checked(path)
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    def _route_for(self, raw_path: str) -> tuple[_Route | None, str]:
        """The route of a request path: exact match with query first, then the bare path."""
        bare = urlsplit(raw_path).path
        with self._lock:
            if raw_path in self._routes:
                return self._routes[raw_path], raw_path
            return self._routes.get(bare), bare

    def _begin(self, key: str, request: Request) -> None:
        with self._lock:
            self._hits[key] += 1
            self._requests[key].append(request)
            self._in_flight[key] += 1
            self._total_in_flight += 1
            self._max_in_flight[key] = max(self._max_in_flight[key], self._in_flight[key])
            self._max_total_in_flight = max(self._max_total_in_flight, self._total_in_flight)

    def _end(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1
            self._total_in_flight -= 1
            self._idle.notify_all()

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def _count_sent(self, key: str, n: int) -> None:
        with self._lock:
            self._sent[key] += n


def closed_port_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{_checked(path)}"


def _checked(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    return path


def _weak_stripped(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag
