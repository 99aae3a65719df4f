"""SQL storage: `Store`, the union of one module per domain over `engine.StoreBase`.

SQLAlchemy Core, synchronous, one engine per `Store`, one short transaction per
call. SQLite is the default (a file, WAL mode, 30 s busy timeout, foreign keys
on); a ``postgresql+psycopg://`` URL selects PostgreSQL with no other change.
This package is the only place that imports sqlalchemy; its errors leave as
`StoreError` (chained with ``from exc``) naming the URL with the password
masked. The schema is owned by the Alembic migrations in `migrations/`;
`Store.open` upgrades to head (tables here and there must agree: a test
compares them).

API::

    Store.open(url, *, busy_timeout_s=30.0) -> Store    # also a context manager
    store.close()

    # feeds (rows are never deleted: a feed that left feeds.toml keeps its history)
    sync_feeds(specs, now)          upsert name/enabled/language/country; new and
                                    re-listed feeds are due now; unlisted get removed_at
    mark_all_due(now)               every active feed due now (``monitor poll --all``)
    claim_due_feeds(worker, now, lease, *, limit=100, include_not_due=False) -> [url]
    release(url, worker)            give a lease back without recording anything
    feed_state(url) -> FeedState | None
    record_success(url, *, now, status, etag, last_modified, entries, encoding,
                   problem, next_due_at)        errors reset; lease released
    record_failure(url, *, now, error, status, next_due_at)   errors + 1; lease released
    feed_health(now=None) -> [FeedHealth]       FeedState fields + name, enabled,
                                                removed_at, item counts, lease_owner
    feed_names() -> {url: name}
    feed_sources() -> {url: source type}        feeds.toml's `source`, labelled feeds only
    feed_arrivals(per_feed) -> {url: [first_seen_at, newest first]}   for silent feeds
    relevant_counts(since) -> {url: relevant items first seen since}  for coverage

    # items and deduplication
    find_item_by_key(feed_url, guid, url, content_hash) -> original id | None
    near_duplicate_candidates(bands, limit=50) -> [(original id, signature)]
    add_item(item, *, first_seen_at, content_hash, signature, bands, duplicate_of) -> id | None
    set_fulltext(item_id, text)
    item(item_id) -> StoredItem | None
    recent_items(limit=50, *, originals_only=True) -> [StoredItem]
    items_per_day(days, now, *, originals_only=False) -> [(date, count)]

    # classification cache: the same text is never classified twice by one model
    cached_labels(content_hashes, model_id) -> {content_hash: Labels}
    save_labels(content_hash, model_id, labels, now)           idempotent (upsert)
    items_with_labels(model_id, *, since=None, limit=100, originals_only=True)
        -> [(StoredItem, Labels | None)]

    # the labelling queue: originals left unlabelled by a failed write or classifier error
    unlabelled_items(model_id, now, *, grace, since, max_attempts, limit=64)
        -> [(StoredItem, failed tries)]
    record_label_failures(item_ids, error, retry_at)   a try counted; the next one's time
    label_failures(*, max_attempts) -> LabelFailures(retrying, given_up, last_error)

    # alerts (subscriptions.py, routes.py, outbox.py, notices.py, feedback.py, vectors.py)
    subscription(chat_id) -> Subscription | None
    subscriptions(*, active_only=True) -> [Subscription]
    save_subscription(sub, now)  remove_subscription(chat_id) -> bool
    deactivate_subscription(chat_id, reason, now)        unsent alerts of the chat skipped
    routing() -> context of RoutingTransaction   ONE write transaction in which
                                    `monitor.alerts.router` reads what it decides on and
                                    writes labels + embedding + the rows it decided
    claim_deliveries(worker, now, lease, *, limit=100) -> [Delivery]     leases, like feeds;
                                    each claim's `lease_token` fences its settles
    renew_leases(ids, token, now, lease) -> {id still held}
    mark_sent(id, message_id, now, *, token) -> bool   mark_retry(id, *, token, error, not_before)
    mark_failed(id, error, *, token)  mark_skipped(id, reason, *, token)   (False: lease lost)
    release_deliveries(ids, token)  release_abandoned(worker) -> n
    delivery_counts() -> {status: n}
    mark_held(id, token=)  held_chats()  held_deliveries(chat)  (held.py)
    summarise_held(chat, ids, text, now) -> bool: one summary, the rows settled with it
    add_notices(chat_ids, text, now)  feed_notices() -> {url: state}
    tell_operators(feed_url, state, text, chat_ids, now)
    save_feedback(chat_id, item_id, vote, now)  feedback_counts() -> (up, down)
    alerted_to(chat_id, item_id) -> bool   an alert of the item was sent to the chat (votes)
    voted_items(model_id) -> iter[ItemVotes]
    save_embedding(content_hash, model_id, vector, now)  embeddings(item_ids, model_id)
    items_by_id(item_ids, model_id) -> {id: (StoredItem, Labels | None)}
    search_items(words, *, model_id, limit) -> [(StoredItem, Labels | None)]
    similar_items(item_ids, *, model_id, limit, min_cosine) -> [(StoredItem, Labels | None, cos)]

    # briefs (briefs.py): stories where a report in [since, until) names every party
    brief_items(*, countries, organisations, since, until, model_id=None)
        -> [(StoredItem, Labels)]   every original of those stories, oldest first

    upgrade_schema(url, revision="head") / downgrade_schema(url, revision)  # operations, tests

Claiming feeds. A claim sets ``lease_owner``/``lease_until`` on up to `limit`
feeds that are enabled, not removed, due (unless `include_not_due`) and not
leased (``lease_until`` null or past). On PostgreSQL the candidates are
selected ``FOR UPDATE SKIP LOCKED`` and updated in the same transaction, so
concurrent workers skip each other's rows instead of waiting. On SQLite every
write transaction starts with ``BEGIN IMMEDIATE`` (pysqlite's own BEGIN
handling is switched off), which takes the database's single write lock
before the candidates are read; a second process waits (busy timeout) and
then sees the leases already taken. In both cases the UPDATE re-checks that
the lease is still free.

Conventions. All datetimes are UTC-aware, in and out: a naive datetime is
refused, and SQLite (which stores no offset) gets UTC values and hands them
back marked UTC. ``duplicate_of`` always points at an original (an item whose
own ``duplicate_of`` is null); `add_item` follows a link it is given. Minhash
signatures are stored as compact JSON text. `record_success` keeps the
previous ``last_entries``/``last_encoding`` when given None (a 304 has none);
`record_*` on a URL that was never synced does nothing.
"""

