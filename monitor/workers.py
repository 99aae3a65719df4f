"""Names of service processes in lease columns, and which of them are known to be dead.

A lease (a feed being polled, an alert being sent) names its holder. A process that
is killed (`kill -9`, a crash, the machine's power) cannot release its leases; they
expire after their term (2 minutes for alerts). A restarted process need not wait that
long for the leases of its own machine: it can see that their holder's pid is gone.

The name is ``host:pid:scope``. The scope is a digest of the kernel's boot id and the
process's pid namespace, so a pid is only ever judged on the machine (and container)
where it means that process; holders elsewhere, and any pid still running (even one the
system has reused for another program), keep their leases until they expire.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
PID_NAMESPACE = "/proc/self/ns/pid"


@cache
def local_scope() -> str:
    """This boot of this machine and this pid namespace, as 8 hex digits; "" if unknown."""
    try:
        boot = BOOT_ID.read_text().strip()
        namespace = os.readlink(PID_NAMESPACE)
    except OSError:  # not Linux, or /proc is hidden: no one's pid can be judged
        return ""
    return hashlib.sha1(f"{boot}|{namespace}".encode()).hexdigest()[:8]


def worker_name() -> str:
    """This process's name in lease columns."""
    return f"{socket.gethostname()}:{os.getpid()}:{local_scope()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def dead_workers(
    holders: Iterable[str],
    *,
    scope: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
    me: str | None = None,
) -> list[str]:
    """The holders that are processes of this machine and namespace which no longer run."""
    scope = local_scope() if scope is None else scope
    me = worker_name() if me is None else me
    if not scope:
        return []
    dead = []
    for holder in holders:
        parts = holder.rsplit(":", 2)
        if len(parts) != 3 or parts[2] != scope or holder == me or not parts[1].isdigit():
            continue
        if not alive(int(parts[1])):
            dead.append(holder)
    return sorted(dead)
