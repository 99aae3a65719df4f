from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import load_settings


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    settings = load_settings({"MONITOR_CONFIG": "", "PWD": str(tmp_path)})
    assert settings.feeds_path == Path("feeds.toml")
    assert settings.data_dir == Path("data")
    assert settings.database_url == "sqlite:///data/monitor.db"
    assert settings.telegram_token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.timezone == "UTC"
    assert settings.outbox_dir == Path("data/outbox")


def test_file_values_and_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        'data_dir = "/srv/monitor"\ntimezone = "Asia/Seoul"\nsmtp_port = 2525\n'
        '[poll]\ntick = "45s"\nconcurrency = 8\n',
        encoding="utf-8",
    )
    settings = load_settings(
        {
            "MONITOR_CONFIG": str(config),
            "MONITOR_TIMEZONE": "Asia/Jakarta",
            "MONITOR_TELEGRAM_ADMINS": "11, 22",
            "MONITOR_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
        }
    )
    assert settings.data_dir == Path("/srv/monitor")
    assert settings.timezone == "Asia/Jakarta"
    assert settings.smtp_port == 2525
    assert settings.telegram_admins == (11, 22)
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/test"
    assert settings.poll.tick == timedelta(seconds=45)
    assert settings.poll.concurrency == 8


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MONITOR_SMTP_TLS": "maybe"}, "MONITOR_SMTP_TLS"),
        ({"MONITOR_SMTP_PORT": "x"}, "MONITOR_SMTP_PORT"),
        ({"MONITOR_SMTP_PORT": "70000"}, "out of range"),
        ({"MONITOR_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
        ({"MONITOR_TELEGRAM_ADMINS": "alice"}, "numeric user ids"),
        ({"MONITOR_DATABASE_URL": "mysql://x/y"}, "not supported"),
        ({"MONITOR_CONFIG": "/nonexistent/monitor.toml"}, "does not exist"),
    ],
)
def test_bad_values_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('telegram_token = "123:abc"\n', "secrets are read from the environment"),
        ("data_dri = 'x'\n", "unknown key"),
        ("[poll]\nconcurrency = 0\n", "positive integer"),
        ("[poll]\ntick = 'soon'\n", "tick"),
        ("[poll]\nspeed = 1\n", "unknown key"),
        ("data_dir = \n", "monitor.toml"),
    ],
)
def test_bad_config_file(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings({"MONITOR_CONFIG": str(config)})


@pytest.mark.parametrize("line", ["data_dir = 5", "feeds = 3", "timezone = true"])
def test_a_value_of_the_wrong_type_in_monitor_toml_names_file_and_key(
    tmp_path: Path, line: str
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(line + "\n", encoding="utf-8")
    key = line.split(" ", 1)[0]
    with pytest.raises(ConfigError, match=rf"monitor.toml: key '{key}' must be a string"):
        load_settings({"MONITOR_CONFIG": str(config)})
