"""Leases across tables: who holds feeds, alerts and roles now, and freeing a dead holder's.

Feeds (`FeedRows.claim_due_feeds`) and alerts (`OutboxRows.claim_deliveries`) are
leased to a worker until ``lease_until``; so are roles, which one process at a time
holds (`hold_role`: answering the Telegram bot's chats). A worker that died without
releasing them (see `monitor.workers`) has its leases freed here at once, so a
restarted service polls, sends and answers without waiting for the term to run out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, union, update

from monitor.models import PENDING
from monitor.store.engine import StoreBase
from monitor.store.outbox import delivery_lease_holders
from monitor.store.schema import DELIVERIES, FEEDS, ROLES


class LeaseRows(StoreBase):
    """Lease holders of feeds, deliveries and roles."""

    def lease_holders(self, now: datetime) -> set[str]:
        """Workers holding an unexpired lease on a feed, a pending delivery or a role at `now`."""
        stmt = union(
            select(FEEDS.c.lease_owner).where(FEEDS.c.lease_until > now),
            delivery_lease_holders(now),
            select(ROLES.c.lease_owner).where(ROLES.c.lease_until > now),
        )
        with self._begin("reading lease holders") as conn:
            return {holder for holder in conn.scalars(stmt) if holder is not None}

    def release_leases_of(self, holders: Sequence[str]) -> tuple[int, int, int]:
        """Free every lease `holders` hold; (feeds, deliveries, roles) freed."""
        if not holders:
            return 0, 0, 0
        dead = list(holders)
        free = {"lease_owner": None, "lease_until": None}
        with self._begin("freeing the leases of dead workers", write=True) as conn:
            feeds = conn.execute(
                update(FEEDS).where(FEEDS.c.lease_owner.in_(dead)).values(free)
            ).rowcount
            deliveries = conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.lease_owner.in_(dead), DELIVERIES.c.status == PENDING)
                .values(free)
            ).rowcount
            roles = conn.execute(delete(ROLES).where(ROLES.c.lease_owner.in_(dead))).rowcount
        return int(feeds), int(deliveries), int(roles)

    def hold_role(self, role: str, worker: str, now: datetime, term: timedelta) -> bool:
        """Take `role` for `worker` until ``now + term``, or renew it; whether `worker` holds it.

        A role that another worker holds is taken only once its lease has run out.
        """
        insert = self._insert(ROLES).values(name=role, lease_owner=worker, lease_until=now + term)
        take = insert.on_conflict_do_update(
            index_elements=[ROLES.c.name],
            set_={"lease_owner": worker, "lease_until": now + term},
            where=(ROLES.c.lease_owner == worker) | (ROLES.c.lease_until < now),
        )
        with self._begin("holding a role", write=True) as conn:
            conn.execute(take)
            holder = conn.scalar(select(ROLES.c.lease_owner).where(ROLES.c.name == role))
        return bool(holder == worker)

    def release_role(self, role: str, worker: str) -> None:
        """Give `role` up, if `worker` holds it."""
        with self._begin("releasing a role", write=True) as conn:
            conn.execute(delete(ROLES).where(ROLES.c.name == role, ROLES.c.lease_owner == worker))
