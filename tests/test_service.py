"""The service loop: `monitor run` stopped by signals, and feeds.toml reloaded while it runs."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest
from fakebotapi import FakeBotAPI
from feedserver import FeedServer
from test_alerts_service import TOKEN, rss

from monitor.filters import Filter
from monitor.ingest.pipeline import PollOutcome
from monitor.models import Subscription
from monitor.service import run_service
from monitor.settings import PollSettings, Settings
from monitor.store import Store

DATA = Path(__file__).parent / "data"
MONITOR_SCRIPT = Path(sys.executable).with_name("monitor")
FIRST_ROUND_S = 90.0  # the process starts and loads the (warmed) model, then polls at once
STOP_S = 40.0  # SHUTDOWN_GRACE (30 s) plus start-up slack
ROUND_S = 15.0  # in-process rounds with a 50 ms tick
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data dir of every test that loads the model: its heads are fitted once per session.

    Databases live in each test's own tmp_path (MONITOR_DATABASE_URL), so only the
    model cache under `models/` is shared. tests/test_cli.py uses the same folder.
    """
    return tmp_path_factory.getbasetemp() / "monitor-shared-data"


@pytest.fixture(scope="module")
def warm_model(shared_data_dir: Path) -> Path:
    """Fit (or load) the embedded model's heads in the shared data dir, without a deadline."""
    from classifiers.factory import load_classifier

    load_classifier(model=None, summary_model=None, cache_dir=shared_data_dir / "models")
    return shared_data_dir


@pytest.fixture
def two_feeds(feed_server: FeedServer) -> dict[str, str]:
    """Two feeds on the local server, one of them EUC-KR: name -> URL."""
    return {
        "WHO WPRO": feed_server.add("/who.xml", (DATA / "who_rss_en.xml").read_bytes()),
        "KDCA": feed_server.add(
            "/kdca.xml",
            (DATA / "kdca_rss_euckr.xml").read_bytes(),
            content_type="application/rss+xml; charset=euc-kr",
        ),
    }


def feeds_toml(feeds: dict[str, str]) -> str:
    return "".join(
        f'# {name}\n[[feed]]\nurl = "{url}"\nname = "{name}"\ninterval = "30m"\n\n'
        for name, url in feeds.items()
    )


# --- `monitor run` as a process ------------------------------------------------------------------


@dataclass
class Service:
    """A `monitor run` process with its own environment and log files."""

    proc: subprocess.Popen[bytes]
    root: Path
    database_url: str
    name: str = ""  # a second start of the service in the same folder logs apart

    @property
    def stdout(self) -> str:
        return (self.root / f"stdout{self.name}.txt").read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return (self.root / f"stderr{self.name}.txt").read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Wait, bounded, for `condition`; fail at once if the process ends first."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not after {timeout_s:.0f} s\n{self.stderr}")
            try:
                self.proc.wait(timeout=0.05)  # returns early if the process ends
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(
                f"monitor run ended with {self.proc.returncode} before {what}\n{self.stderr}"
            )

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"monitor run still running {STOP_S:.0f} s after {sig.name}\n{self.stderr}")


class StartService(Protocol):
    def __call__(self, feeds_text: str, extra_env: dict[str, str] | None = None) -> Service: ...


