"""Typed Settings, built once at start from `monitor.toml` and `MONITOR_*` variables.

The environment wins over the file. Secrets (bot token, SMTP password) are read
from the environment only; a `monitor.toml` that holds one is refused, so a
secret never ends up in a file that may be committed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor import __version__
from monitor.errors import ConfigError

DEFAULT_CONFIG = "./monitor.toml"
DEFAULT_FEEDS = "./feeds.toml"
DEFAULT_DATA_DIR = "./data"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DIGEST_TIME = "08:00"
DEFAULT_USER_AGENT = (
    f"health-coop-monitor/{__version__} (+https://github.com/health-coop-monitor; feed reader)"
)
SMTP_TLS_MODES = ("none", "starttls", "tls")
SECRET_KEYS = ("telegram_token", "smtp_password")
# monitor.toml keys whose values are text (paths, URLs, names): 5 or true there is a mistake
STRING_KEYS = frozenset(
    {
        "feeds",
        "data_dir",
        "database_url",
        "telegram_api_url",
        "smtp_host",
        "smtp_user",
        "smtp_tls",
        "mail_from",
        "model",
        "summary_model",
        "timezone",
    }
)
DEFAULT_CONCURRENCY = 50  # requests in flight overall
DEFAULT_PER_HOST = 4  # requests in flight per host (politeness)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # largest feed or article body
DEFAULT_TIMEOUT_S = 60.0  # one request, body included
DEFAULT_BUDGET_S = 120.0  # one feed per round: every attempt and every wait
MIN_POLL_DURATION = timedelta(seconds=1)  # [poll] tick/lease/timeout; feeds' own minimum is 1m


@dataclass(frozen=True)
class PollSettings:
    """How the poller behaves; the `[poll]` table of monitor.toml."""

    tick: timedelta = timedelta(seconds=30)  # how often the scheduler looks for due feeds
    lease: timedelta = timedelta(minutes=10)  # a claimed feed is someone else's after this
    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S  # whole request, body included
    budget_s: float = DEFAULT_BUDGET_S  # a feed's attempts and waits together, per round
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know, validated."""

    feeds_path: Path
    data_dir: Path
    database_url: str
    telegram_token: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    telegram_admins: tuple[int, ...] = ()
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "starttls"
    mail_from: str | None = None
    model: str | None = None  # None: the embedded default
    summary_model: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    digest_time: str = DEFAULT_DIGEST_TIME  # local send time of new digest recipients
    public_url: str | None = None  # base of the one-click unsubscribe links in digests
    http_listen: str | None = None  # host:port of the unsubscribe endpoint (behind public_url)
    allow_private_feeds: bool = False  # /addfeed may add feeds on private/loopback addresses
    poll: PollSettings = field(default_factory=PollSettings)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `MONITOR_CONFIG` (default ./monitor.toml, optional) and the environment.

    Raises:
        ConfigError: naming the variable or key and the reason.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("MONITOR_CONFIG", "") != ""
    config_path = Path(env["MONITOR_CONFIG"] if explicit else DEFAULT_CONFIG)
    file_values = _read_config_file(config_path, explicit=explicit)

    def pick(key: str) -> Any:
        env_name = f"MONITOR_{key.upper()}"
        if env.get(env_name, "") != "":
            return env[env_name]
        value = file_values.get(key)
        if value is not None and key in STRING_KEYS and not isinstance(value, str):
            raise ConfigError(
                f"{config_path}: key {key!r} must be a string, got {value!r} "
                f'(write {key} = "{value}")'
            )
        return value

    data_dir = Path(pick("data_dir") or DEFAULT_DATA_DIR)
    database_url = pick("database_url") or f"sqlite:///{data_dir / 'monitor.db'}"
    smtp_tls = str(pick("smtp_tls") or "starttls").lower()
    if smtp_tls not in SMTP_TLS_MODES:
        raise ConfigError(
            f"MONITOR_SMTP_TLS: {smtp_tls!r} is not one of {', '.join(SMTP_TLS_MODES)}"
        )
    timezone = str(pick("timezone") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"MONITOR_TIMEZONE: unknown time zone {timezone!r}") from exc
    return Settings(
        feeds_path=Path(pick("feeds") or DEFAULT_FEEDS),
        data_dir=data_dir,
        database_url=_database_url(str(database_url)),
        telegram_token=env.get("MONITOR_TELEGRAM_TOKEN") or None,
        telegram_api_url=str(pick("telegram_api_url") or DEFAULT_TELEGRAM_API_URL).rstrip("/"),
        telegram_admins=_admins(pick("telegram_admins")),
        smtp_host=pick("smtp_host") or None,
        smtp_port=_port(pick("smtp_port")),
        smtp_user=pick("smtp_user") or None,
        smtp_password=env.get("MONITOR_SMTP_PASSWORD") or None,
        smtp_tls=smtp_tls,
        mail_from=pick("mail_from") or None,
        model=pick("model") or None,
        summary_model=pick("summary_model") or None,
        timezone=timezone,
        digest_time=_digest_time(pick("digest_time")),
        public_url=(str(pick("public_url")).rstrip("/") or None) if pick("public_url") else None,
        http_listen=_listen(pick("http_listen")),
        allow_private_feeds=_flag("allow_private_feeds", pick("allow_private_feeds")),
        poll=_poll_settings(file_values.get("poll", {}), config_path),
    )


