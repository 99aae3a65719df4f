"""Light label heads over sentence embeddings: logistic regressions with thresholds fitted on data.

Each head is trained on the rows where its label is known (a topic example says
nothing about cooperation, say). Its decision threshold is the one that maximises
F1 on cross-validated predictions of the training rows; the held-out splits are
never seen here.

A topic head has two thresholds: one for the document (title + lead) and a higher one
for its best passage (a sentence anywhere in the text). Both are chosen together, by
F1 on cross-validated predictions for the labelled items only (where stories with
several topics and with none are common), with explicit mentions of the topic counted
as positives, exactly as the classifier decides.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

CV_FOLDS = 5
NEVER = 2.0  # a threshold no probability reaches
PASSAGE_RANGE = (0.3, 0.98)  # candidate cuts for the best passage of an item
MIN_ITEM_POSITIVES = 4  # fewer labelled items with the topic: thresholds from all rows
THRESHOLD_RANGE = (0.15, 0.85)  # a threshold outside this says the head has too little data
REGULARISATION_C = (
    32.0  # 5-fold CV on the training split: F1 rises up to here (bench/tune_heads.py)
)


@dataclass(frozen=True)
class Head:
    """One binary logistic head: p = sigmoid(x·w + b); positive when p >= threshold."""

    weights: NDArray[np.float32]
    bias: float
    threshold: float
    passage_threshold: float = NEVER  # a topic head's cut for its best passage

    def probability(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        z: NDArray[np.float32] = np.asarray(x @ self.weights + self.bias, dtype=np.float32)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def fit_head(x: NDArray[np.float32], y: NDArray[np.int8], *, seed: int = 0) -> Head:
    """Fit a balanced logistic regression and choose its threshold by cross-validated F1."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    def model() -> LogisticRegression:
        return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=2000)

    positives = int(y.sum())
    folds = min(CV_FOLDS, positives, len(y) - positives)
    threshold = 0.5
    if folds >= 2:
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        p = cross_val_predict(model(), x, y, cv=cv, method="predict_proba")[:, 1]
        threshold = best_f1_threshold(p, y)
    fitted = model().fit(x, y)
    return Head(
        weights=fitted.coef_[0].astype(np.float32),
        bias=float(fitted.intercept_[0]),
        threshold=threshold,
    )


def fit_topic_head(
    x: NDArray[np.float32],
    y: NDArray[np.int8],
    *,
    items: NDArray[np.bool_],
    passages: list[NDArray[np.float32]],
    mentioned: NDArray[np.bool_],
    seed: int = 0,
) -> Head:
    """Fit a topic head and its document and passage thresholds.

    Args:
        x, y: Every row that informs the topic (items, topics.toml examples, negatives).
        items: Which rows are labelled items; only they choose the thresholds.
        passages: Per row, the vectors of its passages (empty when it has none).
        mentioned: Per row, whether the text names the topic outright.
        seed: For the folds.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    def model() -> LogisticRegression:
        return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=2000)

    positives = int(y.sum())
    folds = min(CV_FOLDS, positives, len(y) - positives)
    item_positives = int(y[items].sum())
    if folds < 2 or item_positives < MIN_ITEM_POSITIVES:
        head = fit_head(x, y, seed=seed)  # e.g. a topic an operator just added
        return Head(head.weights, head.bias, head.threshold, max(head.threshold, 0.6))
    document = np.zeros(len(y), np.float32)
    passage = np.zeros(len(y), np.float32)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in cv.split(x, y):
        fold = model().fit(x[train], y[train])
        document[test] = fold.predict_proba(x[test])[:, 1]
        for i in test:
            if items[i] and len(passages[i]):
                passage[i] = fold.predict_proba(passages[i])[:, 1].max()
    threshold, passage_threshold = best_f1_pair(
        document[items], passage[items], mentioned[items], y[items]
    )
    fitted = model().fit(x, y)
    return Head(
        weights=fitted.coef_[0].astype(np.float32),
        bias=float(fitted.intercept_[0]),
        threshold=threshold,
        passage_threshold=passage_threshold,
    )


def best_f1_pair(
    document: NDArray[np.floating],
    passage: NDArray[np.floating],
    mentioned: NDArray[np.bool_],
    y: NDArray[np.int8],
) -> tuple[float, float]:
    """The (document, passage) cuts that maximise F1 of `doc >= t or passage >= u or mentioned`.

    Among equally good pairs: the highest passage cut (the passage rule is the riskier one),
    then the middle of the best run of document cuts.
    """
    truth = y == 1
    t_grid = np.linspace(*THRESHOLD_RANGE, 71)
    results: list[tuple[float, float, float]] = []  # (f1, u, t)
    for u in [*np.linspace(*PASSAGE_RANGE, 35), NEVER]:
        by_passage = (passage >= u) | mentioned
        for t in t_grid:
            predicted = by_passage | (document >= t)
            tp = float(np.sum(predicted & truth))
            fp = float(np.sum(predicted & ~truth))
            fn = float(np.sum(~predicted & truth))
            results.append((2 * tp / (2 * tp + fp + fn) if tp else 0.0, float(u), float(t)))
    best = max(f1 for f1, _, _ in results)
    u_best = max(u for f1, u, _ in results if f1 >= best - 1e-9)
    ts = [t for f1, u, t in results if u == u_best and f1 >= best - 1e-9]
    return ts[len(ts) // 2], u_best


def best_f1_threshold(p: NDArray[np.floating], y: NDArray[np.int8]) -> float:
    """The probability cut that maximises F1; ties go to the middle of the best run."""
    candidates = np.linspace(*THRESHOLD_RANGE, 71)
    scores = []
    for t in candidates:
        predicted = p >= t
        tp = float(np.sum(predicted & (y == 1)))
        fp = float(np.sum(predicted & (y == 0)))
        fn = float(np.sum(~predicted & (y == 1)))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    best = max(scores)
    best_indices = [i for i, s in enumerate(scores) if s >= best - 1e-9]
    return float(candidates[best_indices[len(best_indices) // 2]])


def fit_heads(
    training: Mapping[str, tuple[NDArray[np.float32], NDArray[np.int8]]],
) -> dict[str, Head]:
    """Fit every head (name -> features, 0/1 labels) that has positive and negative rows."""
    return {name: fit_head(x, y) for name, (x, y) in training.items() if 0 < int(y.sum()) < len(y)}


def save_heads(heads: Mapping[str, Head]) -> bytes:
    """Heads as an .npz blob (no pickle)."""
    arrays: dict[str, NDArray[np.float32]] = {}
    for name, head in heads.items():
        arrays[f"{name}.w"] = head.weights
        arrays[f"{name}.bt"] = np.array(
            [head.bias, head.threshold, head.passage_threshold], dtype=np.float32
        )
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def load_heads(blob: bytes) -> dict[str, Head]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        names = sorted({key.rsplit(".", 1)[0] for key in arrays.files})
        return {
            name: Head(
                weights=arrays[f"{name}.w"].astype(np.float32),
                bias=float(arrays[f"{name}.bt"][0]),
                threshold=float(arrays[f"{name}.bt"][1]),
                passage_threshold=float(arrays[f"{name}.bt"][2]),
            )
            for name in names
        }
