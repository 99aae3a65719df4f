"""A local fake Telegram Bot API for tests: 127.0.0.1, port 0, a background thread.

Point python-telegram-bot at it with ``base_url=f"{api.url}/bot"`` (what
`bot.build_application` does with ``settings.telegram_api_url``)::

    with FakeBotAPI() as api:
        ...
        assert api.sent()[0]["text"] == "..."

It answers getMe, sendMessage (recorded, with a real Message in the reply)
and, with ``{"ok": true, "result": true}``, every other method. Requests may be
form-encoded (what PTB sends) or JSON.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

BOT_ID = 123
BOT_USERNAME = "monitor_test_bot"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        if "json" in (self.headers.get("Content-Type") or ""):
            params: dict[str, Any] = json.loads(body or "{}")
        else:
            params = dict(parse_qsl(body, keep_blank_values=True))
        path = self.path.split("?")[0]
        _token, _, method = path.removeprefix("/bot").partition("/")
        self.server.api.record(method, params)
        result = self.server.api.answer(method, params)
        payload = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    api: FakeBotAPI


class FakeBotAPI:
    """The fake server; `requests` holds (method, params) of every call, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._message_id = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The Bot API base, like https://api.telegram.org."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def record(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append((method, params))

    def sent(self) -> list[dict[str, Any]]:
        """Every sendMessage's parameters (chat_id as int), in order."""
        with self._lock:
            calls = [dict(p) for m, p in self.requests if m == "sendMessage"]
        for call in calls:
            call["chat_id"] = int(call["chat_id"])
        return calls

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Monitor",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            chat_id = int(params["chat_id"])
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Monitor"},
                "text": params.get("text", ""),
            }
        return True

    def __enter__(self) -> FakeBotAPI:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
