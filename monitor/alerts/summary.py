"""The one message that reports a chat's held alerts ("while alerts were paused: N items").
Pure. The same words after a mute and after a holding quiet window.

Alerts held during a mute or a holding quiet window (`monitor.alerts.quiet`) are
not sent one by one afterwards: the chat gets this summary, with the top
`TOP` items as links (urgent ones first, then the newest) and how many more.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from monitor.alerts.message import MAX_TITLE, NO_TITLE, _cut, _title_line
from monitor.models import StoredItem

TOP: Final = 3

HEADING: Final[Mapping[str, str]] = {
    "en": "🔕 While alerts were paused: {count} items",
    "ko": "🔕 알림을 멈춘 동안: {count}건",
}
HEADING_ONE: Final[Mapping[str, str]] = {
    "en": "🔕 While alerts were paused: 1 item",
    "ko": "🔕 알림을 멈춘 동안: 1건",
}
MORE: Final[Mapping[str, str]] = {
    "en": "…and {count} more: /latest",
    "ko": "…외 {count}건: /latest",
}


@dataclass(frozen=True)
class HeldItem:
    """One held alert as the summary shows it."""

    item: StoredItem
    feed_name: str
    urgent: bool = False


def format_held_summary(held: Sequence[HeldItem], *, count: int, ui_language: str) -> str:
    """The summary of `count` held alerts; `held` are their items (gone ones left out)."""
    lang = ui_language if ui_language in HEADING else "en"
    heading = HEADING_ONE[lang] if count == 1 else HEADING[lang].format(count=count)
    lines = [f"<b>{html.escape(heading)}</b>"]
    ranked = sorted(held, key=lambda h: (not h.urgent, -h.item.id))
    for h in ranked[:TOP]:
        title = _cut(h.item.title.strip() or NO_TITLE[lang], MAX_TITLE)
        mark = "🚨 " if h.urgent else "• "
        lines.append(f"{mark}{_title_line(title, h.item.url)} — {html.escape(h.feed_name)}")
    more = count - min(TOP, len(ranked))
    if more > 0:
        lines.append(html.escape(MORE[lang].format(count=more)))
    return "\n".join(lines)
