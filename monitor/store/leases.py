"""Leases across tables: who holds feeds and alerts now, and freeing a dead holder's.

Feeds (`FeedRows.claim_due_feeds`) and alerts (`OutboxRows.claim_deliveries`) are
leased to a worker until ``lease_until``. A worker that died without releasing them
(see `monitor.workers`) has its leases freed here at once, so a restarted service
polls and sends them without waiting for the term to run out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, union, update

from monitor.store.engine import StoreBase
from monitor.store.outbox import PENDING
from monitor.store.schema import DELIVERIES, FEEDS


class LeaseRows(StoreBase):
    """Lease holders of feeds and deliveries."""

    def lease_holders(self, now: datetime) -> set[str]:
        """Workers holding an unexpired lease on a feed or a pending delivery at `now`."""
        stmt = union(
            select(FEEDS.c.lease_owner).where(FEEDS.c.lease_until > now),
            select(DELIVERIES.c.lease_owner).where(
                DELIVERIES.c.status == PENDING, DELIVERIES.c.lease_until > now
            ),
        )
        with self._begin("reading lease holders") as conn:
            return {holder for holder in conn.scalars(stmt) if holder is not None}

    def release_leases_of(self, holders: Sequence[str]) -> tuple[int, int]:
        """Free every lease `holders` hold; (feeds, deliveries) freed."""
        if not holders:
            return 0, 0
        free = {"lease_owner": None, "lease_until": None}
        with self._begin("freeing the leases of dead workers", write=True) as conn:
            feeds = conn.execute(
                update(FEEDS).where(FEEDS.c.lease_owner.in_(list(holders))).values(free)
            ).rowcount
            deliveries = conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.lease_owner.in_(list(holders)), DELIVERIES.c.status == PENDING)
                .values(free)
            ).rowcount
        return int(feeds), int(deliveries)
