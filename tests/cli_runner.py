"""Runs the `monitor` command in-process, with an environment and a folder of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from monitor.cli import main

WIDE = "400"  # COLUMNS: rich tables keep each row's first line intact at this width


@dataclass(frozen=True)
class Monitor:
    """Runs `monitor` in-process with an environment of its own, in a temporary folder."""

    root: Path
    data_dir: Path

    @property
    def feeds(self) -> Path:
        return self.root / "feeds.toml"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'monitor.db'}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "MONITOR_FEEDS": str(self.feeds),
            "MONITOR_DATA_DIR": str(self.data_dir),
            "MONITOR_DATABASE_URL": self.database_url,
            "COLUMNS": WIDE,
            **extra,
        }

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        return CliRunner().invoke(
            main, list(args), input=input, env=self.env(**env), catch_exceptions=False
        )
