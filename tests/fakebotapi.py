"""A local fake Telegram Bot API for tests: 127.0.0.1, port 0, a background thread.

Point python-telegram-bot at it with ``base_url=f"{api.url}/bot"`` (what
`bot.build_application` does with ``settings.telegram_api_url``)::

    with FakeBotAPI() as api:
        ...
        assert api.sent()[0]["text"] == "..."

It answers getMe, sendMessage (recorded, with a real Message in the reply)
and, with ``{"ok": true, "result": true}``, every other method. Requests may be
form-encoded (what PTB sends) or JSON.

Incoming traffic is scripted: `send_text`, `tap` (a callback query on a button
the bot sent) and `push_update` queue updates that ``getUpdates`` hands to the
real `Updater` (long polling: a request waits until an update is queued).
`editMessageText`/`editMessageReplyMarkup` change the stored message, so
`buttons` shows the keyboard a user would see; `set_member` scripts
``getChatMember``; `commands` returns what ``setMyCommands`` registered.
`wait_for` blocks (on a condition, not a sleep) until a predicate over the
recorded requests holds.

Failures are scripted too (`fail`): "429 with retry_after 3 for the next
sendMessage to chat 7", "403 for chat 8", "500 twice"; setting `token` makes
every other token get 401. Failed calls go to `failed`, not `requests`.
Like Telegram, it refuses a text over 4,096 characters and HTML it cannot
parse (a tag cut in half, an unclosed or unsupported tag) with 400 Bad Request.

`hold` makes calls of a method wait unanswered, as if Telegram had not yet received
them, until `drop_held` closes their connections without recording them: the state a
client killed in mid-request leaves behind.
"""

from __future__ import annotations

import email.parser
import email.policy
import html.parser
import http.server
import json
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

BOT_ID = 123
BOT_USERNAME = "monitor_test_bot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Monitor", "username": BOT_USERNAME}
LONG_POLL_MAX_S = 2.0  # a getUpdates with nothing to hand out answers [] after this
MAX_TEXT = 4096  # Telegram's limit on a message's text, after entities are parsed
HTML_TAGS = frozenset(
    "b strong i em u ins s strike del a code pre span tg-spoiler tg-emoji blockquote".split()
)  # what Telegram's HTML parse mode accepts
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if len(raw) < length:  # the client died mid-request: Telegram never got this call
            self.close_connection = True
            return
        body = raw.decode("utf-8", "surrogateescape")
        content_type = self.headers.get("Content-Type") or ""
        if content_type.startswith("multipart/form-data"):  # sendDocument: fields and a file
            params = _form_data(content_type, body.encode("utf-8", "surrogateescape"))
        elif "json" in content_type:
            params: dict[str, Any] = json.loads(body or "{}")
        else:
            params = dict(parse_qsl(body, keep_blank_values=True))
        path = self.path.split("?")[0]
        _token, _, method = path.removeprefix("/bot").partition("/")
        if self.server.api.held(method):  # dropped: no answer, nothing recorded
            self.close_connection = True
            return
        failure = self.server.api.scripted_failure(_token, method, params)
        if failure is not None:  # the alerts' scripted errors: recorded apart, not in requests
            status, error = failure
            self._answer(status, error)
            return
        self.server.api.record(method, params)
        result = self.server.api.answer(method, params)
        delay = self.server.api.answer_delay(method)
        if delay:  # accepted and recorded; the answer comes late (a slow or stalled Telegram)
            time.sleep(delay)
        self._answer(200, {"ok": True, "result": result})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
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

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return  # the client gave up on a long poll (the updater stopped)
        super().handle_error(request, client_address)


