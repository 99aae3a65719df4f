"""The `monitor` command line: one group, a module per command group, one error boundary."""

from __future__ import annotations

from monitor.cli import brief as brief  # monitor brief
from monitor.cli import classify, db, feeds, operations, service
from monitor.cli import coverage as coverage  # monitor coverage
from monitor.cli import digest as digest  # monitor digest, monitor recipients
from monitor.cli import feedback as feedback  # monitor feedback export
from monitor.cli import stories as stories  # monitor stories
from monitor.cli import subscribers as subscribers  # monitor subscribers
from monitor.cli.main import main

__all__ = ["classify", "db", "feeds", "main", "operations", "service"]
