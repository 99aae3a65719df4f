"""The one exception tree of the service.

    MonitorError
    ├── ConfigError       settings, feeds.toml, topics.toml
    ├── FeedFetchError    network, HTTP status, size/time limits
    ├── FeedParseError    body is not a usable feed
    ├── StoreError        database unavailable, locked, migration failed
    ├── ClassifierError   model missing or failing
    └── DeliveryError     Telegram / SMTP

Adapters translate library exceptions at the boundary, chained with ``from exc``.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the service raises on purpose."""


class ConfigError(MonitorError):
    """A configuration file or variable is invalid."""


class FeedFetchError(MonitorError):
    """A feed could not be fetched.

    `status` is the last HTTP status, if any; `retry_after_s` is the server's
    Retry-After (429/503) when it asked for a longer wait than we retry within.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class FeedParseError(MonitorError):
    """A fetched body could not be parsed as a feed."""


class StoreError(MonitorError):
    """The database failed."""


class ClassifierError(MonitorError):
    """A classifier backend failed or is missing."""


class DeliveryError(MonitorError):
    """An alert or digest could not be delivered."""
