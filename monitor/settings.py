"""Typed Settings, built once at start from `monitor.toml` and `MONITOR_*` variables.

The environment wins over the file. Secrets (bot token, SMTP password) are read
from the environment only; a `monitor.toml` that holds one is refused, so a
secret never ends up in a file that may be committed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from classifiers.errors import Problem, did_you_mean
from classifiers.toml_layout import Layout
from monitor import __version__
from monitor.durations import format_send_time, parse_interval, parse_send_time
from monitor.errors import ConfigError

T = TypeVar("T")

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
DEFAULT_MAX_ENTRIES = 500  # newest entries read per fetch: bounds a round's store and classify
MIN_POLL_DURATION = timedelta(seconds=1)  # [poll] tick/lease/timeout; feeds' own minimum is 1m


@dataclass(frozen=True)
class PollSettings:
    """How the poller behaves; the `[poll]` table of monitor.toml."""

    # how often the scheduler looks for due feeds: one indexed query, so a short tick is
    # cheap, and it bounds how late a feed is polled (alert latency = interval + tick + ~2 s)
    tick: timedelta = timedelta(seconds=5)
    lease: timedelta = timedelta(minutes=10)  # a claimed feed is someone else's after this
    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S  # whole request, body included
    budget_s: float = DEFAULT_BUDGET_S  # a feed's attempts and waits together, per round
    user_agent: str = DEFAULT_USER_AGENT
    max_entries: int = DEFAULT_MAX_ENTRIES  # newest entries kept per fetch; the rest skipped


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
    # urgent health-security items sound even in a chat's quiet hours (docs/quiet-hours.md)
    urgent_through_quiet: bool = True
    poll: PollSettings = field(default_factory=PollSettings)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


class SettingsError(ConfigError):
    """The settings are invalid; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{len(lines)} problems in the settings:")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class _Origin:
    """Where one value came from."""

    source: str
    line: int | None = None
    key: str | None = None  # set for the file


