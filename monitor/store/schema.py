"""The tables, as SQLAlchemy Core metadata; the Alembic migrations must agree (a test checks)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from monitor.store.engine import UTCDateTime, json_column

METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

FEEDS = Table(
    "feeds",
    METADATA,
    Column("url", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("language", Text),
    Column("country", Text),
    Column("source", Text),  # feeds.toml's source type (migration 0010)
    Column("removed_at", UTCDateTime),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_status", Integer),
    Column("last_entries", Integer),
    Column("last_encoding", Text),
    Column("next_due_at", UTCDateTime),
    Column("lease_owner", Text),
    Column("lease_until", UTCDateTime),
)

ITEMS = Table(
    "items",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_url", Text, nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("language_hint", Text),
    Column("content_hash", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("duplicate_of", Integer, ForeignKey("items.id", ondelete="SET NULL")),
    Column("fulltext", Text),
    Column("alerted_at", UTCDateTime),  # first alert routed: a same-story candidate (outbox)
    Column("story_id", Integer),  # the id of its story's first item (no FK: outlives it)
    # migration 0008: labelling retried by the sweep after a failed write or classifier error
    Column("label_attempts", Integer, nullable=False, server_default="0"),
    Column("label_retry_at", UTCDateTime),
    Column("label_error", Text),
    UniqueConstraint("feed_url", "guid"),
    Index(None, "url"),
    Index(None, "content_hash"),
    Index(None, "first_seen_at"),
    Index(None, "story_id"),
)

ITEM_BANDS = Table(
    "item_bands",
    METADATA,
    Column("band", Text, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("band", "item_id"),
    Index(None, "band"),
    Index(None, "item_id"),
)

LABELS = Table(
    "labels",
    METADATA,
    Column("content_hash", Text, nullable=False),
    Column("model_id", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("relevant", Boolean, nullable=False),
    Column("cooperation", Boolean, nullable=False),
    Column("topics", json_column(), nullable=False),
    Column("countries", json_column(), nullable=False),
    Column("summary", Text, nullable=False),
    Column("relevance_score", Float, nullable=False),
    Column("cooperation_score", Float, nullable=False),
    Column("topic_scores", json_column(), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # migration 0006: cooperation events (NULL on labels cached before it)
    Column("events", json_column(), nullable=True),
    Column("organisations", json_column(), nullable=True),
    Column("place", Text, nullable=True),
    Column("event_date", Text, nullable=True),
    PrimaryKeyConstraint("content_hash", "model_id"),
)

# -- alerts (migration 0002) ---------------------------------------------------

SUBSCRIPTIONS = Table(
    "subscriptions",
    METADATA,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("filter", json_column(), nullable=False),
    Column("instant", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("muted_until", UTCDateTime),
    Column("thread_id", BigInteger),
    Column("ui_language", Text, nullable=False),
    Column("timezone", Text, nullable=False),  # "" until the chat chooses one (0011)
    Column("chat_type", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deactivated_reason", Text),
    Column("revision", Integer, nullable=False),  # max() + count() tell routing what changed
    # migration 0011: the quiet window as local "HH:MM", and whether it holds alerts
    Column("quiet_start", Text),
    Column("quiet_end", Text),
    Column("quiet_hold", Boolean, nullable=False, server_default=false()),
    # migration 0012: a digest-only chat's daily digest, local "HH:MM" (NULL: none)
    Column("digest_time", Text),
)

# The outbox: one row per message to send. Routing writes alert rows in the same
# transaction as the item's labels; the deliverer claims them with a lease.
DELIVERIES = Table(
    "deliveries",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),  # alert | also | notice
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE")),
    Column("story_item_id", Integer, ForeignKey("items.id", ondelete="SET NULL")),
    Column("model_id", Text),  # whose labels the alert shows
    Column("text", Text),  # notices only: the message itself
    Column("status", Text, nullable=False),  # pending | sent | failed | skipped | held | summarised
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("lease_owner", Text),
    Column("lease_until", UTCDateTime),
    Column("lease_token", Text),  # migration 0008: the claim's token; settles check it
    Column("sent_at", UTCDateTime),
    Column("message_id", BigInteger),
    Column("last_error", Text),
    UniqueConstraint("chat_id", "item_id"),
    Index(None, "status", "not_before"),
    Index(None, "item_id"),
)

FEEDBACK = Table(
    "feedback",
    METADATA,
    Column("chat_id", BigInteger, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("vote", Integer, nullable=False),  # +1 or -1
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("chat_id", "item_id"),
    Index(None, "item_id"),
)

# A role one process holds at a time, by lease (the Telegram bot's updates: one poller).
ROLES = Table(
    "roles",
    METADATA,
    Column("name", Text, primary_key=True),
    Column("lease_owner", Text, nullable=False),
    Column("lease_until", UTCDateTime, nullable=False),
)

# Document embeddings (float32, little-endian) by text and model, like the label cache.
EMBEDDINGS = Table(
    "embeddings",
    METADATA,
    Column("content_hash", Text, nullable=False),
    Column("model_id", Text, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("content_hash", "model_id"),
)

# What the operators were last told about each feed (failing or back), so a feed
# that keeps failing produces one message, not one per poll.
FEED_NOTICES = Table(
    "feed_notices",
    METADATA,
    Column("feed_url", Text, primary_key=True),
    Column("state", Text, nullable=False),  # failing | ok
    Column("told_at", UTCDateTime, nullable=False),
)

# -- digests (monitor/store/recipients.py) ---------------------------------------

RECIPIENTS = Table(
    "recipients",
    METADATA,
    Column("email", Text, primary_key=True),  # lower-cased
    Column("filter", json_column(), nullable=False),  # monitor.filters.Filter.to_json()
    Column("frequency", Text, nullable=False),  # daily | weekly
    Column("weekday", Integer, nullable=False),  # weekly: 0 = Monday
    Column("send_time", Text, nullable=False),  # local HH:MM
    Column("timezone", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("skip_empty", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("confirmed", Boolean, nullable=False),
    Column("chat_id", BigInteger),  # the Telegram chat that manages it
    Column("token", Text, nullable=False),  # unsubscribe links
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("token"),
    Index(None, "chat_id"),
)

DIGEST_LOG = Table(
    "digest_log",
    METADATA,
    Column("email", Text, nullable=False),
    Column("period_key", Text, nullable=False),  # daily:YYYY-MM-DD | weekly:YYYY-MM-DD
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("status", Text, nullable=False),  # sending | sent | skipped | failed | deferred
    Column("items", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("message_id", Text),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("email", "period_key"),
    Index(None, "updated_at"),
)

DIGEST_CODES = Table(
    "digest_codes",
    METADATA,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),  # one code per chat
    Column("email", Text, nullable=False),
    Column("code_hash", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Confirmation-code mails (migration 0009): the throttle per address and per chat,
# kept here so that five groups cannot flood one address and a restart resets nothing.
CODE_MAILS = Table(
    "code_mails",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Index(None, "email", "sent_at"),
    Index(None, "chat_id", "sent_at"),
)
