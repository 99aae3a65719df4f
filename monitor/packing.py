"""Telegram HTML messages from blocks, cut only between whole elements. Pure.

The bot's replies (`monitor.telegram.messages`) and the digest in Telegram
(`monitor.digest.render`) are packed here, so that neither ever sends a message
cut inside an HTML tag or entity, which Telegram refuses.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Final

MAX_MESSAGE: Final = 4096  # Telegram's limit on a message's text
ELLIPSIS: Final = "…"


def pack(blocks: Sequence[str], limit: int = MAX_MESSAGE, sep: str = "\n\n") -> list[str]:
    """Join HTML blocks with `sep` into as few messages as fit in `limit` characters.

    A message is cut only between whole blocks; a block longer than `limit` between
    its lines (blocks keep each tag within one line), and a line longer than that
    becomes its plain text, shortened: a cut never falls inside a tag or an entity,
    so Telegram never refuses the HTML.
    """
    messages: list[str] = []
    current = ""
    for piece in (p for block in blocks for p in _fitting(block, limit)):
        candidate = f"{current}{sep}{piece}" if current else piece
        if len(candidate) > limit:
            messages.append(current)
            candidate = piece
        current = candidate
    if current:
        messages.append(current)
    return messages


def cut(value: str, limit: int) -> str:
    """`value` at most `limit` characters, with an ellipsis when it was longer."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + ELLIPSIS


def _fitting(block: str, limit: int) -> list[str]:
    """`block` as pieces of at most `limit` characters: itself, its lines, or plain text."""
    if len(block) <= limit:
        return [block]
    lines = block.split("\n")
    if len(lines) > 1:
        return pack([line for line in lines if line], limit, sep="\n")
    text, room = _PlainText.of(block), limit
    while True:  # escaping lengthens the text: cut it shorter until the escaped form fits
        escaped = html.escape(cut(text, room), quote=False)
        if len(escaped) <= limit:
            return [escaped]
        room = max(1, min(room - 1, room * limit // len(escaped)))


class _PlainText(HTMLParser):
    """The text of an HTML fragment, tags dropped and entities resolved."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @classmethod
    def of(cls, fragment: str) -> str:
        parser = cls()
        parser.feed(fragment)
        parser.close()
        return "".join(parser.parts)
