"""The routing decision: which chats a newly classified item alerts, and which get a reply.

The policy is pure and lives here; the store only reads what it is asked and
writes what was decided (`monitor.store.routes`), all in the ONE transaction
that also stores the item's labels, so a crash never keeps the labels and
loses the alerts (or the reverse). For each item, in order:

1. `matching_chats` (pure): relevant items only; nothing older than
   `MAX_ALERT_AGE` (a new feed's back catalogue); the chats whose filter lets it
   through (`SubscriptionIndex`); muted chats too (their alerts are held and
   summarised when the mute ends: `monitor.alerts.quiet`).
2. `story_decision` (pure): the items alerted within `STORY_WINDOW` that report
   the same story (`monitor.alerts.stories.same_story`).
3. `split_by_story` (pure), given what each chat already got of those stories:
   a chat that got the story's first alert gets an ``also`` reply to it (at most
   `MAX_REPLIES_PER_STORY`), every other chat an ``alert``.

`replies_for_copies` (pure) decides the replies for near-duplicates dedup linked
to alerted items (`Router.route_duplicates`).

A `Router` owns the caches that make this cheap per item: the index (rebuilt
when the subscriptions' version changes) and the alerted items' embeddings and
labels, which never change, so each is read once per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Protocol

from classifiers.base import Labels
from monitor.alerts.routing import SubscriptionIndex
from monitor.alerts.stories import (
    MAX_REPLIES_PER_STORY,
    STORY_WINDOW,
    StoryCandidate,
    same_story,
    split_by_story,
    with_story_session,
)
from monitor.models import AlertedItem, RouteResult, Subscription

MAX_ALERT_AGE: Final = timedelta(days=2)  # older news (a new feed's back catalogue) alerts no one
STORY_CACHE_SLACK: Final = 1000


class RoutingTransaction(Protocol):
    """What routing reads and writes inside the store's one transaction."""

    def item_to_route(self, item_id: int) -> tuple[str, str, datetime, str | None] | None: ...

    def subscriptions_version(self) -> tuple[int, int]: ...

    def instant_subscriptions(self) -> list[Subscription]: ...

    def alerted_since(self, since: datetime, *, other_than: int) -> set[int]: ...

    def alerted_items(self, item_ids: Sequence[int], model_id: str) -> list[AlertedItem]: ...

    def story_alerts(
        self, chats: Sequence[int], stories: Sequence[int]
    ) -> tuple[dict[int, int], dict[tuple[int, int], int]]: ...

    def unreported_copies(self, since: datetime) -> list[tuple[int, str, int, int]]: ...

    def reported_feeds(self, stories: Sequence[int]) -> dict[tuple[int, int], set[str]]: ...

    def save_labels(
        self, content_hash: str, model_id: str, labels: Labels, now: datetime
    ) -> None: ...

    def queue_alerts(
        self, item_id: int, model_id: str, chats: Sequence[int], now: datetime
    ) -> None: ...

    def set_story(self, item_id: int, story_id: int) -> None: ...

    def queue_replies(
        self, replies: Sequence[tuple[int, int, int]], model_id: str | None, now: datetime
    ) -> None: ...


class RoutingStore(Protocol):
    """The part of `monitor.store.Store` routing uses: its one transaction."""

    def routing(self, what: str = ...) -> AbstractContextManager[RoutingTransaction]: ...


@dataclass(frozen=True)
class Audience:
    """The chats with instant alerts on, indexed by their filters (muted ones too)."""

    index: SubscriptionIndex = field(default_factory=SubscriptionIndex)

    @classmethod
    def build(cls, subscriptions: Iterable[Subscription]) -> Audience:
        return cls(SubscriptionIndex.build((s.chat_id, s.filter) for s in subscriptions))


def matching_chats(
    labels: Labels,
    *,
    title: str,
    text: str,
    seen_at: datetime,
    audience: Audience,
    now: datetime,
    source: str | None = None,
) -> list[int]:
    """The chats an item alerts (or answers), ascending, before the story rule.

    Irrelevant items and items published (else first seen) more than
    `MAX_ALERT_AGE` before `now` go to no one. Muted chats are matched too: the
    deliverer holds their alerts for the summary after the mute. `source` is the
    item's feed's source type (a filter may ask for official sources only).
    """
    if not labels.relevant or seen_at < now - MAX_ALERT_AGE:
        return []
    return audience.index.match(labels, title=title, text=text, source=source)


