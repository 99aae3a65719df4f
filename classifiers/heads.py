"""Light label heads over sentence embeddings: logistic regressions with thresholds fitted on data.

Each head is trained on the rows where its label is known (a topic example says
nothing about cooperation, say). Its decision threshold is the one that maximises
F1 on cross-validated predictions of the training rows; the held-out dev split is
never seen here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

CV_FOLDS = 5
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
        arrays[f"{name}.bt"] = np.array([head.bias, head.threshold], dtype=np.float32)
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
            )
            for name in names
        }
