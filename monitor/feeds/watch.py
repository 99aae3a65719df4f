"""Hot reload: `FeedsFile` re-reads feeds.toml when it changes and keeps the last good list."""

from __future__ import annotations

import logging
from pathlib import Path

from monitor.errors import ConfigError
from monitor.feeds.schema import load_feeds
from monitor.models import FeedSpec

logger = logging.getLogger(__name__)


def _signature(path: Path) -> tuple[int, ...]:
    """What changes when the file is rewritten or replaced; () when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


class FeedsFile:
    """feeds.toml as the service sees it, re-read whenever it changes.

    A broken edit is logged once and remembered in `last_error`, and the last
    good list stays in use; once the file is fixed the next `current()` picks
    it up, without a restart.

    Args:
        path: the feeds file.

    Raises:
        ConfigError: the file cannot be loaded the first time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_error: ConfigError | None = None
        signature = _signature(path)
        self._feeds = load_feeds(path)
        self._signature = signature
        self._failed: tuple[int, ...] | None = None

    def current(self) -> list[FeedSpec]:
        """The feeds: re-read if the file's mtime, size or inode changed, else the cached list.

        Returns:
            The feeds of the file's latest valid version.
        """
        signature = _signature(self.path)
        if signature == self._signature or signature == self._failed:
            return list(self._feeds)
        try:
            feeds = load_feeds(self.path)
        except ConfigError as exc:
            self._failed = signature
            self.last_error = exc
            logger.error(
                "%s\nkeeping the previous %d feeds until it is fixed", exc, len(self._feeds)
            )
            return list(self._feeds)
        self._feeds, self._signature = feeds, signature
        self._failed, self.last_error = None, None
        enabled = sum(1 for f in feeds if f.enabled)
        logger.info("%s: loaded %d feeds (%d enabled)", self.path, len(feeds), enabled)
        return list(self._feeds)