class FakeBotAPI:
    """The fake server; `requests` holds (method, params) of every call, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Condition()  # a lock whose waiters are told of each request
        self._message_id = 0
        self._updates: list[dict[str, Any]] = []
        self._update_id = 0
        self._incoming_id = 10_000  # ids of scripted user messages and callback queries
        self._closed = False
        self.messages: dict[int, dict[str, Any]] = {}  # the bot's messages by id, as edited
        self.members: dict[tuple[int, int], str] = {}  # (chat, user) -> getChatMember status
        self.token: str | None = None  # when set, any other token gets 401 Unauthorized
        self._failures: list[_Failure] = []
        self.failed: list[tuple[str, dict[str, Any], int]] = []  # scripted failures answered
        self._hold: list[Any] | None = None  # [method, calls still let through]
        self.holding = 0  # calls waiting in `held`
        self.delay_s = 0.0  # every sendMessage is answered this late (after it is recorded)
        self._late: list[float] = []  # the next sendMessages' extra delays, one each
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
            self._lock.notify_all()

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

    # -- scripted failures (alerts) ------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        method: str = "sendMessage",
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        migrate_to: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with an error.

        429 carries ``parameters.retry_after``; a 400 with `migrate_to` carries
        ``parameters.migrate_to_chat_id`` (the group became that supergroup);
        ``times=-1`` fails every such call.
        """
        with self._lock:
            self._failures.append(
                _Failure(method, chat_id, status, times, retry_after, description, migrate_to)
            )

    def scripted_failure(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        """The error to answer this call with, if one was scripted (or the token is wrong)."""
        if self.token is not None and token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        refusal = telegram_refusal(method, params)
        if refusal is not None:  # what Telegram itself answers to a text it cannot take
            with self._lock:
                self.failed.append((method, dict(params), 400))
            return 400, {"ok": False, "error_code": 400, "description": refusal}
        with self._lock:
            for failure in self._failures:
                if failure.applies(method, params):
                    failure.times -= 1
                    self.failed.append((method, dict(params), failure.status))
                    return failure.status, failure.body()
        return None

    def slow(self, seconds: float, *, times: int = 1) -> None:
        """Accept the next `times` sendMessages at once but answer each `seconds` late: past
        the client's timeout, the message is delivered though the client saw an error."""
        with self._lock:
            self._late.extend([seconds] * times)

    def answer_delay(self, method: str) -> float:
        """Seconds to wait before answering this accepted call."""
        if method != "sendMessage":
            return 0.0
        with self._lock:
            return self.delay_s + (self._late.pop(0) if self._late else 0.0)

    def hold(self, method: str = "sendMessage", *, after: int = 0) -> None:
        """Let `after` more calls of `method` through, then hold the rest (see `drop_held`)."""
        with self._lock:
            self._hold = [method, after]

    def drop_held(self) -> None:
        """End the hold: the calls held so far get no answer and are not recorded."""
        with self._lock:
            self._hold = None
            self._lock.notify_all()

    def held(self, method: str) -> bool:
        """Called per request: wait while `method` is held; True if the call is dropped."""
        with self._lock:
            if self._hold is None or self._hold[0] != method:
                return False
            if self._hold[1] > 0:
                self._hold[1] -= 1
                return False
            self.holding += 1
            self._lock.notify_all()
            self._lock.wait_for(lambda: self._hold is None or self._closed)
            self.holding -= 1
            return True

    # -- scripted incoming updates ------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update (its update_id is assigned here) for getUpdates; return the id."""
        with self._lock:
            self._update_id += 1
            self._updates.append({**update, "update_id": self._update_id})
            self._lock.notify_all()
            return self._update_id

    def send_text(
        self,
        text: str,
        *,
        user: int,
        chat: int | None = None,
        chat_type: str = "private",
        lang: str | None = "en",
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Queue a text message from `user` in `chat` (default: the private chat); its id."""
        message = self._incoming_message(
            text, user=user, chat=chat, chat_type=chat_type, lang=lang, thread_id=thread_id
        )
        if reply_to is not None and reply_to in self.messages:
            message["reply_to_message"] = self._message_json(reply_to)
        self.push_update({"message": message})
        return int(message["message_id"])

    def tap(self, message_id: int, data: str, *, user: int, lang: str | None = "en") -> str:
        """Queue a callback query: `user` taps the button with callback `data`; the query id."""
        with self._lock:
            buttons = [b["callback_data"] for b in self._buttons(message_id)]
            self._incoming_id += 1
            query_id = str(self._incoming_id)
        if data not in buttons:
            raise AssertionError(f"message {message_id} has no button {data!r}: {buttons}")
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": _user(user, lang),
                    "message": self._message_json(message_id),
                    "chat_instance": "fake",
                    "data": data,
                }
            }
        )
        return query_id

    def set_member(self, chat: int, user: int, status: str) -> None:
        """Script getChatMember: "creator", "administrator", "member", "left" or "kicked"."""
        self.members[(chat, user)] = status

    def bot_membership(self, chat: int, old: str, new: str, *, by: int, title: str = "") -> int:
        """Queue a my_chat_member update: the bot's status in `chat` changed from old to new."""
        chat_json = {"id": chat, "type": "supergroup" if chat < 0 else "private", "title": title}
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": chat_json,
                    "from": _user(by, "en"),
                    "date": int(time.time()),
                    "old_chat_member": _member(old, BOT_USER),
                    "new_chat_member": _member(new, BOT_USER),
                }
            }
        )

    def migrate(self, group: int, supergroup: int, *, by: int) -> None:
        """Queue what Telegram sends when a group becomes a supergroup: a service message
        in each chat (``migrate_to_chat_id`` in the old, ``migrate_from_chat_id`` in the new).
        """
        date = int(time.time())
        with self._lock:
            self._incoming_id += 2
            first = self._incoming_id - 1
        old = {"id": group, "type": "group", "title": "Group"}
        new = {"id": supergroup, "type": "supergroup", "title": "Group"}
        sender = _user(by, "en")
        self.push_update(
            {"message": {"message_id": first, "date": date, "chat": old, "from": sender,
                         "migrate_to_chat_id": supergroup}}
        )  # fmt: skip
        self.push_update(
            {"message": {"message_id": first + 1, "date": date, "chat": new, "from": sender,
                         "migrate_from_chat_id": group}}
        )  # fmt: skip

    # -- what the bot did ----------------------------------------------------------

    def wait_for(
        self, predicate: Callable[[list[tuple[str, dict[str, Any]]]], bool], timeout_s: float = 10
    ) -> None:
        """Block until `predicate(requests)` holds; AssertionError after `timeout_s`."""
        with self._lock:
            if not self._lock.wait_for(lambda: predicate(self.requests), timeout=timeout_s):
                methods = [m for m, _ in self.requests]
                raise AssertionError(f"timed out waiting; requests so far: {methods}")

    def wait_method(self, method: str, count: int = 1, timeout_s: float = 10) -> dict[str, Any]:
        """Block until `method` was called `count` times; the last call's parameters."""
        self.wait_for(lambda reqs: sum(m == method for m, _ in reqs) >= count, timeout_s)
        with self._lock:
            return [p for m, p in self.requests if m == method][count - 1]

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, in order."""
        with self._lock:
            return [dict(p) for m, p in self.requests if m == method]

    def buttons(self, message_id: int) -> list[dict[str, Any]]:
        """The inline buttons (text, callback_data) of the bot's message, as last edited."""
        with self._lock:
            return self._buttons(message_id)

    def commands(self, language_code: str | None = None) -> list[dict[str, str]]:
        """The commands the last setMyCommands for `language_code` registered."""
        for call in reversed(self.calls("setMyCommands")):
            if (call.get("language_code") or None) == language_code:
                value = call["commands"]
                result: list[dict[str, str]] = (
                    json.loads(value) if isinstance(value, str) else value
                )
                return result
        return []

    # -- internals -----------------------------------------------------------------

    def _buttons(self, message_id: int) -> list[dict[str, Any]]:
        markup = self.messages.get(message_id, {}).get("reply_markup")
        if not markup:
            return []
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def _incoming_message(
        self,
        text: str,
        *,
        user: int,
        chat: int | None,
        chat_type: str,
        lang: str | None,
        thread_id: int | None,
    ) -> dict[str, Any]:
        with self._lock:
            self._incoming_id += 1
            message_id = self._incoming_id
        chat_id = user if chat is None else chat
        chat_json: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat_json["title"] = f"Group {chat_id}"
        if thread_id is not None:
            chat_json["is_forum"] = True
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat_json,
            "from": _user(user, lang),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return message

    def _message_json(self, message_id: int) -> dict[str, Any]:
        with self._lock:
            stored = dict(self.messages[message_id])
        chat_id = int(stored["chat_id"])
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            "text": stored.get("text", ""),
        }
        markup = stored.get("reply_markup")
        if markup:
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        if stored.get("message_thread_id"):
            message["message_thread_id"] = int(stored["message_thread_id"])
            message["is_topic_message"] = True
        return message

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait_s = min(float(params.get("timeout") or 0), LONG_POLL_MAX_S)
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._lock.wait_for(lambda: bool(self._updates) or self._closed, timeout=wait_s)
            return list(self._updates)

    def _edit(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "message_id" not in params:
            return True  # an inline message: nothing stored here
        message_id = int(params["message_id"])
        with self._lock:
            stored = self.messages.setdefault(message_id, {"chat_id": params.get("chat_id", 0)})
            if "text" in params:
                stored["text"] = params["text"]
            stored["reply_markup"] = params.get("reply_markup")
        return self._message_json(message_id)

    def _chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, user = int(params["chat_id"]), int(params["user_id"])
        status = self.members.get((chat, user), "member")
        return _member(status, _user(user, "en"))

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return self._get_updates(params)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(params)
        if method == "getChatMember":
            return self._chat_member(params)
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
                self.messages[message_id] = dict(params)
            chat_id = int(params["chat_id"])
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Monitor"},
                "text": params.get("text", ""),
            }
        if method == "sendDocument":  # params["document"]: (file name, bytes)
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            name, content = params["document"]
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "document": {"file_id": f"doc{message_id}", "file_unique_id": f"d{message_id}",
                             "file_name": name, "file_size": len(content)},
            }  # fmt: skip
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
        with self._lock:
            self._closed = True  # long-polling getUpdates calls answer at once
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Failure:
    """One scripted error answer (see `FakeBotAPI.fail`)."""

    DESCRIPTIONS = {  # noqa: RUF012
        400: "Bad Request: chat not found",
        403: "Forbidden: bot was blocked by the user",
        429: "Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }

    def __init__(
        self,
        method: str,
        chat_id: int | None,
        status: int,
        times: int,
        retry_after: int | None,
        description: str | None,
        migrate_to: int | None = None,
    ) -> None:
        self.method = method
        self.migrate_to = migrate_to
        self.chat_id = chat_id
        self.status = status
        self.times = times
        self.retry_after = retry_after
        self.description = description or self.DESCRIPTIONS.get(status, f"Error {status}")

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        if self.times == 0 or method != self.method:
            return False
        return self.chat_id is None or int(params.get("chat_id", 0)) == self.chat_id

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description.format(retry_after=self.retry_after),
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to}
        return body


class _EntityParser(html.parser.HTMLParser):
    """Telegram's HTML parse mode, roughly: supported tags, properly nested; the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_refusal(method: str, params: dict[str, Any]) -> str | None:
    """Telegram's 400 description for a text it refuses, or None."""
    if method not in ("sendMessage", "editMessageText") or "text" not in params:
        return None
    text = str(params["text"])
    if str(params.get("parse_mode") or "").upper() == "HTML":
        parser = _EntityParser()
        parser.feed(text)
        if parser.rawdata:  # a tag or entity cut in half is left unparsed
            parser.error = parser.error or "Can't find end of the entity"
        if parser.open and parser.error is None:
            parser.error = f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
        if parser.error is not None:
            return f"Bad Request: can't parse entities: {parser.error}"
        text = "".join(parser.text)
    if not text.strip():
        return "Bad Request: message text is empty"
    if len(text) > MAX_TEXT:
        return "Bad Request: message is too long"
    return None


def _form_data(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body: text fields as strings, a file as (file name, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        params[str(name)] = (filename, payload) if filename else payload.decode("utf-8")
    return params


def _user(user_id: int, lang: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if lang is not None:
        user["language_code"] = lang
    return user


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member.update(ADMIN_RIGHTS)
    elif status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member
