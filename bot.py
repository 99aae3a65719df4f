"""Thin entry point for the Telegram bot; the bot itself lives in `monitor.telegram`.

`monitor run` starts the bot together with the poller. ``python bot.py`` runs the
same service (the bot needs the poller's alerts to be useful on its own).
"""

from __future__ import annotations

from monitor.cli import main

if __name__ == "__main__":
    main(["run"])
