"""Item embeddings and the archive look-ups built on them: keyword search, similar items.

Vectors are the classifier's L2-normalised document embeddings (``Labels.embedding``),
kept per (content hash, model id) like the label cache, as little-endian float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from classifiers.base import Labels
from monitor.models import StoredItem
from monitor.store.engine import StoreBase
from monitor.store.items import stored_item
from monitor.store.labels import _LABEL_PREFIX, _labels  # the label cache's own row mapping
from monitor.store.schema import EMBEDDINGS, ITEMS, LABELS

SEARCH_BATCH: Final = 500  # items read per step while searching newest first
SEARCH_SCAN_LIMIT: Final = 50_000  # /search looks no further back than this many items
SIMILAR_SCAN_LIMIT: Final = 20_000  # similar_items compares with this many newest vectors


def encode_vector(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def decode_vector(blob: bytes) -> NDArray[np.float32]:
    return np.frombuffer(blob, dtype="<f4")


def label_columns() -> list[ColumnElement[object]]:
    """LABELS' columns, prefixed, to join onto an ITEMS select (read with `labels_of_row`)."""
    return [c.label(_LABEL_PREFIX + c.name) for c in LABELS.c]


def labels_of_row(row: RowMapping) -> Labels | None:
    """The labels joined by `label_columns`, or None when the item has none."""
    return None if row[_LABEL_PREFIX + "model_id"] is None else _labels(row, _LABEL_PREFIX)


def with_labels(stmt: Select[tuple[object, ...]], model_id: str) -> Select[tuple[object, ...]]:
    return stmt.outerjoin(
        LABELS,
        and_(LABELS.c.content_hash == ITEMS.c.content_hash, LABELS.c.model_id == model_id),
    )


def save_embedding(
    conn: Connection,
    insert: object,
    content_hash: str,
    model_id: str,
    vector: Sequence[float],
    now: datetime,
) -> None:
    """Upsert one vector inside the caller's transaction (`insert` is the dialect's insert)."""
    stmt = insert.values(  # type: ignore[attr-defined]
        content_hash=content_hash, model_id=model_id, vector=encode_vector(vector), created_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[EMBEDDINGS.c.content_hash, EMBEDDINGS.c.model_id],
        set_={"vector": encode_vector(vector), "created_at": now},
    )
    conn.execute(stmt)


