"""The Telegram bot: officials subscribe, search and vote; operators manage feeds.

`build_application(settings, store)` returns a python-telegram-bot `Application`
with every handler registered (`application`). The handlers live in
`commands` (officials) and `admin` (operators); argument parsing (`parsing`),
inline keyboards (`keyboards`), replies (`messages`) and texts (`i18n` with
one TOML catalogue per UI language in ``catalogues/``) are pure modules.
Alerts are composed by `monitor.alerts` and sent by its deliverer.
"""

from __future__ import annotations

from monitor.telegram.application import (
    BotApplication,
    build_application,
)

__all__ = ["BotApplication", "build_application"]