from __future__ import annotations

from monitor.store.briefs import BriefRows
from monitor.store.engine import downgrade_schema, upgrade_schema
from monitor.store.feedback import FeedbackRows, ItemVotes
from monitor.store.feeds import FeedRows
from monitor.store.held import HeldRows
from monitor.store.items import ItemRows
from monitor.store.labels import LabelRows
from monitor.store.leases import LeaseRows
from monitor.store.notices import NoticeRows
from monitor.store.outbox import OutboxRows
from monitor.store.recipients import RecipientRows
from monitor.store.routes import RouteRows, RoutingTransaction
from monitor.store.subscriptions import SubscriptionRows
from monitor.store.unlabelled import LabelFailures, UnlabelledRows
from monitor.store.vectors import VectorRows

__all__ = [
    "ItemVotes",
    "LabelFailures",
    "RoutingTransaction",
    "Store",
    "downgrade_schema",
    "upgrade_schema",
]


class Store(  # alerts: subscriptions, routes, outbox, notices, feedback, vectors
    FeedRows,
    ItemRows,
    UnlabelledRows,
    LabelRows,
    RecipientRows,
    SubscriptionRows,
    RouteRows,
    OutboxRows,
    HeldRows,
    NoticeRows,
    FeedbackRows,
    VectorRows,
    LeaseRows,
    BriefRows,
):
    """The database: one class over the domain modules, each a mixin over `StoreBase`."""