@pytest.fixture
def start_service(tmp_path: Path, shared_data_dir: Path) -> Iterator[StartService]:
    """Start `monitor run` on a feeds.toml text; the process is killed if a test leaves it.

    `extra_env` adds variables (the Telegram token and API URL); each start in one test
    logs to its own stdout/stderr files.
    """
    started: list[Service] = []

    def start(feeds_text: str, extra_env: dict[str, str] | None = None) -> Service:
        name = f"-{len(started)}" if started else ""
        (tmp_path / "feeds.toml").write_text(feeds_text, encoding="utf-8")
        (tmp_path / "monitor.toml").write_text('[poll]\ntick = "1s"\n', encoding="utf-8")
        database_url = f"sqlite:///{tmp_path / 'monitor.db'}"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MONITOR_") and k.lower() not in PROXY_VARIABLES
        }
        env |= {
            "MONITOR_FEEDS": str(tmp_path / "feeds.toml"),
            "MONITOR_CONFIG": str(tmp_path / "monitor.toml"),
            "MONITOR_DATA_DIR": str(shared_data_dir),
            "MONITOR_DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
        }
        env |= extra_env or {}
        command = (
            [str(MONITOR_SCRIPT)]
            if MONITOR_SCRIPT.exists()
            else [sys.executable, "-m", "monitor.cli"]
        )
        with (
            open(tmp_path / f"stdout{name}.txt", "wb") as out,
            open(tmp_path / f"stderr{name}.txt", "wb") as err,
        ):
            proc = subprocess.Popen(
                [*command, "run"], cwd=tmp_path, env=env, stdout=out, stderr=err
            )
        service = Service(proc, tmp_path, database_url, name)
        started.append(service)
        return service

    yield start
    for service in started:
        if service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_polls_then_stops_cleanly_on_a_signal(
    sig: signal.Signals,
    warm_model: Path,
    start_service: StartService,
    feed_server: FeedServer,
    two_feeds: dict[str, str],
) -> None:
    service = start_service(feeds_toml(two_feeds))

    service.wait_until(
        lambda: feed_server.hits("/who.xml") >= 1 and feed_server.hits("/kdca.xml") >= 1,
        FIRST_ROUND_S,
        "both feeds fetched",
    )
    # The round may still be parsing, classifying and storing: the signal must let it finish.
    returncode = service.stop(sig)

    assert returncode == 0, service.stderr
    assert "Traceback" not in service.stderr
    assert "monitor stopped" in service.stderr
    with Store.open(service.database_url) as store:
        titles = {item.title for item in store.recent_items(limit=100)}
        health = {h.name: h for h in store.feed_health()}
        claimed = store.claim_due_feeds("probe", datetime.now(UTC), timedelta(minutes=1))
    assert "질병관리청, 라오스와 뎅기열 감시체계 공동연구 착수" in titles
    assert len(titles) == 5
    assert set(health) == {"WHO WPRO", "KDCA"}
    for feed in health.values():
        assert feed.last_success_at is not None
        assert feed.last_status == 200
        assert feed.consecutive_errors == 0
        assert feed.lease_owner is None, "the lease was released"
        assert feed.items_total > 0
    assert claimed == [], "nothing is left claimed, and nothing is due for 30 minutes"


def test_a_second_signal_stops_without_waiting_for_polls_in_flight(
    warm_model: Path, start_service: StartService, feed_server: FeedServer
) -> None:
    # one byte every 0.2 s: the fetch stays in flight for the whole 60 s request timeout
    slow = feed_server.add_drip("/slow.xml", (DATA / "who_rss_en.xml").read_bytes(), 0.2)
    service = start_service(feeds_toml({"slow": slow}))
    service.wait_until(lambda: feed_server.hits("/slow.xml") >= 1, FIRST_ROUND_S, "fetching")

    service.proc.send_signal(signal.SIGTERM)
    service.wait_until(lambda: "finishing polls in flight" in service.stderr, 10, "stopping")
    assert service.proc.poll() is None, "the first signal waits for the poll in flight"
    returncode = service.stop(signal.SIGINT)

    assert returncode == 0, service.stderr
    assert "second signal: stopping now" in service.stderr, "not after the 30 s grace"
    assert "monitor stopped" in service.stderr
    assert "Traceback" not in service.stderr


# Clearly relevant items, each its own story: every subscribed chat gets each of them.
NEWS = (
    "Korea and Indonesia sign MOU on digital health and telemedicine cooperation",
    "Japan and Vietnam agree to expand cooperation on antimicrobial resistance surveillance",
    "WHO and Thailand launch a joint programme on healthy ageing and long-term care",
    "China and Laos open a joint dengue and malaria control centre in Vientiane",
    "Korea to train Cambodian nurses under a new health workforce partnership",
)
CHATS = (101, 102, 103)


def news_for_every_chat(feed_server: FeedServer, database_url: str) -> str:
    """Serve NEWS as a local feed and subscribe CHATS to all relevant news; the feed's URL."""
    with Store.open(database_url) as store:
        for chat in CHATS:
            broad = Filter(cooperation_only=False)
            store.save_subscription(Subscription(chat_id=chat, filter=broad), datetime.now(UTC))
    return feed_server.add("/news.xml", rss(*((f"n{i}", title) for i, title in enumerate(NEWS))))