def story_candidate(alerted: AlertedItem) -> StoryCandidate:
    """What the story rule keeps of an alerted item (cached once per item)."""
    labels = replace(alerted.labels, embedding=())  # the vector is kept once, as `vector`
    candidate = StoryCandidate.of(
        alerted.item_id, labels, title=alerted.title, text=alerted.text, at=alerted.at
    )
    return replace(candidate, vector=alerted.vector)


def story_decision(
    labels: Labels,
    candidates: Sequence[StoryCandidate],
    *,
    title: str = "",
    text: str = "",
    at: datetime | None = None,
) -> list[int]:
    """The story step: ids of the alerted items that report `labels`' story, closest first.

    The one place routing applies the same-story rule (`monitor.alerts.stories`).
    """
    return same_story(labels, candidates, title=title, text=text, at=at)


def story_members(
    matches: Sequence[int], story_of: Mapping[int, int], window: Iterable[int]
) -> tuple[int, list[int]]:
    """The story an item joins (the best match's story id) and its alerted items in the window.

    A chat's first alert of the story may be any of them, not only the best match.
    """
    story = story_of.get(matches[0], matches[0])
    members = [i for i in window if story_of.get(i, i) == story]
    return story, list(dict.fromkeys([*matches[:1], *sorted(members)]))


def replies_for_copies(
    copies: Sequence[tuple[int, str, int, int]],
    replies_so_far: Mapping[tuple[int, int], int],
    reported: Mapping[tuple[int, int], set[str]],
    *,
    max_replies: int = MAX_REPLIES_PER_STORY,
) -> list[tuple[int, int, int]]:
    """(chat, copy, story) replies for copies of alerted items, in the copies' order.

    At most `max_replies` per chat and story, and one per feed: a second copy from
    a feed already reported under the story's alert is not mentioned.

    Args:
        copies: (copy id, its feed URL, original id, chat alerted about the original).
        replies_so_far: (chat, story) -> replies already queued under that alert.
        reported: (chat, story) -> feeds whose copies were already reported.
    """
    counts = dict(replies_so_far)
    told = {key: set(feeds) for key, feeds in reported.items()}
    replies: list[tuple[int, int, int]] = []
    for copy_id, feed_url, story, chat in copies:
        key = (chat, story)
        if counts.get(key, 0) >= max_replies or feed_url in told.setdefault(key, set()):
            continue
        told[key].add(feed_url)
        counts[key] = counts.get(key, 0) + 1
        replies.append((chat, copy_id, story))
    return replies