class VectorRows(StoreBase):
    """Embeddings by (content hash, model id); search and similarity over the archive."""

    def save_embedding(
        self, content_hash: str, model_id: str, vector: Sequence[float], now: datetime
    ) -> None:
        """Remember a text's embedding under `model_id` (saving again replaces it)."""
        if not len(vector):
            return
        with self._begin("saving an embedding", write=True) as conn:
            save_embedding(conn, self._insert(EMBEDDINGS), content_hash, model_id, vector, now)

    def embeddings(self, item_ids: Sequence[int], model_id: str) -> dict[int, tuple[float, ...]]:
        """The stored vectors of these items under `model_id`, by item id (missing left out)."""
        found: dict[int, tuple[float, ...]] = {}
        with self._begin("reading embeddings") as conn:
            for row in conn.execute(_vectors_of(item_ids, model_id)):
                found[int(row[0])] = tuple(float(v) for v in decode_vector(row[1]))
        return found

    def items_by_id(
        self, item_ids: Sequence[int], model_id: str | None
    ) -> dict[int, tuple[StoredItem, Labels | None]]:
        """These items with `model_id`'s labels (None without labels or model), by id."""
        wanted = list(dict.fromkeys(item_ids))
        if not wanted:
            return {}
        if model_id is None:
            stmt = select(ITEMS).where(ITEMS.c.id.in_(wanted))
            with self._begin("reading items") as conn:
                rows = conn.execute(stmt).mappings().all()
            return {int(r["id"]): (stored_item(r), None) for r in rows}
        stmt = with_labels(select(ITEMS, *label_columns()), model_id).where(ITEMS.c.id.in_(wanted))
        with self._begin("reading items") as conn:
            rows = conn.execute(stmt).mappings().all()
        return {int(r["id"]): (stored_item(r), labels_of_row(r)) for r in rows}

    def search_items(
        self, words: Sequence[str], *, model_id: str, limit: int
    ) -> list[tuple[StoredItem, Labels | None]]:
        """Original items with every word in the title or text (case-folded), newest first."""
        folded = [w.casefold() for w in dict.fromkeys(words) if w.strip()]
        if not folded or limit < 1:
            return []
        conditions = [_contains(word, self._dialect) for word in folded]
        found: list[tuple[StoredItem, Labels | None]] = []
        before: tuple[datetime, int] | None = None
        scanned = 0
        while len(found) < limit and scanned < SEARCH_SCAN_LIMIT:
            stmt = (
                with_labels(select(ITEMS, *label_columns()), model_id)
                .where(ITEMS.c.duplicate_of.is_(None), *(c for c in conditions if c is not None))
                .order_by(ITEMS.c.first_seen_at.desc(), ITEMS.c.id.desc())
                .limit(SEARCH_BATCH)
            )
            if before is not None:
                seen_at, last_id = before
                stmt = stmt.where(
                    or_(
                        ITEMS.c.first_seen_at < seen_at,
                        and_(ITEMS.c.first_seen_at == seen_at, ITEMS.c.id < last_id),
                    )
                )
            with self._begin("searching items") as conn:
                rows = conn.execute(stmt).mappings().all()
            for row in rows:
                item = stored_item(row)
                haystack = f"{item.title}\n{item.text}\n{item.fulltext or ''}".casefold()
                if all(w in haystack for w in folded):
                    found.append((item, labels_of_row(row)))
                    if len(found) == limit:
                        break
            if len(rows) < SEARCH_BATCH:
                break
            scanned += len(rows)
            before = (rows[-1]["first_seen_at"], int(rows[-1]["id"]))
        return found

    def similar_items(
        self, item_ids: Sequence[int], *, model_id: str, limit: int, min_cosine: float
    ) -> list[tuple[StoredItem, Labels | None, float]]:
        """Other original items whose embedding is close to any of these items', closest first.

        The score is the best cosine against the given items; only the newest
        `SIMILAR_SCAN_LIMIT` vectors are compared.
        """
        if not item_ids or limit < 1:
            return []
        given = set(item_ids)
        with self._begin("finding similar items") as conn:
            stored = conn.execute(_vectors_of(item_ids, model_id)).all()
            queries = [decode_vector(row[1]) for row in stored]
            if not queries:
                return []
            stmt = (
                select(ITEMS.c.id, EMBEDDINGS.c.vector)
                .join(
                    EMBEDDINGS,
                    and_(
                        EMBEDDINGS.c.content_hash == ITEMS.c.content_hash,
                        EMBEDDINGS.c.model_id == model_id,
                    ),
                )
                .where(ITEMS.c.duplicate_of.is_(None), ITEMS.c.id.not_in(list(given)))
                .order_by(ITEMS.c.first_seen_at.desc(), ITEMS.c.id.desc())
                .limit(SIMILAR_SCAN_LIMIT)
            )
            found = conn.execute(stmt).all()
        dims = queries[0].shape[0]
        rows = [(int(r[0]), decode_vector(r[1])) for r in found]
        rows = [(i, v) for i, v in rows if v.shape[0] == dims]
        if not rows:
            return []
        matrix = np.stack([v for _, v in rows])
        scores = (matrix @ np.stack([q for q in queries if q.shape[0] == dims]).T).max(axis=1)
        order = [k for k in np.argsort(-scores, kind="stable") if scores[k] >= min_cosine][:limit]
        if not order:
            return []
        ids = [rows[k][0] for k in order]
        by_id = self.items_by_id(ids, model_id)
        return [
            (by_id[rows[k][0]][0], by_id[rows[k][0]][1], float(scores[k]))
            for k in order
            if rows[k][0] in by_id
        ]


def _vectors_of(item_ids: Sequence[int], model_id: str) -> Select[Any]:
    return (
        select(ITEMS.c.id, EMBEDDINGS.c.vector)
        .join(
            EMBEDDINGS,
            and_(
                EMBEDDINGS.c.content_hash == ITEMS.c.content_hash,
                EMBEDDINGS.c.model_id == model_id,
            ),
        )
        .where(ITEMS.c.id.in_(list(dict.fromkeys(item_ids))))
    )


def _contains(word: str, dialect: str) -> ColumnElement[bool] | None:
    """A SQL pre-filter for one case-folded word; None where SQL cannot fold its case.

    PostgreSQL's lower() folds every script; SQLite's only ASCII, so a word with
    other cased letters is checked in Python alone (every row is re-checked there).
    """
    if dialect != "postgresql" and not word.isascii() and word != word.upper():
        return None
    title = func.lower(ITEMS.c.title).contains(word, autoescape=True)
    text = func.lower(ITEMS.c.text).contains(word, autoescape=True)
    full = func.lower(func.coalesce(ITEMS.c.fulltext, "")).contains(word, autoescape=True)
    return or_(title, text, full)
