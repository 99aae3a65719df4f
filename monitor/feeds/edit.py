"""Edits of feeds.toml that keep the operator's comments and layout byte for byte."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import tomlkit

from classifiers.toml_layout import Layout
from monitor.durations import format_interval
from monitor.errors import ConfigError
from monitor.feeds.schema import (
    Defaults,
    FeedsFileError,
    default_name,
    find_feed,
    name_key,
    parse_with_layout,
    read_text,
    url_key,
)
from monitor.models import FeedSpec

# --- editing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A feeds file as read for editing."""

    raw: str | None  # the whole content, None when the file does not exist
    bom: str  # "\ufeff" or ""
    body: str  # the content after the BOM

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.body else "\n"


def _read_for_edit(path: Path, *, missing_ok: bool = False) -> _Text:
    if missing_ok and not path.exists():
        return _Text(None, "", "")
    raw = read_text(path)
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    return _Text(raw, bom, raw.removeprefix(bom))


def _parse_for_edit(path: Path, text: _Text) -> tuple[list[FeedSpec], Defaults, Layout]:
    try:
        return parse_with_layout(text.body, str(path))
    except FeedsFileError as exc:
        raise FeedsFileError(
            exc.problems, headline=f"{path} has problems; fix them before editing it:"
        ) from exc


def _check_result(
    path: Path, new_body: str, expected: Sequence[FeedSpec] | None = None
) -> list[FeedSpec]:
    try:
        feeds = parse_with_layout(new_body, str(path))[0]
    except FeedsFileError as exc:
        raise FeedsFileError(
            exc.problems, headline=f"{path}: edit refused, the result would be invalid:"
        ) from exc
    if expected is not None and feeds != list(expected):
        raise ConfigError(f"{path}: edit refused, the result would not read back as intended")
    return feeds


def _replace_file(path: Path, text: _Text, new_body: str) -> None:
    """Write `new_body` (with the original BOM) to `path` atomically, if it has not changed."""
    target = Path(os.path.realpath(path))
    try:
        now = target.read_bytes().decode("utf-8")
    except FileNotFoundError:
        now = None
    except (OSError, UnicodeDecodeError):
        now = ""
    if now != text.raw:
        raise ConfigError(f"{path} changed while it was being edited; nothing written, try again")
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if text.raw is not None else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text.bom + new_body)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _toml(value: str | bool | Sequence[str]) -> str:
    if isinstance(value, str | bool):
        return tomlkit.item(value).as_string()
    return tomlkit.item(list(value)).as_string()


def _feed_table(spec: FeedSpec, defaults: Defaults, newline: str) -> str:
    """A [[feed]] table with the URL and every key whose value is not the default."""
    language = spec.language.strip().lower() if spec.language else None
    lines = ["[[feed]]", f"url = {_toml(spec.url)}"]
    if spec.name.strip() and spec.name.strip() != default_name(spec.url):
        lines.append(f"name = {_toml(spec.name.strip())}")
    if language and language != defaults.language:
        lines.append(f"language = {_toml(language)}")
    if spec.country:
        lines.append(f"country = {_toml(spec.country.strip().upper())}")
    if spec.source:
        lines.append(f"source = {_toml(spec.source)}")
    if spec.tags:
        lines.append(f"tags = {_toml(spec.tags)}")
    if spec.interval != defaults.interval:
        lines.append(f"interval = {_toml(format_interval(spec.interval))}")
    if spec.enabled != defaults.enabled:
        lines.append(f"enabled = {_toml(spec.enabled)}")
    if spec.fulltext != defaults.fulltext:
        lines.append(f"fulltext = {_toml(spec.fulltext)}")
    if spec.added_by:
        lines.append(f"added_by = {_toml(spec.added_by)}")
    return newline.join(lines) + newline


def add_feed(path: Path, spec: FeedSpec) -> FeedSpec:
    """Append a `[[feed]]` table for `spec` to the end of the file, writing only non-default keys.

    The file is created if it does not exist. An empty `spec.name` means the
    default (the host).

    Args:
        path: the feeds file.
        spec: the feed to add.

    Returns:
        The feed as the file now yields it (defaults applied, codes normalised).

    Raises:
        ConfigError: the URL is already in the file, the file is invalid, or
            the new table would be (e.g. a bad language code); nothing is written.
    """
    text = _read_for_edit(path, missing_ok=True)
    feeds, defaults, _ = _parse_for_edit(path, text)
    for i, feed in enumerate(feeds):
        if url_key(feed.url) == url_key(spec.url):
            same = "" if feed.url == spec.url else f" ({feed.url}: the same feed)"
            raise ConfigError(
                f'{path}: feed "{feed.name}" (#{i + 1}) already has the URL {spec.url}{same}'
            )
        if spec.name and name_key(feed.name) == name_key(spec.name):
            raise ConfigError(
                f'{path}: feed #{i + 1} is already named "{feed.name}" ({feed.url}): '
                "choose another name (--name)"
            )
    nl = text.newline
    body = text.body
    if body and not body.endswith("\n"):
        body += nl
    if body.strip() and not body.endswith(nl + nl):
        body += nl
    body += _feed_table(spec, defaults, nl)
    new_feeds = _check_result(path, body)
    if new_feeds[:-1] != feeds or len(new_feeds) != len(feeds) + 1 or new_feeds[-1].url != spec.url:
        raise ConfigError(f"{path}: edit refused, the result would not read back as intended")
    _replace_file(path, text, body)
    return new_feeds[-1]


