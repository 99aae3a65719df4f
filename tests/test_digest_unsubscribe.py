"""The one-click unsubscribe endpoint (RFC 8058) on 127.0.0.1, through httpx."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fakes import FakeClock

from monitor.digest.unsubscribe import UnsubscribeServer, start_unsubscribe_server
from monitor.errors import ConfigError
from monitor.models import Recipient
from monitor.settings import Settings, load_settings
from monitor.store import Store

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


async def test_post_unsubscribes_and_get_only_asks(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/m.db") as store:
        kim = store.save_recipient(Recipient("kim@example.org"), NOW)
        server = UnsubscribeServer(store, FakeClock(NOW), host="127.0.0.1", port=0)
        await server.start()
        base = f"http://127.0.0.1:{server.port}"
        try:
            async with httpx.AsyncClient(base_url=base) as client:
                page = await client.get("/unsubscribe", params={"token": kim.token})
                assert page.status_code == 200 and "<b>kim@example.org</b>" in page.text
                assert "method='post'" in page.text
                recipient = store.recipient("kim@example.org")
                assert recipient is not None and recipient.active  # a GET changes nothing
                done = await client.post(
                    "/unsubscribe",
                    params={"token": kim.token},
                    content=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert done.status_code == 200 and "no more digests" in done.text
                recipient = store.recipient("kim@example.org")
                assert recipient is not None and not recipient.active
                bad = await client.post("/unsubscribe", params={"token": "forged"})
                assert bad.status_code == 404
                assert (await client.get("/elsewhere")).status_code == 404
                put = await client.put("/unsubscribe", params={"token": kim.token})
                assert put.status_code == 405
        finally:
            await server.close()


async def test_the_endpoint_runs_only_when_configured(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/m.db") as store:
        settings = Settings(tmp_path, tmp_path, store.url)
        assert await start_unsubscribe_server(settings, store) is None
    assert load_settings({"MONITOR_HTTP_LISTEN": "127.0.0.1:8080"}).http_listen == "127.0.0.1:8080"
    with pytest.raises(ConfigError, match="MONITOR_HTTP_LISTEN"):
        load_settings({"MONITOR_HTTP_LISTEN": "8080"})
