"""Secrets never reach a log line: the bot token, the SMTP password, the database password.

The end-to-end check runs the real `monitor` at DEBUG against the Bot API stand-in:
python-telegram-bot's own `telegram.Bot` logger prints the API URL with the token.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from feedserver import FeedServer

from monitor.cli.logs import SecretMask, install_secret_mask, secrets_of

TOKEN = "424242:AAE-secretPartOfTheToken_x9"
PASSWORD = "hunter2-smtp"
MONITOR = str(Path(sys.executable).with_name("monitor"))
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid>'
    b"<title>Korea and Laos sign a health MOU</title><link>http://news.test/1</link>"
    b"</item></channel></rss>"
)


def leaks(text: str) -> list[str]:
    secrets = (TOKEN, TOKEN.partition(":")[2], PASSWORD, "db-pass-77")
    return [line for line in text.splitlines() if any(s in line for s in secrets)]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["-v"], {}),
        (["-v", "--log-format", "json"], {}),
        ([], {"MONITOR_LOG_LEVEL": "DEBUG"}),
    ],
)
def test_a_real_bot_call_at_debug_never_prints_the_token(
    tmp_path: Path, feed_server: FeedServer, args: list[str], env: dict[str, str]
) -> None:
    url = feed_server.add("/news.xml", RSS)
    (tmp_path / "feeds.toml").write_text(f'[[feed]]\nurl = "{url}"\n', encoding="utf-8")
    with FakeBotAPI() as api:
        api.token = TOKEN
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        environ |= {
            "MONITOR_FEEDS": str(tmp_path / "feeds.toml"),
            "MONITOR_DATA_DIR": str(tmp_path),
            "MONITOR_TELEGRAM_TOKEN": TOKEN,
            "MONITOR_TELEGRAM_API_URL": api.url,
            "MONITOR_SMTP_PASSWORD": PASSWORD,
            **env,
        }
        done = subprocess.run(
            [MONITOR, *args, "poll", "--once", "--all", "--no-classify"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert api.calls("getMe"), "the bot really called the Bot API"
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Bot API URL" in output, "telegram.Bot's DEBUG lines are there, masked"
    assert "[MONITOR_TELEGRAM_TOKEN]" in output
    assert leaks(output) == []


def test_arguments_tracebacks_and_quoted_forms_are_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    environ = {
        "MONITOR_TELEGRAM_TOKEN": TOKEN,
        "MONITOR_SMTP_PASSWORD": PASSWORD,
        "MONITOR_DATABASE_URL": "postgresql://monitor:db-pass-77@db.internal/monitor",
    }
    install_secret_mask([caplog.handler], environ)
    log = logging.getLogger("httpx")
    with caplog.at_level(logging.DEBUG, logger="httpx"):
        log.warning("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
        log.warning("quoted: %s", "bot424242%3AAAE-secretPartOfTheToken_x9")
        try:
            raise RuntimeError(f"login failed with {PASSWORD} at db-pass-77")
        except RuntimeError:
            log.exception("smtp")
    text = caplog.text
    assert "bot[MONITOR_TELEGRAM_TOKEN]/getMe" in text
    assert "[MONITOR_SMTP_PASSWORD]" in text and "[database password]" in text
    assert leaks(text) == []


def test_short_or_missing_secrets_mask_nothing() -> None:
    assert secrets_of({"MONITOR_SMTP_PASSWORD": "ab"}) == {}
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %s", ("text",), None)
    assert SecretMask({}).filter(record) and record.getMessage() == "plain text"
