"""The parser pool's processes end with the process that started them, even after `kill -9`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from feedserver import FeedServer

from monitor.cpu_pool import open_cpu_pool

MONITOR = str(Path(sys.executable).with_name("monitor"))
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid>'
    b"<title>Korea and Laos sign a health MOU</title><link>http://news.test/1</link>"
    b"</item></channel></rss>"
)
PROC = Path("/proc")

pytestmark = pytest.mark.skipif(not PROC.is_dir(), reason="reads the process tree from /proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process; None when it is gone or a zombie."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    state, ppid = text.rpartition(")")[2].split()[:2]
    return None if state in ("Z", "X") else (state, int(ppid))


def descendants(root: int) -> set[int]:
    """The live processes below `root`, children and their children."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[1]
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def grandchildren(root: int) -> set[int]:
    """Pool workers: the children of the fork server that `root` started."""
    return {pid for pid in descendants(root) if (stat := _stat(pid)) and stat[1] != root}


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s:g} s")
        time.sleep(0.05)


def test_pool_children_exit_when_monitor_is_killed(tmp_path: Path, feed_server: FeedServer) -> None:
    """A real `monitor poll` parses one feed in the pool and waits on a slow one: kill -9."""
    fast = feed_server.add("/fast.xml", RSS)
    slow = feed_server.add_drip("/slow.xml", RSS * 200, 0.5)  # in flight for minutes
    (tmp_path / "feeds.toml").write_text(
        f'[[feed]]\nurl = "{fast}"\n\n[[feed]]\nurl = "{slow}"\n', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_FEEDS": str(tmp_path / "feeds.toml"), "MONITOR_DATA_DIR": str(tmp_path)}
    with open(tmp_path / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(
            [MONITOR, "poll", "--once", "--all", "--no-classify"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        # the fast feed parsed (a pool worker below the forkserver), the slow one in flight
        wait_for(
            lambda: feed_server.hits("/slow.xml") >= 1 and bool(grandchildren(proc.pid)),
            60,
            "the pool started",
        )
        children = descendants(proc.pid)
        proc.kill()  # SIGKILL: no handler, no pool.shutdown()
        proc.wait()
        wait_for(
            lambda: not any(_stat(pid) for pid in children),
            10,
            f"children {sorted(children)} gone",
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in descendants(proc.pid) | children:  # a failed test leaves no orphans
            if _stat(pid) is not None:
                os.kill(pid, signal.SIGKILL)


def _square(n: int) -> int:
    return n * n


def test_the_pool_still_works() -> None:
    with open_cpu_pool(2) as pool:
        assert list(pool.map(_square, range(5))) == [0, 1, 4, 9, 16]