def _require_tables(path: Path, layout: Layout, feeds: Sequence[FeedSpec]) -> None:
    if len(layout.feed_headers) != len(feeds):
        raise ConfigError(
            f"{path}: feeds are not all written as [[feed]] tables; edit this file by hand"
        )


def _feed_span(layout: Layout, index: int) -> tuple[int, int]:
    """The 0-based line range [start, end) of the index-th [[feed]] table with its own comments.

    A comment block directly above the header belongs to the table when a blank
    line (or the start of the file) sets it apart from what comes before; a
    comment block directly below the table's last key belongs to it when a
    blank line (or the end of the file) follows. A block touching two tables
    belongs to neither and stays, as do blank lines and set-apart comments.
    """
    kinds = layout.kinds
    header = layout.feed_headers[index]
    start = header
    while start > 0 and kinds[start - 1].kind == "comment":
        start -= 1
    if start > 0 and kinds[start - 1].kind != "blank":
        start = header
    following = layout.next_header(header)
    end = header + 1
    for i in range(header + 1, following):
        if kinds[i].kind in ("key", "more"):
            end = i + 1
    after = end
    while after < following and kinds[after].kind == "comment":
        after += 1
    if after == len(kinds) or kinds[after].kind == "blank":
        end = after
    return start, end


def remove_feed(path: Path, key: str) -> FeedSpec:
    """Remove the feed named by `key` (its URL or name) with the comments directly above it.

    Args:
        path: the feeds file.
        key: the feed's URL or name.

    Returns:
        The removed feed.

    Raises:
        ConfigError: no feed or several feeds match `key` (the message lists
            candidates), or the file is invalid; nothing is written.
    """
    text = _read_for_edit(path)
    feeds, _, layout = _parse_for_edit(path, text)
    index = find_feed(feeds, key, source=str(path))
    _require_tables(path, layout, feeds)
    start, end = _feed_span(layout, index)
    lines = layout.lines
    blank = {i for i, k in enumerate(layout.kinds) if k.kind == "blank"}
    if end == len(lines):
        while start > 0 and start - 1 in blank:
            start -= 1
    elif start == 0 or start - 1 in blank:
        while end < len(lines) and end in blank:
            end += 1
    body = "".join(lines[:start] + lines[end:])
    _check_result(path, body, [*feeds[:index], *feeds[index + 1 :]])
    _replace_file(path, text, body)
    return feeds[index]


_ENABLED_RE = re.compile(r"""^(\s*(?:enabled|"enabled"|'enabled')\s*=\s*)(true|false)""")


def set_enabled(path: Path, key: str, enabled: bool) -> FeedSpec:
    """Enable or disable the feed named by `key` (its URL or name), changing one line.

    An existing `enabled = ...` line gets the new value in place; otherwise a
    line is added after the table's last key. A feed already in that state
    leaves the file untouched.

    Args:
        path: the feeds file.
        key: the feed's URL or name.
        enabled: the new state.

    Returns:
        The feed as the file now yields it.

    Raises:
        ConfigError: no feed or several feeds match `key`, or the file is invalid.
    """
    text = _read_for_edit(path)
    feeds, _, layout = _parse_for_edit(path, text)
    index = find_feed(feeds, key, source=str(path))
    if feeds[index].enabled == enabled:
        return feeds[index]
    _require_tables(path, layout, feeds)
    header = layout.feed_headers[index]
    lines = list(layout.lines)
    value = _toml(enabled)
    last_key = header
    for i in range(header + 1, layout.next_header(header)):
        kind = layout.kinds[i]
        if kind.kind == "key" and kind.path == ("enabled",):
            new_line, count = _ENABLED_RE.subn(lambda m: m.group(1) + value, lines[i], count=1)
            if not count:
                raise ConfigError(
                    f"{path}:{i + 1}: cannot rewrite this 'enabled' line; edit by hand"
                )
            lines[i] = new_line
            break
        if kind.kind in ("key", "more"):
            last_key = i
    else:
        previous = lines[last_key]
        if last_key == header:
            indent = ""
        else:
            start = last_key
            while layout.kinds[start].kind == "more":
                start -= 1
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip(" \t"))]
        if not previous.endswith("\n"):
            lines[last_key] = previous + text.newline
        lines.insert(last_key + 1, f"{indent}enabled = {value}{text.newline}")
    body = "".join(lines)
    expected = [*feeds]
    expected[index] = replace(feeds[index], enabled=enabled)
    _check_result(path, body, expected)
    _replace_file(path, text, body)
    return expected[index]
