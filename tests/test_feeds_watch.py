"""feeds.toml reloaded while the service runs (monitor/feeds/watch.py): changes are
picked up, a broken edit keeps the last good list."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.feeds import (
    FeedsFile,
    add_feed,
)
from monitor.models import FeedSpec


def bump_mtime(path: Path) -> None:
    """Make a change visible to FeedsFile without sleeping."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


# --- watching ----------------------------------------------------------------

GOOD = '[[feed]]\nurl = "https://a.example/rss"\nname = "A"\n'
GOOD2 = GOOD + '\n[[feed]]\nurl = "https://b.example/rss"\nname = "B"\n'
BROKEN = GOOD + 'intervall = "15m"\n'


def test_feeds_file_first_load_failure_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(BROKEN)
    with pytest.raises(ConfigError, match="intervall"):
        FeedsFile(path)
    with pytest.raises(ConfigError, match="not found"):
        FeedsFile(tmp_path / "missing.toml")


def test_feeds_file_reloads_on_change(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    feeds = FeedsFile(path)
    assert [f.name for f in feeds.current()] == ["A"]
    path.write_text(GOOD2)
    bump_mtime(path)
    assert [f.name for f in feeds.current()] == ["A", "B"]
    assert feeds.last_error is None


def test_feeds_file_reads_only_when_mtime_or_size_changes(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    feeds = FeedsFile(path)
    before = path.stat()
    path.write_text(GOOD.replace('"A"', '"Z"'))  # same size, same inode
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert [f.name for f in feeds.current()] == ["A"]
    bump_mtime(path)
    assert [f.name for f in feeds.current()] == ["Z"]


def test_feeds_file_keeps_last_good_list_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD2)
    feeds = FeedsFile(path)
    caplog.set_level(logging.INFO, logger="monitor.feeds")

    path.write_text(BROKEN)
    bump_mtime(path)
    assert [f.name for f in feeds.current()] == ["A", "B"]
    assert [f.name for f in feeds.current()] == ["A", "B"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "unknown key 'intervall'" in errors[0].getMessage()
    assert isinstance(feeds.last_error, ConfigError)
    assert "feeds.toml:4" in str(feeds.last_error)

    path.write_text(BROKEN.replace("intervall", "intervals"))  # another broken version
    bump_mtime(path)
    feeds.current()
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2

    path.write_text(GOOD)  # fixed: picked up without a restart
    bump_mtime(path)
    assert [f.name for f in feeds.current()] == ["A"]
    assert feeds.last_error is None


def test_feeds_file_survives_the_file_disappearing(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    feeds = FeedsFile(path)
    path.unlink()
    assert [f.name for f in feeds.current()] == ["A"]
    assert feeds.last_error is not None and "not found" in str(feeds.last_error)
    path.write_text(GOOD2)
    assert [f.name for f in feeds.current()] == ["A", "B"]


def test_feeds_file_sees_edits(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    feeds = FeedsFile(path)
    add_feed(path, FeedSpec(url="https://c.example/rss", name="C"))
    assert [f.name for f in feeds.current()] == ["A", "C"]