class _Reader:
    """Looks values up (environment first, then the file) and collects every problem."""

    def __init__(
        self, env: Mapping[str, str], values: Mapping[str, object], path: Path, layout: Layout
    ) -> None:
        self.env = env
        self.values = values
        self.path = path
        self.layout = layout
        self.problems: list[Problem] = []

    def file_origin(self, key: str, table: str | None = None) -> _Origin:
        if table is None:
            line = self.layout.root_key_line((key,))
            return _Origin(str(self.path), line, key)
        line = self.layout.key_line(table, None, key)
        return _Origin(str(self.path), line, f"{table}.{key}")

    def add(self, origin: _Origin, message: str) -> None:
        self.problems.append(Problem(origin.source, origin.line, message, key=origin.key))

    def raw(self, key: str) -> tuple[object, _Origin] | None:
        env_name = f"MONITOR_{key.upper()}"
        if self.env.get(env_name, "") != "":
            return self.env[env_name], _Origin(env_name)
        value = self.values.get(key)
        if value is None:
            return None
        origin = self.file_origin(key)
        if key in STRING_KEYS and not isinstance(value, str):
            self.add(
                origin, f'must be a string, got {_toml_value(value)} (write {key} = "{value}")'
            )
            return None
        return value, origin

    def get(self, key: str, parse: Callable[[object], T], default: T) -> T:
        """`key`'s value parsed, or `default` when unset or bad (a bad one is recorded)."""
        found = self.raw(key)
        if found is None:
            return default
        value, origin = found
        try:
            return parse(value)
        except ValueError as exc:
            self.add(origin, str(exc))
            return default


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `MONITOR_CONFIG` (default ./monitor.toml, optional) and the environment.

    Every value is checked, so one run reports every problem.

    Raises:
        SettingsError: listing each problem with its source (file and line, or variable),
            key and reason.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("MONITOR_CONFIG", "") != ""
    config_path = Path(env["MONITOR_CONFIG"] if explicit else DEFAULT_CONFIG)
    file_values, layout, problems = _read_config_file(config_path, explicit=explicit)
    reader = _Reader(env, file_values, config_path, layout)
    reader.problems.extend(problems)

    data_dir = Path(reader.get("data_dir", str, "") or DEFAULT_DATA_DIR)
    database_url = reader.get("database_url", _database_url, "") or (
        f"sqlite:///{data_dir / 'monitor.db'}"
    )
    settings = Settings(
        feeds_path=Path(reader.get("feeds", str, "") or DEFAULT_FEEDS),
        data_dir=data_dir,
        database_url=database_url,
        telegram_token=env.get("MONITOR_TELEGRAM_TOKEN") or None,
        telegram_api_url=reader.get("telegram_api_url", _text, DEFAULT_TELEGRAM_API_URL).rstrip("/")
        or DEFAULT_TELEGRAM_API_URL,
        telegram_admins=reader.get("telegram_admins", _admins, ()),
        smtp_host=reader.get("smtp_host", _text, "") or None,
        smtp_port=reader.get("smtp_port", _port, None),
        smtp_user=reader.get("smtp_user", _text, "") or None,
        smtp_password=env.get("MONITOR_SMTP_PASSWORD") or None,
        smtp_tls=reader.get("smtp_tls", _smtp_tls, "starttls"),
        mail_from=reader.get("mail_from", _text, "") or None,
        model=reader.get("model", _text, "") or None,
        summary_model=reader.get("summary_model", _text, "") or None,
        timezone=reader.get("timezone", _timezone, DEFAULT_TIMEZONE),
        digest_time=reader.get("digest_time", _digest_time, DEFAULT_DIGEST_TIME),
        public_url=reader.get("public_url", _text, "").rstrip("/") or None,
        http_listen=reader.get("http_listen", _listen, None),
        allow_private_feeds=reader.get("allow_private_feeds", _flag, False),
        urgent_through_quiet=reader.get("urgent_through_quiet", _flag, True),
        poll=_poll_settings(file_values.get("poll", {}), reader),
    )
    if reader.problems:
        raise SettingsError(sorted(reader.problems, key=_problem_order))
    return settings


def _problem_order(problem: Problem) -> tuple[int, int]:
    """File problems in line order, then the environment's."""
    is_env = problem.key is None and problem.line is None and problem.source.startswith("MONITOR_")
    return (1 if is_env else 0, problem.line or 0)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _text(value: object) -> str:
    return str(value).strip()


def _smtp_tls(value: object) -> str:
    mode = str(value).strip().lower()
    if mode not in SMTP_TLS_MODES:
        raise ValueError(f"{str(value)!r} is not one of {', '.join(SMTP_TLS_MODES)}")
    return mode


def _timezone(value: object) -> str:
    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name like Asia/Seoul)") from exc
    return name


KNOWN_KEYS = (
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
    "urgent_through_quiet",
    "poll",
)
POLL_KEYS = (
    "tick",
    "lease",
    "concurrency",
    "per_host",
    "max_bytes",
    "timeout",
    "budget",
    "user_agent",
    "max_entries",
)


def _read_config_file(
    path: Path, *, explicit: bool
) -> tuple[dict[str, Any], Layout, list[Problem]]:
    """The file's values, its layout (for line numbers) and the problems of its keys."""
    empty = Layout.of("")
    if not path.exists():
        if explicit:
            raise SettingsError([Problem("MONITOR_CONFIG", None, f"{path} does not exist")])
        return {}, empty, []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError([Problem(str(path), None, f"cannot be read: {exc}")]) from exc
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the place in the message: "... (at line 3, column 5)"
        place = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        message = str(exc)[: place.start()].strip() if place else str(exc)
        line = int(place.group(1)) if place else None
        problem = Problem(str(path), line, f"invalid TOML: {message}")
        raise SettingsError([problem]) from exc
    layout = Layout.of(text)
    problems: list[Problem] = []
    for key in values:
        line = layout.root_key_line((key,))
        if key in SECRET_KEYS:
            problems.append(
                Problem(
                    str(path),
                    line,
                    f"secrets are read from the environment only (set MONITOR_{key.upper()} "
                    "and remove it from the file)",
                    key=key,
                )
            )
        elif key not in KNOWN_KEYS:
            problems.append(
                Problem(str(path), line, f"unknown key{_known_key_hint(key, KNOWN_KEYS)}", key=key)
            )
    return {k: v for k, v in values.items() if k in KNOWN_KEYS}, layout, problems