def _read_config_file(path: Path, *, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"MONITOR_CONFIG: {path} does not exist")
        return {}
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    for key in SECRET_KEYS:
        if key in values:
            raise ConfigError(
                f"{path}: key {key!r}: secrets are read from the environment only "
                f"(set MONITOR_{key.upper()})"
            )
    known = {
        "feeds",
        "data_dir",
        "database_url",
        "telegram_api_url",
        "telegram_admins",
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_tls",
        "mail_from",
        "model",
        "summary_model",
        "timezone",
        "digest_time",
        "public_url",
        "http_listen",
        "allow_private_feeds",
        "poll",
    }
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}")
    return values


def _flag(key: str, value: object) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"MONITOR_{key.upper()}: {value!r} is not one of 1/0, true/false, yes/no")


def _database_url(url: str) -> str:
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
        raise ConfigError(
            f"MONITOR_DATABASE_URL: {url.split('://')[0]}:// is not supported "
            "(use sqlite:///path or postgresql://user@host/db)"
        )
    return url  # the store picks the driver (monitor.store.engine.sqlalchemy_url)


def _listen(value: object) -> str | None:
    if value is None or value == "":
        return None
    host, _, port = str(value).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"MONITOR_HTTP_LISTEN: {value!r} is not host:port (like 127.0.0.1:8080)")
    return f"{host}:{int(port)}"


def _digest_time(value: object) -> str:
    from monitor.digest.recipient import format_send_time, parse_send_time

    try:
        return format_send_time(parse_send_time(str(value or DEFAULT_DIGEST_TIME)))
    except ValueError as exc:
        raise ConfigError(f"MONITOR_DIGEST_TIME: {exc}") from exc


def _admins(value: object) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    parts = value if isinstance(value, list) else str(value).split(",")
    try:
        return tuple(int(str(p).strip()) for p in parts if str(p).strip())
    except ValueError as exc:
        raise ConfigError(
            f"MONITOR_TELEGRAM_ADMINS: {value!r} must be comma-separated numeric user ids"
        ) from exc


def _port(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        port = int(str(value))
    except ValueError as exc:
        raise ConfigError(f"MONITOR_SMTP_PORT: {value!r} is not a number") from exc
    if not 0 < port < 65536:
        raise ConfigError(f"MONITOR_SMTP_PORT: {port} is out of range 1-65535")
    return port


def _poll_settings(table: object, path: Path) -> PollSettings:
    from monitor.durations import parse_interval  # one duration syntax for both files

    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [poll] must be a table")
    defaults = PollSettings()
    known = {
        "tick",
        "lease",
        "concurrency",
        "per_host",
        "max_bytes",
        "timeout",
        "budget",
        "user_agent",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{path}: [poll] unknown key(s) {', '.join(unknown)}")

    def positive_int(key: str, default: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{path}: [poll] {key} must be a positive integer, got {value!r}")
        return value

    def duration(key: str, default: timedelta) -> timedelta:
        value = table.get(key)
        if value is None:
            return default
        try:
            return parse_interval(str(value), minimum=MIN_POLL_DURATION)
        except ConfigError as exc:
            raise ConfigError(f"{path}: [poll] {key}: {exc}") from exc

    timeout = duration("timeout", timedelta(seconds=defaults.timeout_s))
    budget = duration("budget", timedelta(seconds=defaults.budget_s))
    if budget < timeout:
        raise ConfigError(f"{path}: [poll] budget must be at least timeout ({timeout})")
    return PollSettings(
        tick=duration("tick", defaults.tick),
        lease=duration("lease", defaults.lease),
        concurrency=positive_int("concurrency", defaults.concurrency),
        per_host=positive_int("per_host", defaults.per_host),
        max_bytes=positive_int("max_bytes", defaults.max_bytes),
        timeout_s=timeout.total_seconds(),
        budget_s=budget.total_seconds(),
        user_agent=str(table.get("user_agent", defaults.user_agent)),
    )
