"""Workers in lease columns: names, dead holders, and freeing their leases at start."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from test_store_outbox import LEASE, subscribe
from test_store_subscriptions import MODEL, NOW, add_item, labels

from monitor.alerts.router import Router
from monitor.models import FeedSpec
from monitor.service import free_leases_of_dead_workers
from monitor.store import Store
from monitor.workers import dead_workers, local_scope, pid_alive, worker_name

SCOPE = "0badcafe"


def test_a_worker_is_named_by_host_pid_and_the_scope_its_pid_means_something_in() -> None:
    host, pid, scope = worker_name().rsplit(":", 2)
    assert host
    assert pid.isdigit()
    assert scope == local_scope()
    assert len(scope) == 8  # this is Linux: boot id and pid namespace are readable


def test_only_stopped_processes_of_this_machine_and_namespace_are_dead() -> None:
    running = {10, 11}
    holders = [
        f"here:10:{SCOPE}",  # running
        f"here:12:{SCOPE}",  # stopped
        f"there:13:{SCOPE}",  # another host name, same scope (a renamed host): stopped
        "elsewhere:14:deadbeef",  # another machine or container: never judged
        "old-style:15",  # no scope: never judged
        f"me:99:{SCOPE}",  # this process
        f"bad:pid:{SCOPE}",
    ]

    dead = dead_workers(holders, scope=SCOPE, alive=lambda pid: pid in running, me=f"me:99:{SCOPE}")

    assert dead == [f"here:12:{SCOPE}", f"there:13:{SCOPE}"]
    assert dead_workers(holders, scope="", alive=lambda pid: False, me="x") == []


def finished_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    code = "import os; print(os.getpid())"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(done.stdout)


def test_pid_alive_tells_a_running_process_from_a_finished_one() -> None:
    assert pid_alive(finished_pid()) is False
    assert pid_alive(os.getpid()) is True


def test_leases_of_a_dead_worker_are_freed_at_once_and_nobody_elses(store: Store) -> None:
    feeds = [FeedSpec(url=f"https://{n}.example/rss", name=n) for n in ("a", "b")]
    store.sync_feeds(feeds, NOW)
    subscribe(store, 1)
    subscribe(store, 2)
    Router(store).save_labels_and_route(add_item(store, 1, "MOU"), "h1", MODEL, labels(), NOW)
    dead = f"host:{finished_pid()}:{local_scope()}"
    other = "elsewhere:1:deadbeef"
    assert store.claim_due_feeds(dead, NOW, LEASE, limit=1) == ["https://a.example/rss"]
    assert store.claim_due_feeds(other, NOW, LEASE, limit=1) == ["https://b.example/rss"]
    assert [d.chat_id for d in store.claim_deliveries(dead, NOW, LEASE, limit=1)] == [1]
    assert [d.chat_id for d in store.claim_deliveries(other, NOW, LEASE, limit=1)] == [2]
    later = NOW + timedelta(seconds=5)  # both leases still run
    assert store.lease_holders(later) == {dead, other}

    free_leases_of_dead_workers(store, later)

    assert store.lease_holders(later) == {other}
    me = worker_name()
    assert store.claim_due_feeds(me, later, LEASE) == ["https://a.example/rss"]
    assert [d.chat_id for d in store.claim_deliveries(me, later, LEASE)] == [1]


def test_a_role_is_held_by_one_worker_until_its_lease_runs_out(store: Store) -> None:
    term = timedelta(seconds=45)
    assert store.hold_role("answer", "a", NOW, term) is True
    assert store.hold_role("answer", "b", NOW + timedelta(seconds=10), term) is False
    assert store.hold_role("answer", "a", NOW + timedelta(seconds=15), term) is True  # renewed
    assert store.hold_role("answer", "b", NOW + timedelta(seconds=55), term) is False
    assert store.hold_role("answer", "b", NOW + timedelta(seconds=61), term) is True  # ran out
    assert store.hold_role("answer", "a", NOW + timedelta(seconds=62), term) is False
    store.release_role("answer", "a")  # not a's any more: nothing happens
    assert store.lease_holders(NOW + timedelta(seconds=62)) == {"b"}
    store.release_role("answer", "b")
    assert store.hold_role("answer", "a", NOW + timedelta(seconds=63), term) is True


def test_a_dead_workers_role_is_freed_with_its_other_leases(store: Store) -> None:
    dead = f"host:{finished_pid()}:{local_scope()}"
    assert store.hold_role("answer", dead, NOW, timedelta(seconds=45)) is True

    free_leases_of_dead_workers(store, NOW + timedelta(seconds=1))

    assert store.hold_role("answer", worker_name(), NOW + timedelta(seconds=1), LEASE) is True
