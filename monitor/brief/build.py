"""A brief read from the store: the one path the CLI and the bot share.

Resolves nothing and formats nothing: given parties and a period, it reads the
items (`Store.brief_items`) and the outlets' names, and calls the pure composer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from classifiers.base import Labels
from monitor.brief.compose import Brief, compose_brief, country_parties, organisation_parties
from monitor.brief.parties import Party
from monitor.models import StoredItem


class BriefStore(Protocol):
    """What a brief reads from `monitor.store.Store`."""

    def brief_items(
        self,
        *,
        countries: Sequence[str],
        organisations: Sequence[str],
        since: datetime,
        until: datetime,
        model_id: str | None = None,
    ) -> list[tuple[StoredItem, Labels]]: ...

    def feed_names(self) -> dict[str, str]: ...

    def latest_model_id(self) -> str | None: ...

    def embeddings(
        self, item_ids: Sequence[int], model_id: str
    ) -> dict[int, tuple[float, ...]]: ...


def build_brief(
    store: BriefStore,
    parties: Sequence[Party],
    *,
    since: datetime,
    until: datetime,
    language: str,
    topics: Sequence[str] = (),
    events: Sequence[str] = (),
    model_id: str | None = None,
) -> Brief:
    """The brief of `parties` over [since, until) from what the store holds."""
    model_id = model_id or store.latest_model_id()
    rows = store.brief_items(
        countries=country_parties(parties),
        organisations=organisation_parties(parties),
        since=since,
        until=until,
        model_id=model_id,
    )
    unassigned = [item.id for item, _ in rows if item.story_id is None]
    vectors = store.embeddings(unassigned, model_id) if unassigned and model_id else {}
    return compose_brief(
        rows,
        parties=parties,
        since=since,
        until=until,
        language=language,
        outlets=store.feed_names(),
        topics=topics,
        events=events,
        vectors=vectors,
    )