def test_kill_9_in_mid_delivery_then_a_restart_sends_every_alert_once(
    warm_model: Path, start_service: StartService, feed_server: FeedServer, tmp_path: Path
) -> None:
    url = news_for_every_chat(feed_server, f"sqlite:///{tmp_path / 'monitor.db'}")
    expected = len(NEWS) * len(CHATS)
    with FakeBotAPI() as api:
        api.token = TOKEN
        env = {"MONITOR_TELEGRAM_TOKEN": TOKEN, "MONITOR_TELEGRAM_API_URL": api.url}
        api.hold(after=4)  # four alerts answered; the next ones wait unanswered
        first = start_service(feeds_toml({"News": url}), env)
        first.wait_until(lambda: api.holding >= 1, FIRST_ROUND_S, "a send in flight")

        first.proc.kill()  # SIGKILL: no handler runs, leases stay taken
        first.proc.wait()
        api.drop_held()  # Telegram never got the sends in flight
        with Store.open(first.database_url) as store:
            counts = store.delivery_counts()
        assert len(api.sent()) == 4
        assert counts["sent"] == 4 and counts["pending"] == expected - 4, counts

        second = start_service(feeds_toml({"News": url}), env)

        def all_sent() -> bool:
            with Store.open(second.database_url) as store:
                return store.delivery_counts()["sent"] == expected

        # well within the 2-minute lease: the restart frees its dead predecessor's leases
        second.wait_until(all_sent, 60, "every alert sent")
        assert second.stop(signal.SIGTERM) == 0, second.stderr
        sent = [(call["chat_id"], call["text"]) for call in api.sent()]

    assert "freed what 1 stopped process(es) held" in second.stderr
    assert len(sent) == expected
    assert len(set(sent)) == expected, "an alert was sent twice"
    for chat in CHATS:
        assert sum(c == chat for c, _ in sent) == len(NEWS)
    with Store.open(second.database_url) as store:
        assert store.delivery_counts()["pending"] == 0


def test_two_services_on_postgresql_send_each_alert_once_and_one_answers_the_chats(
    warm_model: Path, start_service: StartService, feed_server: FeedServer, postgres_url: str
) -> None:
    url = news_for_every_chat(feed_server, postgres_url)
    expected = len(NEWS) * len(CHATS)
    with FakeBotAPI() as api:
        api.token = TOKEN
        env = {
            "MONITOR_TELEGRAM_TOKEN": TOKEN,
            "MONITOR_TELEGRAM_API_URL": api.url,
            "MONITOR_DATABASE_URL": postgres_url,
        }
        services = [start_service(feeds_toml({"News": url}), env) for _ in range(2)]

        def all_sent() -> bool:
            with Store.open(postgres_url) as store:
                return store.delivery_counts()["sent"] == expected

        services[0].wait_until(all_sent, FIRST_ROUND_S, "every alert sent")
        api.send_text("/help", user=7)
        api.wait_for(lambda reqs: any(p.get("chat_id") == "7" for _, p in reqs), 30)
        for service in services:
            assert service.stop(signal.SIGTERM) == 0, service.stderr
        sent = [(call["chat_id"], call["text"]) for call in api.sent()]

    alerts = [s for s in sent if s[0] in CHATS]
    assert len(alerts) == expected
    assert len(set(alerts)) == expected, "an alert was sent twice"
    assert [c for c, _ in sent].count(7) == 1, "/help answered once"
    answering = ["this process answers the bot's chats" in s.stderr for s in services]
    assert sorted(answering) == [False, True]