class Router:
    """Routes classified items through one store, keeping the caches between calls."""

    def __init__(self, store: RoutingStore) -> None:
        self._store = store
        self._audience: tuple[tuple[int, int], Audience] | None = None  # by subscriptions' version
        self._stories: dict[str, dict[int, StoryCandidate]] = {}  # model id -> item id -> it
        self._story_of: dict[int, int] = {}  # alerted item id -> its story id

    def save_labels_and_route(
        self, item_id: int, content_hash: str, model_id: str, labels: Labels, now: datetime
    ) -> RouteResult:
        """Store a new original's labels and embedding and queue its alerts, in one transaction.

        Every active subscription with instant alerts (muted ones too) whose
        filter matches gets an ``alert`` row, unless the item is the same story
        (`monitor.alerts.stories`) as one that chat was already alerted about
        within the story window: then an ``also`` row replying to that alert.
        Items published more than `MAX_ALERT_AGE` before `now` alert no one.
        Calling it again for the same item adds nothing (one row per chat and item).
        """
        return self.save_labels_and_route_many([(item_id, content_hash, labels)], model_id, now)[0]

    def save_labels_and_route_many(
        self, items: Sequence[tuple[int, str, Labels]], model_id: str, now: datetime
    ) -> list[RouteResult]:
        """`save_labels_and_route` for a classified batch of (item id, content hash, labels).

        One transaction for the batch: a commit costs as much as routing an item to
        a hundred chats. Items are routed in order, so a later one in the batch is
        the same story as an earlier one (a reply) just as across batches.
        """
        with self._store.routing() as tx:
            # read once a batch: subscriptions cannot change inside this write transaction
            audience = self._current_audience(tx)
            return [
                self._save_and_route(tx, audience, item_id, content_hash, model_id, labels, now)
                for item_id, content_hash, labels in items
            ]

    def route_duplicates(self, now: datetime) -> int:
        """Queue "also reported" replies for near-duplicates that dedup linked to alerted items.

        A copy from another feed, first seen within the story window, becomes an
        ``also`` row for each chat that got (or is getting) the original's alert,
        at most `MAX_REPLIES_PER_STORY` per story and one per feed. Copies from the
        original's own feed (an edited repost) are not mentioned. Idempotent: run
        on every drain; returns the rows added.
        """
        with self._store.routing("routing duplicates") as tx:
            copies = tx.unreported_copies(now - STORY_WINDOW)
            if not copies:
                return 0
            stories = sorted({story for _, _, story, _ in copies})
            chats = sorted({chat for _, _, _, chat in copies})
            _, replies_so_far = tx.story_alerts(chats, stories)
            replies = replies_for_copies(copies, replies_so_far, tx.reported_feeds(stories))
            tx.queue_replies(replies, None, now)
        return len(replies)

    def _save_and_route(
        self,
        tx: RoutingTransaction,
        audience: Audience,
        item_id: int,
        content_hash: str,
        model_id: str,
        labels: Labels,
        now: datetime,
    ) -> RouteResult:
        tx.save_labels(content_hash, model_id, labels, now)
        if not labels.relevant:
            return RouteResult()
        item = tx.item_to_route(item_id)
        if item is None:
            return RouteResult()
        title, text, seen_at, source = item
        chats = matching_chats(
            labels,
            title=title,
            text=text,
            seen_at=seen_at,
            audience=audience,
            now=now,
            source=source,
        )
        if not chats:
            return RouteResult()
        stories: list[int] = []
        story = item_id
        if labels.embedding:
            candidates = self._story_candidates(tx, item_id, model_id, now)
            matches = story_decision(labels, candidates, title=title, text=text, at=seen_at)
            if matches:
                window = [c.item_id for c in candidates]
                story, stories = story_members(matches, self._story_of, window)
        tx.set_story(item_id, story)
        first_alerts, replies_so_far = tx.story_alerts(chats, stories)
        alerts, replies = split_by_story(chats, first_alerts, replies_so_far)
        tx.queue_alerts(item_id, model_id, alerts, now)
        tx.queue_replies([(chat, item_id, story) for chat, story in replies], model_id, now)
        return RouteResult(tuple(alerts), tuple(replies))

    def _current_audience(self, tx: RoutingTransaction) -> Audience:
        """The index, rebuilt when the subscriptions changed (their version moved)."""
        version = tx.subscriptions_version()
        if self._audience is None or self._audience[0] != version:
            self._audience = (version, Audience.build(tx.instant_subscriptions()))
        return self._audience[1]

    def _story_candidates(
        self, tx: RoutingTransaction, item_id: int, model_id: str, now: datetime
    ) -> list[StoryCandidate]:
        """The items alerted within the story window, as the story rule compares them.

        Their vectors and labels never change, so each is read once per process and
        kept; only the ids of the window's alerted items are read per call.
        """
        ids = tx.alerted_since(now - STORY_WINDOW, other_than=item_id)
        cache = self._stories.setdefault(model_id, {})
        missing = [i for i in ids if i not in cache]
        if missing:
            for alerted in tx.alerted_items(missing, model_id):
                cache[alerted.item_id] = story_candidate(alerted)
                self._story_of[alerted.item_id] = alerted.story_id or alerted.item_id
        if len(cache) > 2 * len(ids) + STORY_CACHE_SLACK:  # forget stories out of the window
            for old in [i for i in cache if i not in ids]:
                del cache[old]
                self._story_of.pop(old, None)
        window = [cache[i] for i in sorted(ids) if i in cache]
        # a report naming no session takes its story's ("the meeting" of the 19th meeting)
        sessions: dict[int, int] = {}
        for c in window:
            if c.session is not None:
                sessions.setdefault(self._story_of.get(c.item_id, c.item_id), c.session)
        if not sessions:
            return window
        return [
            with_story_session(c, sessions.get(self._story_of.get(c.item_id, c.item_id)))
            for c in window
        ]
