"""`monitor feeds check`: fetch and parse every feed now and say how each one is doing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import Progress

from monitor.errors import FeedFetchError, FeedParseError
from monitor.ingest.address_guard import FetchGuards
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.parse import parse_feed
from monitor.models import FeedSpec
from monitor.settings import PollSettings

CHECK_RETRIES = 0  # an operator wants the answer now, not after backoff


@dataclass(frozen=True)
class CheckResult:
    feed: FeedSpec
    status: int | None = None
    entries: int | None = None
    encoding: str | None = None
    latency_s: float | None = None
    error: str | None = None
    problem: str | None = None


async def check_feeds(
    specs: Sequence[FeedSpec],
    poll: PollSettings,
    *,
    progress_console: Console | None = None,
    guards: FetchGuards | None = None,
) -> list[CheckResult]:
    """Fetch all feeds concurrently (within the poller's limits), with a progress bar.

    Each feed goes through the guard the poller would use (`FetchGuards`).
    """
    guards = guards or FetchGuards()
    limits = replace(FetchLimits.of(poll), retries=CHECK_RETRIES)
    async with Fetcher(user_agent=poll.user_agent, limits=limits) as fetcher:
        with Progress(
            console=progress_console, transient=True, disable=progress_console is None
        ) as progress:
            task = progress.add_task("checking feeds", total=len(specs))

            async def one(spec: FeedSpec) -> CheckResult:
                try:
                    return await check_feed(spec, fetcher, guards)
                finally:
                    progress.advance(task)

            return list(await asyncio.gather(*(one(s) for s in specs)))


async def check_feed(
    spec: FeedSpec, fetcher: Fetcher, guards: FetchGuards | None = None
) -> CheckResult:
    started = time.monotonic()
    try:
        result = await fetcher.fetch(spec.url, guard=(guards or FetchGuards()).for_feed(spec))
    except FeedFetchError as exc:
        return CheckResult(
            spec, status=exc.status, error=str(exc), latency_s=time.monotonic() - started
        )
    latency = time.monotonic() - started
    try:
        parsed = parse_feed(
            result.content,
            result.headers,
            feed_url=spec.url,
            language_hint=spec.language,
            now=datetime.now(UTC),
        )
    except FeedParseError as exc:
        return CheckResult(spec, status=result.status, latency_s=latency, error=str(exc))
    return CheckResult(
        spec,
        status=result.status,
        entries=len(parsed.items),
        encoding=parsed.encoding,
        latency_s=latency,
        problem=parsed.problem,
    )
