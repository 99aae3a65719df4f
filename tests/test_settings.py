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
    with pytest.raises(ConfigError, match=rf"monitor.toml:1: key '{key}': must be a string"):
        load_settings({"MONITOR_CONFIG": str(config)})


# --- every problem at once, placed and blamed on the right source -----------------------------

BROKEN_CONFIG = """\
# monitor.toml with several mistakes
data_dir = "/srv/monitor"
timezone = "Mars/Olympus"
smtp_port = "x"
data_dri = "typo"

[poll]
concurrency = 0
tick = "soon"
"""


def test_every_problem_of_monitor_toml_at_once_with_line_and_key(tmp_path: Path) -> None:
    from monitor.settings import SettingsError

    config = tmp_path / "monitor.toml"
    config.write_text(BROKEN_CONFIG, encoding="utf-8")

    with pytest.raises(SettingsError) as caught:
        load_settings({"MONITOR_CONFIG": str(config)})

    lines = str(caught.value).splitlines()
    assert lines[0] == "5 problems in the settings:"
    assert lines[1:] == [
        f"{config}:3: key 'timezone': unknown time zone 'Mars/Olympus' (an IANA name like "
        "Asia/Seoul)",
        f"{config}:4: key 'smtp_port': 'x' is not a number",
        f"{config}:5: key 'data_dri': unknown key (did you mean 'data_dir'?)",
        f"{config}:8: key 'poll.concurrency': must be a positive integer, got 0",
        f"{config}:9: key 'poll.tick': " + lines[5].split("'poll.tick': ", 1)[1],
    ]


def test_a_value_from_the_environment_is_blamed_on_the_variable(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('timezone = "Asia/Seoul"\n', encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings({"MONITOR_CONFIG": str(config), "MONITOR_TIMEZONE": "Mars/Olympus"})

    assert str(caught.value).startswith("MONITOR_TIMEZONE: unknown time zone 'Mars/Olympus'")
    assert str(config) not in str(caught.value)


def test_the_file_and_the_environment_problems_together(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('timezone = "Mars/Olympus"\n', encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings({"MONITOR_CONFIG": str(config), "MONITOR_SMTP_TLS": "maybe"})

    assert str(caught.value).splitlines()[1:] == [
        f"{config}:1: key 'timezone': unknown time zone 'Mars/Olympus' (an IANA name like "
        "Asia/Seoul)",
        "MONITOR_SMTP_TLS: 'maybe' is not one of none, starttls, tls",
    ]


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('timezone = "UTC"\ndata_dir = \n', encoding="utf-8")

    with pytest.raises(ConfigError, match=rf"^{config}:2: invalid TOML: "):
        load_settings({"MONITOR_CONFIG": str(config)})
