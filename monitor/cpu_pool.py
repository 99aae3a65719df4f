"""The process pool beside the event loop (feed parsing), whose workers die with their owner.

`ProcessPoolExecutor` workers wait on a pipe whose writing end they hold themselves,
so when the service is killed (`kill -9`, the OOM killer) they would wait forever,
orphaned. Each worker therefore ties its life to its parent at start
(`exit_with_parent`): on Linux the kernel sends it SIGKILL when its parent ends
(``prctl(PR_SET_PDEATHSIG)``); everywhere a watchdog thread notices the parent
changed (the worker was re-parented) or the owner's pid is gone, and ends the worker.
With the forkserver start method the parent is the fork server, which itself exits
as soon as its owner is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_EVERY_S = 1.0  # how soon a worker notices its owner is gone without prctl


def open_cpu_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes started by a fork server, each ending with this process.

    forkserver: workers start from a clean process, not a fork of one running model threads.
    """
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=exit_with_parent,
        initargs=(os.getpid(),),
    )


def exit_with_parent(owner_pid: int) -> None:
    """Pool initializer: end this worker when its parent or `owner_pid` ends."""
    parent = os.getppid()
    _kill_me_with_my_parent()
    if os.getppid() != parent or not _alive(owner_pid):  # it ended before prctl took effect
        os._exit(1)
    threading.Thread(
        target=_watch, args=(parent, owner_pid), name="exit-with-parent", daemon=True
    ).start()


def _kill_me_with_my_parent() -> None:
    """Ask Linux for SIGKILL when the parent ends; elsewhere the watchdog alone acts."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())


def _watch(parent: int, owner_pid: int) -> None:
    """Watchdog: poll the parent and the owner; end the worker at once when either is gone."""
    stopped = threading.Event()
    while not stopped.wait(WATCH_EVERY_S):
        if os.getppid() != parent or not _alive(owner_pid):
            os._exit(1)


def _alive(pid: int) -> bool:
    """Whether `pid` names a live process (a zombie counts as ended where /proc tells)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return True  # no /proc: the signal answered, so it exists
