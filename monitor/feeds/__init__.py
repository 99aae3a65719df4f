"""The feeds.toml file: its format and validation, reloading it, and editing it in place.

Format (see docs/feeds.md)::

    [defaults]            # optional: interval, enabled, fulltext, language
    interval = "30m"

    [[feed]]              # one table per source
    url = "https://www.who.int/rss-feeds/news-english.xml"   # required, http(s)
    name = "WHO news"     # default: the URL's host
    language = "en"       # ISO 639-1 hint
    country = "KR"        # ISO 3166-1 alpha-2
    source = "ministry"   # ministry international state_media wire news search
    tags = ["who", "official"]
    interval = "1h"       # "90s", "15m", "2h", "1d", "1h30m"; at least 1m
    enabled = true
    fulltext = false

The parsing half (`parse_feeds`, `parse_interval`, `format_interval`,
`find_feed`) is pure: text in, values out. Every problem of a file is reported
at once, each with its line, the feed's name and position, and the key.

`FeedsFile` is what the service holds: it re-reads the file when it changes and
keeps the last good list while the file is broken. `add_feed`, `remove_feed`
and `set_enabled` edit the text of the file, touching only the edited
`[[feed]]` table, so the operator's comments and layout survive byte for byte;
values are rendered with tomlkit, and the result is parsed and compared with
the intended list before it atomically replaces the file.
"""

from __future__ import annotations

from monitor.durations import format_interval, parse_interval
from monitor.feeds.edit import add_feed, remove_feed, set_enabled
from monitor.feeds.schema import (
    FeedsFileError,
    default_name,
    find_feed,
    load_feeds,
    parse_feeds,
)
from monitor.feeds.watch import FeedsFile

__all__ = [
    "FeedsFile",
    "FeedsFileError",
    "add_feed",
    "default_name",
    "find_feed",
    "format_interval",
    "load_feeds",
    "parse_feeds",
    "parse_interval",
    "remove_feed",
    "set_enabled",
]
