"""The `monitor` group: logging, settings, and the one error boundary of every command."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from classifiers.base import Classifier
from classifiers.errors import BackendError, ClassifierDataError
from monitor.cli.logs import LogFormat, log_level, setup_logging
from monitor.errors import ConfigError, MonitorError
from monitor.settings import Settings, load_settings

log = logging.getLogger("monitor")

out = Console()
err = Console(stderr=True)


EXIT_FAILED = 1  # the command ran, but something it did failed (a feed, a delivery)
EXIT_BAD_INPUT = 2  # bad configuration or input, or a resource we cannot use: nothing was done
EXIT_BUG = 70  # EX_SOFTWARE: an error we did not expect, shown with its traceback
BUG_HINT = (
    "this is a bug in monitor: please report it with the traceback above and the command you ran"
)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one ``error: ...`` line on stderr and exit with `code`."""
    # escaped: messages quote "[poll]" and "[[feed]]"; soft_wrap: one line, however long
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def expected_failure(exc: BaseException) -> str | None:
    """The one-line message of an expected failure, or None for a bug.

    Expected: our own errors, the classifiers' data and backend errors (a missing
    model, a broken topics.toml), and the operating system refusing something (a
    full disk, a missing directory, a permission): each names what and where.
    """
    if isinstance(exc, MonitorError | ClassifierDataError | BackendError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return None


class MonitorGroup(click.Group):
    """The one error boundary: expected failures become one line and exit 2, bugs a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            message = expected_failure(exc)
            if message is None:
                log.critical("unexpected error", exc_info=exc)
                fail(BUG_HINT, EXIT_BUG)
            log.debug("failure", exc_info=exc)  # the traceback, for --verbose
            fail(message)


@click.group(cls=MonitorGroup)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (retries, each request).")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and errors only.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="MONITOR_LOG_FORMAT",
    show_default=True,
    help="json: one JSON object per log line, for log collectors.",
)
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool, log_format: LogFormat) -> None:
    """Multilingual news monitor for Asia-Pacific health cooperation.

    The log level is --verbose, --quiet, or MONITOR_LOG_LEVEL (DEBUG, INFO, WARNING,
    ERROR; default INFO). Exit codes: 0 all good, 1 the command ran but something
    failed (a feed, a delivery), 2 bad configuration or input, 70 a bug.
    """
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet exclude each other")
    try:
        level = log_level(verbose=verbose, quiet=quiet, environ=os.environ)
    except ConfigError as exc:
        fail(str(exc))
    setup_logging(level, log_format)
    ctx.obj = None


def settings_of(ctx: click.Context) -> Settings:
    if ctx.obj is None:
        ctx.obj = load_settings()
    assert isinstance(ctx.obj, Settings)
    return ctx.obj


def build_classifier(settings: Settings) -> Classifier:
    """The configured backend: transformers when MONITOR_MODEL is set, else the embedded model."""
    from classifiers.factory import load_classifier

    return load_classifier(
        model=settings.model,
        summary_model=settings.summary_model,
        cache_dir=settings.data_dir / "models",
    )
