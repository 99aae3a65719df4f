"""Logging for the console: the level from flags or MONITOR_LOG_LEVEL, text or JSON lines,
and library noise turned into our own words or DEBUG."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from monitor.errors import ConfigError

LOG_LEVEL_ENV = "MONITOR_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = logging.INFO
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
VERBOSE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # who said it, for debugging
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
LogFormat = Literal["text", "json"]


def log_level(*, verbose: bool, quiet: bool, environ: Mapping[str, str]) -> int:
    """The level: --verbose (DEBUG) or --quiet (WARNING) win over MONITOR_LOG_LEVEL, then INFO.

    Raises:
        ConfigError: MONITOR_LOG_LEVEL is not a level name.
    """
    if verbose:
        return logging.DEBUG
    if quiet:
        return logging.WARNING
    name = environ.get(LOG_LEVEL_ENV, "").strip().upper()
    if not name:
        return DEFAULT_LEVEL
    if name not in LEVELS:
        raise ConfigError(
            f"{LOG_LEVEL_ENV}: {environ[LOG_LEVEL_ENV]!r} is not one of {', '.join(LEVELS)}"
        )
    return int(logging.getLevelName(name))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time (UTC), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


MAX_INSTANCES_TEXT = "maximum number of running instances reached"


class SchedulerNoise(logging.Filter):
    """APScheduler's "skipped: maximum number of running instances reached" becomes our own
    DEBUG line: a round still running at the next tick is normal, not a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if MAX_INSTANCES_TEXT not in str(record.msg):
            return True
        record.msg = "a round is still running at the next tick: that tick is skipped"
        record.args = ()
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.name = "monitor.scheduler"
        return logging.getLogger("monitor").isEnabledFor(logging.DEBUG)


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our stderr handler: a second `main()` in one process (tests) replaces it, not adds one."""


def setup_logging(level: int, log_format: LogFormat = "text") -> None:
    """Send log lines to stderr at `level`, as text or JSON; quiet the chatty libraries."""
    handler = ConsoleHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        fmt = VERBOSE_FORMAT if level <= logging.DEBUG else TEXT_FORMAT
        handler.setFormatter(logging.Formatter(fmt, DATE_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, ConsoleHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs full request lines, and Telegram URLs contain the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # plugin and migration chatter
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    noise = SchedulerNoise()
    noisy = logging.getLogger("apscheduler.scheduler")  # where the "skipped" warning comes from
    if not any(isinstance(f, SchedulerNoise) for f in noisy.filters):
        noisy.addFilter(noise)
