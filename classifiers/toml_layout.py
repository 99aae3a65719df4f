"""Where things are in a TOML text: line numbers for error messages, spans for in-place edits.

TOML parsers report no positions, so this follows the text's own structure:
headers, keys (dotted and quoted), and values that span lines (multi-line strings,
arrays, inline tables). Used by feeds.toml, topics.toml and monitor.toml, whose
problems are reported with their line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class _Line:
    """What one physical line of a TOML text is."""

    kind: Literal["blank", "comment", "header", "key", "more"]
    path: tuple[str, ...] = ()  # a header's table path, or a key line's dotted key
    array: bool = False  # a [[header]]


@dataclass
class _LexState:
    multiline: str | None = None  # the open multi-line string's delimiter
    depth: int = 0  # open [ and { of a value spanning lines


_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only (as TOML counts lines)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _parse_key(text: str, pos: int) -> tuple[tuple[str, ...], int]:
    """Read a (dotted) key at `pos`; return it and the position after it."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            break
        if text[pos] == '"':
            end = pos + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            token = text[pos : end + 1]
            try:
                parts.append(str(tomllib.loads(f"k = {token}")["k"]))
            except tomllib.TOMLDecodeError:
                parts.append(token.strip('"'))
            pos = end + 1
        elif text[pos] == "'":
            end = text.find("'", pos + 1)
            end = len(text) if end < 0 else end
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE_KEY_RE.match(text, pos)
            if match is None:
                break
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        break
    return tuple(parts), pos


def _lex_value(text: str, pos: int, state: _LexState) -> None:
    """Follow strings, brackets and comments of a value so multi-line values are tracked."""
    n = len(text)
    while pos < n:
        if state.multiline is not None:
            delim = state.multiline
            if delim == '"""' and text[pos] == "\\":
                pos += 2
            elif text.startswith(delim, pos):
                end = pos + 3
                while end < n and end - pos < 5 and text[end] == delim[0]:
                    end += 1  # up to two quotes may end the content
                state.multiline = None
                pos = end
            else:
                pos += 1
            continue
        char = text[pos]
        if char == "#":
            return
        if text.startswith('"""', pos) or text.startswith("'''", pos):
            state.multiline = text[pos : pos + 3]
            pos += 3
        elif char == '"':
            pos += 1
            while pos < n and text[pos] != '"':
                pos += 2 if text[pos] == "\\" else 1
            pos += 1
        elif char == "'":
            end = text.find("'", pos + 1)
            pos = n if end < 0 else end + 1
        else:
            if char in "[{":
                state.depth += 1
            elif char in "]}":
                state.depth = max(0, state.depth - 1)
            pos += 1


def _scan(lines: Sequence[str]) -> list[_Line]:
    """Classify each line of a (syntactically valid) TOML text."""
    kinds: list[_Line] = []
    state = _LexState()
    for line in lines:
        if state.multiline is not None or state.depth:
            kinds.append(_Line("more"))
            _lex_value(line, 0, state)
            continue
        stripped = line.strip().lstrip("\ufeff")
        if not stripped:
            kinds.append(_Line("blank"))
        elif stripped.startswith("#"):
            kinds.append(_Line("comment"))
        elif stripped.startswith("["):
            array = stripped.startswith("[[")
            path, _ = _parse_key(stripped, 2 if array else 1)
            kinds.append(_Line("header", path, array))
        else:
            path, pos = _parse_key(stripped, 0)
            kinds.append(_Line("key", path))
            eq = stripped.find("=", pos)
            if eq >= 0:
                _lex_value(stripped, eq + 1, state)
    return kinds