def _known_key_hint(word: str, choices: Sequence[str]) -> str:
    """The closest known key, or else all of them (monitor.toml has few)."""
    return did_you_mean(word, choices) or f"; known keys: {', '.join(choices)}"


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not one of 1/0, true/false, yes/no")


def _database_url(value: object) -> str:
    url = str(value).strip()
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
        raise ValueError(
            f"{url.split('://')[0]}:// is not supported "
            "(use sqlite:///path or postgresql://user@host/db)"
        )
    return url  # the store picks the driver (monitor.store.engine.sqlalchemy_url)


def _listen(value: object) -> str | None:
    host, _, port = str(value).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port (like 127.0.0.1:8080)")
    return f"{host}:{int(port)}"


def _digest_time(value: object) -> str:
    return format_send_time(parse_send_time(str(value)))  # its ValueError says what is wrong


def _admins(value: object) -> tuple[int, ...]:
    parts = value if isinstance(value, list) else str(value).split(",")
    try:
        return tuple(int(str(p).strip()) for p in parts if str(p).strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} must be comma-separated numeric user ids") from exc


def _port(value: object) -> int | None:
    try:
        port = int(str(value))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not 0 < port < 65536:
        raise ValueError(f"{port} is out of range 1-65535")
    return port


def _poll_settings(table: object, reader: _Reader) -> PollSettings:
    """The [poll] table (file only), every bad key recorded in `reader`."""
    defaults = PollSettings()
    if not isinstance(table, dict):
        reader.add(reader.file_origin("poll"), "must be a table: write [poll] and its keys below")
        return defaults
    for key in table:
        if key not in POLL_KEYS:
            reader.add(
                reader.file_origin(key, "poll"), f"unknown key{_known_key_hint(key, POLL_KEYS)}"
            )

    def positive_int(key: str, default: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            reader.add(
                reader.file_origin(key, "poll"),
                f"must be a positive integer, got {_toml_value(value)}",
            )
            return default
        return value

    def duration(key: str, default: timedelta) -> timedelta:
        value = table.get(key)
        if value is None:
            return default
        try:
            return parse_interval(str(value), minimum=MIN_POLL_DURATION)
        except ConfigError as exc:
            reader.add(reader.file_origin(key, "poll"), str(exc))
            return default

    timeout = duration("timeout", timedelta(seconds=defaults.timeout_s))
    budget = duration("budget", timedelta(seconds=defaults.budget_s))
    if budget < timeout:
        reader.add(reader.file_origin("budget", "poll"), f"must be at least timeout ({timeout})")
    user_agent = table.get("user_agent", defaults.user_agent)
    if not isinstance(user_agent, str):
        reader.add(reader.file_origin("user_agent", "poll"), "must be a string")
        user_agent = defaults.user_agent
    return PollSettings(
        tick=duration("tick", defaults.tick),
        lease=duration("lease", defaults.lease),
        concurrency=positive_int("concurrency", defaults.concurrency),
        per_host=positive_int("per_host", defaults.per_host),
        max_bytes=positive_int("max_bytes", defaults.max_bytes),
        timeout_s=timeout.total_seconds(),
        budget_s=budget.total_seconds(),
        user_agent=user_agent,
        max_entries=positive_int("max_entries", defaults.max_entries),
    )
