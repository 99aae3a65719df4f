"""Throttles for what outsiders can make the bot do: per-user commands, operators' error notes.

Both are pure and take the time from an injected `Clock`, so tests move a fake
clock instead of sleeping. They live in process memory on purpose: only the one
process holding the ``telegram-updates`` role answers chats (`answering`), and a
restart forgetting a minute of counts costs nothing. The code-mail throttle, which
protects other people's mailboxes, is kept in the database instead (`Store.claim_code_mail`).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from monitor.clock import Clock

COMMANDS_PER_WINDOW: Final = 20  # commands, taps and typed answers of one user
COMMAND_WINDOW: Final = timedelta(minutes=1)
NOTE_INTERVAL: Final = timedelta(minutes=10)  # one "handler failed" note per this, at most
MAX_TRACKED_USERS: Final = 10_000  # past this, users idle for a whole window are forgotten


class Verdict(Enum):
    """What to do with one update of a user."""

    ANSWER = "answer"
    SLOW_DOWN = "slow down"  # the first update over the limit: say so, once
    IGNORE = "ignore"  # the later ones, until the window has passed


class CommandRate:
    """At most `limit` updates per user in any `window`; one "slow down", then silence."""

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = COMMANDS_PER_WINDOW,
        window: timedelta = COMMAND_WINDOW,
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._seen: dict[int, deque[datetime]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int) -> Verdict:
        """Count one update of `user_id` and say whether to answer it."""
        now = self._clock.now()
        if len(self._seen) > MAX_TRACKED_USERS:
            self._forget_idle(now)
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        if len(times) < self._limit:
            times.append(now)
            self._warned.discard(user_id)
            return Verdict.ANSWER
        if user_id in self._warned:
            return Verdict.IGNORE
        self._warned.add(user_id)
        return Verdict.SLOW_DOWN

    def _forget_idle(self, now: datetime) -> None:
        idle = [u for u, t in self._seen.items() if not t or now - t[-1] >= self._window]
        for user_id in idle:
            del self._seen[user_id]
            self._warned.discard(user_id)


class NoteThrottle:
    """One operator note per `interval`; the next one says how many were held back."""

    def __init__(self, clock: Clock, *, interval: timedelta = NOTE_INTERVAL) -> None:
        self._clock = clock
        self._interval = interval
        self._last: datetime | None = None
        self._held = 0

    def due(self) -> int | None:
        """None: hold this note back (it is counted). Else: send it, with that many held."""
        now = self._clock.now()
        if self._last is not None and now - self._last < self._interval:
            self._held += 1
            return None
        held, self._held, self._last = self._held, 0, now
        return held
