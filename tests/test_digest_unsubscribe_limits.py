"""The unsubscribe endpoint refuses oversized requests with a status, never a traceback.

A raw socket, not httpx: the point is a request no well-behaved client sends.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest
from fakes import FakeClock

from monitor.digest.unsubscribe import UnsubscribeServer
from monitor.store import Store


def _exchange(port: int, request: bytes) -> bytes:
    """Send `request` whole and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("pad_bytes", [20_000, 100_000])
async def test_an_oversized_header_block_gets_431_and_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pad_bytes: int
) -> None:
    caplog.set_level(logging.DEBUG)
    with Store.open(f"sqlite:///{tmp_path}/m.db") as store:
        server = UnsubscribeServer(store, FakeClock(), host="127.0.0.1", port=0)
        await server.start()
        try:
            request = (
                b"GET /unsubscribe?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + b"X-Pad: "
                + b"a" * pad_bytes
                + b"\r\n\r\n"
            )
            answer = await asyncio.to_thread(_exchange, server.port, request)
            too_big_body = b"POST /unsubscribe?token=x HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"
            body_answer = await asyncio.to_thread(_exchange, server.port, too_big_body)
        finally:
            await server.close()
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert body_answer.startswith(b"HTTP/1.1 413 ")
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