def test_run_with_a_broken_feeds_file_exits_2(
    start_service: StartService, two_feeds: dict[str, str]
) -> None:
    broken = feeds_toml(two_feeds) + '[[feed]]\nurl = "ftp://files.example/feed"\n'
    lines = broken.count("\n")

    service = start_service(broken)
    returncode = service.proc.wait(timeout=STOP_S)

    assert returncode == 2, service.stderr
    error = [line for line in service.stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1, service.stderr
    assert f"feeds.toml:{lines}:" in error[0]
    assert "'url'" in error[0]
    assert "Traceback" not in service.stderr
    assert not (service.root / "monitor.db").exists()


# --- hot reload, in process ----------------------------------------------------------------------


class Rounds:
    """Collects what each poll batch did; tests await the next one."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[list[PollOutcome]] = asyncio.Queue()

    def __call__(self, outcomes: list[PollOutcome]) -> None:
        self._queue.put_nowait(outcomes)

    async def next(self) -> dict[str, PollOutcome]:
        outcomes = await asyncio.wait_for(self._queue.get(), ROUND_S)
        return {o.feed.name: o for o in outcomes}

    def pending(self) -> int:
        return self._queue.qsize()


async def test_an_edited_feeds_file_is_picked_up_and_a_broken_edit_keeps_the_last_good_list(
    tmp_path: Path,
    feed_server: FeedServer,
    two_feeds: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds_path = tmp_path / "feeds.toml"
    feeds_path.write_text(feeds_toml(two_feeds), encoding="utf-8")
    third = feed_server.add("/gb.xml", (DATA / "nhc_rss_gb2312.xml").read_bytes())
    settings = Settings(
        feeds_path=feeds_path,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        poll=replace(PollSettings(), tick=timedelta(milliseconds=50)),
    )
    rounds = Rounds()
    stop = asyncio.Event()
    service = asyncio.create_task(
        run_service(settings, classifier=None, stop=stop, on_outcomes=rounds)
    )
    try:
        first = await rounds.next()
        assert set(first) == {"WHO WPRO", "KDCA"}
        assert all(o.error is None and len(o.originals) > 0 for o in first.values())

        # The callback runs inside the round and the round ends without yielding to us, so
        # what we do now is what the next round finds. A broken edit that also drops KDCA:
        feeds_path.write_text(
            feeds_toml({"WHO WPRO": two_feeds["WHO WPRO"]}) + "[[feed]\nurl = 1\n",
            encoding="utf-8",
        )
        with Store.open(settings.database_url) as store:  # as `monitor poll --all` would
            store.mark_all_due(datetime.now(UTC))
        with caplog.at_level(logging.ERROR, logger="monitor.feeds"):
            second = await rounds.next()
        assert set(second) == {"WHO WPRO", "KDCA"}, "the last good list is still polled"
        assert all(o.status == 304 or o.error is None for o in second.values())
        assert any("keeping the previous 2 feeds" in r.getMessage() for r in caplog.records)

        fixed = {**two_feeds, "NHC (GB2312)": third}
        feeds_path.write_text(feeds_toml(fixed), encoding="utf-8")
        third_round = await rounds.next()
        assert set(third_round) == {"NHC (GB2312)"}, "only the new feed is due"
        assert third_round["NHC (GB2312)"].error is None
        assert len(third_round["NHC (GB2312)"].originals) > 0
        assert feed_server.hits("/gb.xml") == 1
    finally:
        stop.set()
        await asyncio.wait_for(service, ROUND_S)
    assert rounds.pending() == 0
    assert feed_server.hits("/who.xml") == feed_server.hits("/kdca.xml") == 2
    with Store.open(settings.database_url) as store:
        health = {h.name: h for h in store.feed_health()}
    assert set(health) == {"WHO WPRO", "KDCA", "NHC (GB2312)"}
    assert all(h.removed_at is None and h.lease_owner is None for h in health.values())


async def test_stop_before_the_first_round_returns_cleanly_and_gives_signals_back(
    tmp_path: Path, two_feeds: dict[str, str]
) -> None:
    feeds_path = tmp_path / "feeds.toml"
    feeds_path.write_text(feeds_toml(two_feeds), encoding="utf-8")
    settings = Settings(
        feeds_path=feeds_path,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
    )
    stop = asyncio.Event()
    stop.set()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

    await asyncio.wait_for(run_service(settings, classifier=None, stop=stop), ROUND_S)

    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "the service gave SIGTERM back"

    with Store.open(settings.database_url) as store:
        assert all(h.lease_owner is None for h in store.feed_health())
