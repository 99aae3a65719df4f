"""Logging for the console: the level from flags or MONITOR_LOG_LEVEL, text or JSON lines,
and library noise turned into our own words or DEBUG."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote, urlsplit

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
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # SecretMask may have masked it already: use that text
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


SECRET_VARIABLES = ("MONITOR_TELEGRAM_TOKEN", "MONITOR_SMTP_PASSWORD")
MIN_SECRET_CHARS = 3  # shorter values would mask ordinary words


def secrets_of(environ: Mapping[str, str]) -> dict[str, str]:
    """Each secret of the environment -> the mark that replaces it in log lines.

    The bot token, the SMTP password and the database URL's password; a token's
    part after the colon is the secret proper, so it is masked on its own too.
    """
    found: dict[str, str] = {}
    for name in SECRET_VARIABLES:
        value = environ.get(name, "").strip()
        found[value] = f"[{name}]"
        if name == "MONITOR_TELEGRAM_TOKEN" and ":" in value:
            found[value.partition(":")[2]] = f"[{name}]"
    database_url = environ.get("MONITOR_DATABASE_URL", "")
    try:
        password = urlsplit(database_url).password or ""
    except ValueError:
        password = ""
    found[password] = "[database password]"
    return {secret: mark for secret, mark in found.items() if len(secret) >= MIN_SECRET_CHARS}


class SecretMask(logging.Filter):
    """Replaces secrets in every record a handler writes: message, arguments, traceback.

    Installed on the handlers, not on loggers, so records of every library
    (python-telegram-bot prints its API URL, token included, at DEBUG; httpx
    logs request URLs) pass through it. URL-quoted forms are masked too.
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        super().__init__()
        forms = {**secrets, **{quote(s, safe=""): mark for s, mark in secrets.items()}}
        # longest first: a token is replaced whole before its own secret part
        self._forms = sorted(forms.items(), key=lambda pair: len(pair[0]), reverse=True)

    def mask(self, text: str) -> str:
        for secret, mark in self._forms:
            if secret in text:
                text = text.replace(secret, mark)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._forms:
            return True
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def install_secret_mask(
    handlers: Iterable[logging.Handler], environ: Mapping[str, str] | None = None
) -> None:
    """Put one `SecretMask` of the secrets of `environ` on each handler, replacing older ones."""
    mask = SecretMask(secrets_of(os.environ if environ is None else environ))
    for handler in handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretMask)]:
            handler.removeFilter(old)
        handler.addFilter(mask)


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
    install_secret_mask(root.handlers)  # every handler, whoever added it
    # httpx logs full request lines, and Telegram URLs contain the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # plugin and migration chatter
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # WeasyPrint (PDF briefs) reports each layout step at INFO, and fontTools its subsetting
    for chatty in ("weasyprint", "fontTools"):
        logging.getLogger(chatty).setLevel(logging.ERROR if level > logging.DEBUG else level)
    noise = SchedulerNoise()
    noisy = logging.getLogger("apscheduler.scheduler")  # where the "skipped" warning comes from
    if not any(isinstance(f, SchedulerNoise) for f in noisy.filters):
        noisy.addFilter(noise)
