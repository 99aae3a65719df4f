"""The one-click unsubscribe endpoint of digest e-mails (RFC 8058), a tiny HTTP server.

``POST /unsubscribe?token=T`` (what mail clients send for ``List-Unsubscribe-Post``)
turns the recipient's digest off. ``GET`` shows a page with a button that posts:
link scanners and previews fetch with GET, so GET alone never unsubscribes.
It listens on ``MONITOR_HTTP_LISTEN`` (meant to sit behind a reverse proxy at
``MONITOR_PUBLIC_URL``); the stdlib's asyncio streams are enough for two routes.
"""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import replace
from typing import Final
from urllib.parse import parse_qs, urlsplit

from monitor.clock import Clock, SystemClock
from monitor.settings import Settings
from monitor.store import Store

log = logging.getLogger(__name__)

MAX_HEADER_BYTES: Final = 8192
MAX_BODY_BYTES: Final = 4096
# the stream reader's buffer: a header block longer than this is refused before it is read
READ_LIMIT_BYTES: Final = 64 * 1024
REASONS: Final = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
}
READ_TIMEOUT_S: Final = 10.0
PAGE: Final = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    "<title>{title}</title></head>"
    "<body style='font-family:Arial,sans-serif;max-width:480px;margin:40px auto;padding:0 16px;"
    "color:#1f2937'>{body}</body></html>"
)


def page(title: str, body: str) -> bytes:
    """A minimal HTML page; `body` is HTML (callers escape their values)."""
    return PAGE.format(title=html.escape(title), body=body).encode()


class _Refused(Exception):
    """A request refused before it is looked at: its status and page."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.body = page(REASONS[status], f"<p>{html.escape(text)}</p>")


class UnsubscribeServer:
    """Serves ``/unsubscribe`` until closed."""

    def __init__(self, store: Store, clock: Clock, *, host: str, port: int) -> None:
        self.store = store
        self.clock = clock
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=READ_LIMIT_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("unsubscribe endpoint on http://%s:%d/unsubscribe", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await asyncio.wait_for(self._respond(reader), READ_TIMEOUT_S)
        except _Refused as refusal:  # an expected answer to a hostile or broken client
            status, body = refusal.status, refusal.body
        except (TimeoutError, ValueError, asyncio.IncompleteReadError, ConnectionError):
            status, body = 400, page("Bad request", "<p>Bad request.</p>")
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            writer.write(head.encode() + body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as exc:  # no end of headers within the read buffer
            raise _Refused(431, "Request header fields too large.") from exc
        if len(raw) > MAX_HEADER_BYTES:
            raise _Refused(431, "Request header fields too large.")
        lines = raw.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
        }
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            raise _Refused(413, "Request body too large.")
        if length:
            await reader.readexactly(length)  # "List-Unsubscribe=One-Click": nothing to read
        url = urlsplit(target)
        if url.path != "/unsubscribe":
            return 404, page("Not found", "<p>Not found.</p>")
        token = (parse_qs(url.query).get("token") or [""])[0]
        recipient = await asyncio.to_thread(self.store.recipient_by_token, token)
        if recipient is None:
            return 404, page("Unknown link", "<p>This unsubscribe link is not valid.</p>")
        email = html.escape(recipient.email)
        if method == "GET":
            form = (
                f"<p>Stop the health-cooperation digest to <b>{email}</b>?</p>"
                f"<form method='post' action='/unsubscribe?token={html.escape(token)}'>"
                "<button type='submit' style='font-size:16px;padding:8px 16px'>Unsubscribe"
                "</button></form>"
            )
            return 200, page("Unsubscribe", form)
        if method != "POST":
            return 405, page("Not allowed", "<p>Use the unsubscribe link in the e-mail.</p>")
        if recipient.active:
            await asyncio.to_thread(
                self.store.save_recipient, replace(recipient, active=False), self.clock.now()
            )
            log.info("digest recipient %s unsubscribed by link", recipient.email)
        return 200, page("Unsubscribed", f"<p>{email} will get no more digests.</p>")


async def start_unsubscribe_server(
    settings: Settings, store: Store, clock: Clock | None = None
) -> UnsubscribeServer | None:
    """Start the endpoint when ``MONITOR_HTTP_LISTEN`` is set; None otherwise."""
    if not settings.http_listen:
        return None
    host, _, port = settings.http_listen.rpartition(":")
    server = UnsubscribeServer(store, clock or SystemClock(), host=host, port=int(port))
    await server.start()
    return server
