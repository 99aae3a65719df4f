"""Which process answers the bot's chats: the one holding the role, renewed by the scheduler.

Telegram hands a bot's updates to one long poller at a time; a second ``getUpdates``
gets 409 Conflict, and two processes would take turns failing. Every `monitor run`
sends alerts, but only the holder of the ``telegram-updates`` role (a lease in the
database, `Store.hold_role`) polls for updates and so answers commands and buttons.
The role is renewed every `RENEW_EVERY`; if its holder stops, another process takes it
over when its lease runs out (at once, if the holder was killed on the same machine and
a process restarts there: `monitor.service.free_leases_of_dead_workers`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol

from monitor.clock import Clock

if TYPE_CHECKING:
    from telegram.ext import Updater

log = logging.getLogger(__name__)

ROLE: Final = "telegram-updates"
RENEW_EVERY: Final = timedelta(seconds=15)
TERM: Final = timedelta(seconds=45)  # three renewals missed before another process takes over


class RoleStore(Protocol):
    def hold_role(self, role: str, worker: str, now: datetime, term: timedelta) -> bool: ...

    def release_role(self, role: str, worker: str) -> None: ...


class ChatAnswering:
    """Starts and stops the updater's long polling as this process gains or loses the role."""

    def __init__(self, updater: Updater, store: RoleStore, *, worker: str, clock: Clock) -> None:
        self._updater = updater
        self._store = store
        self._worker = worker
        self._clock = clock
        self._lock = asyncio.Lock()

    @property
    def answering(self) -> bool:
        return self._updater.running

    async def keep(self) -> None:
        """Take or renew the role; poll for updates while it is ours, stop when it is not."""
        async with self._lock:
            held = await asyncio.to_thread(
                self._store.hold_role, ROLE, self._worker, self._clock.now(), TERM
            )
            if held and not self._updater.running:
                await self._updater.start_polling()
                log.info("this process answers the bot's chats")
            elif not held and self._updater.running:
                await self._updater.stop()
                log.warning("another process answers the bot's chats now")
            elif not held:
                log.debug("another process answers the bot's chats")

    async def stop(self) -> None:
        """Stop polling and give the role up, so another process can take it at once."""
        async with self._lock:
            if self._updater.running:
                await self._updater.stop()
            await asyncio.to_thread(self._store.release_role, ROLE, self._worker)