@dataclass(frozen=True)
class Layout:
    """Where things are in a TOML text: used to give problems a line and to edit tables."""

    lines: list[str]
    kinds: list[_Line]
    feed_headers: list[int] = field(default_factory=list)  # 0-based line of each [[feed]]

    @classmethod
    def of(cls, text: str) -> Layout:
        lines = split_lines(text)
        kinds = _scan(lines)
        headers = [i for i, k in enumerate(kinds) if k.kind == "header" and k.path == ("feed",)]
        return cls(lines, kinds, headers)

    def next_header(self, after: int) -> int:
        """The 0-based index of the first header after line `after`, or len(lines)."""
        for i in range(after + 1, len(self.kinds)):
            if self.kinds[i].kind == "header":
                return i
        return len(self.kinds)

    def table_key_line(self, header: int | None, table: tuple[str, ...], key: str) -> int | None:
        """1-based line where `key` of the table at `table` (header at `header`) is set."""
        if header is not None:
            for i in range(header + 1, self.next_header(header)):
                kind = self.kinds[i]
                if kind.kind == "key" and kind.path[:1] == (key,):
                    return i + 1
        end = len(self.kinds)
        if header is not None and self.kinds[header].array:
            later = [h for h in self.feed_headers if h > header]
            end = later[0] if later else end
        for i in range(0 if header is None else header + 1, end):
            kind = self.kinds[i]
            if kind.kind == "header" and kind.path[: len(table) + 1] == (*table, key):
                return i + 1
        return self.root_key_line((*table, key)) if table and header is None else None

    def root_key_line(self, path: tuple[str, ...]) -> int | None:
        """1-based line of a key set before any header, or of the first header under `path`."""
        for i, kind in enumerate(self.kinds):
            if kind.kind == "header":
                break
            if kind.kind == "key" and kind.path[: len(path)] == path:
                return i + 1
        for i, kind in enumerate(self.kinds):
            if kind.kind == "header" and kind.path[: len(path)] == path:
                return i + 1
        return None

    def header_of(self, table: tuple[str, ...]) -> int | None:
        """0-based line of the `[table]` header, if the table has one."""
        for i, kind in enumerate(self.kinds):
            if kind.kind == "header" and kind.path == table and not kind.array:
                return i
        return None

    # -- positions by name, for validators that walk the parsed data ------------

    def table_line(self, root: str, index: int | None = None) -> int | None:
        """1-based line of the ``[root]`` header, or of the `index`-th ``[[root]]`` one."""
        span = self._span(root, index)
        return span[0] + 1 if span else None

    def key_line(self, root: str, index: int | None, *path: str) -> int | None:
        """1-based line where `path` is set inside table `root` (the `index`-th of an array).

        Finds ``key = ...``, dotted keys (``examples.en = ...``) and sub-tables
        (``[root.examples]`` then ``en = ...``); falls back to the closest enclosing
        header when the key itself cannot be placed.
        """
        span = self._span(root, index)
        if span is None:
            return None
        start, end = span
        fallback = start + 1
        if not path:
            return fallback
        for i in range(start + 1, end):
            kind = self.kinds[i]
            if kind.kind == "key" and kind.path[: len(path)] == path:
                return i + 1
            if kind.kind == "header" and path and kind.path[1 : 1 + len(path)] == path[:1]:
                fallback = i + 1  # [root.examples] for ("examples", "en")
                rest = path[1:]
                for j in range(i + 1, self.next_header(i)):
                    sub = self.kinds[j]
                    if sub.kind == "key" and sub.path[: len(rest)] == rest:
                        return j + 1
        return fallback

    def _span(self, root: str, index: int | None) -> tuple[int, int] | None:
        """0-based first line and end (exclusive) of a table with its sub-tables."""
        seen = -1
        start: int | None = None
        for i, kind in enumerate(self.kinds):
            if kind.kind != "header":
                continue
            if start is not None:
                if kind.path[:1] != (root,) or kind.path == (root,):
                    return start, i
                continue
            if kind.path == (root,):
                seen += 1 if kind.array else 0
                if index is None or (kind.array and seen == index):
                    start = i
        return None if start is None else (start, len(self.kinds))
