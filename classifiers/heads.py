"""Light label heads over sentence embeddings: logistic regressions with thresholds fitted on data.

Topic heads read the text's character n-grams beside its embedding (`classifiers.lexical`).

Each head is trained on the rows where its label is known (a topic example says
nothing about cooperation, say). Its decision threshold is the one that maximises
F1 on cross-validated predictions of the training rows; the held-out splits are
never seen here.

A topic head has three thresholds: its own for the document (title + lead), one for the
best passage (a sentence anywhere in the text) and one for the best item of an agenda
list (`classifiers.agenda`), both shared by all topics. They are chosen on
cross-validated predictions for the labelled items only (where stories with several
topics and with none are common), with explicit mentions of the topic counted as
positives, exactly as the classifier decides.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # sklearn is imported when heads are fitted, not when they are used
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

# rows of features: e5 vectors, or (topic heads) vectors beside character n-grams
Features: TypeAlias = "NDArray[np.float32] | csr_matrix"

# topic heads, over e5 vectors and character n-grams (classifiers.lexical): dev topic
# micro-F1 with C = 8 / 16 / 64: 0.867 / 0.869 / 0.853 (e5 alone, C = 64, was 0.837)
TOPIC_REGULARISATION_C = 16.0
CV_FOLDS = 5
# cuts are chosen on out-of-fold probabilities averaged over this many fold assignments:
# with one, eight more negative rows moved the list cut from 0.974 to 0.990, the relevance
# cut from 0.22 to 0.33 and dev topic micro-F1 by 0.017, by reshuffling the folds alone
CV_REPEATS = 3
NEVER = 2.0  # a threshold no probability reaches
# candidate cuts for the best passage of an item: a single sentence saturates the heads
# more than a whole lead does, so the grid is finest near 1
PASSAGE_CUTS = (*np.linspace(0.3, 0.9, 13), *np.linspace(0.91, 0.999, 30))
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
    # a stricter second cut for weaker evidence: a topic head's cut for its best passage; the
    # cooperation head's cut for items naming one country and no international organisation
    passage_threshold: float = NEVER
    # a topic head's cut for the best item of an agenda list
    list_threshold: float = NEVER

    def probability(self, x: Features) -> NDArray[np.float32]:
        z: NDArray[np.float32] = np.asarray(x @ self.weights + self.bias, dtype=np.float32)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def fit_head(x: Features, y: NDArray[np.int8], *, seed: int = 0) -> Head:
    """Fit a balanced logistic regression and choose its threshold by cross-validated F1."""
    positives = int(y.sum())
    folds = min(CV_FOLDS, positives, len(y) - positives)
    threshold = best_f1_threshold(out_of_fold(x, y, seed=seed), y) if folds >= 2 else 0.5
    fitted = _head_model().fit(x, y)
    return Head(
        weights=fitted.coef_[0].astype(np.float32),
        bias=float(fitted.intercept_[0]),
        threshold=threshold,
    )


def out_of_fold(x: Features, y: NDArray[np.int8], *, seed: int = 0) -> NDArray[np.float32]:
    """Cross-validated probabilities of a head fitted as `fit_head` fits it (one per row),
    averaged over CV_REPEATS fold assignments."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    positives = int(y.sum())
    folds = min(CV_FOLDS, positives, len(y) - positives)
    if folds < 2:
        return np.full(len(y), 0.5, np.float32)
    p = np.zeros(len(y), np.float64)
    for repeat in range(CV_REPEATS):
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        p += cross_val_predict(_head_model(), x, y, cv=cv, method="predict_proba")[:, 1]
    return np.asarray(p / CV_REPEATS, np.float32)


def _head_model() -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=2000)


def stricter_cut(
    p: NDArray[np.float32], y: NDArray[np.int8], weak: NDArray[np.bool_], threshold: float
) -> float:
    """The cut for the rows with weaker evidence (`weak`) that maximises F1 over all rows, the
    others keeping `threshold`; never below it. Ties go to the middle of the best run."""
    truth = y == 1
    candidates = np.linspace(threshold, 0.99, 50)
    scores = []
    for u in candidates:
        predicted = np.where(weak, p >= u, p >= threshold)
        tp = float(np.sum(predicted & truth))
        fp = float(np.sum(predicted & ~truth))
        fn = float(np.sum(~predicted & truth))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    best = max(scores)
    run = [i for i, f1 in enumerate(scores) if f1 >= best - 1e-9]
    return float(candidates[run[len(run) // 2]])


@dataclass(frozen=True)
class TopicEvidence:
    """Cross-validated probabilities of one topic head on the labelled items (one per item)."""

    document: NDArray[np.float32]  # of the title + lead
    passage: NDArray[np.float32]  # of the item's best passage (0 when it has none)
    listed: NDArray[np.float32]  # of the item's best agenda-list item (0 when it has none)
    mentioned: NDArray[np.bool_]  # the item names the topic outright
    y: NDArray[np.int8]


def topic_evidence(
    x: Features,
    y: NDArray[np.int8],
    *,
    items: NDArray[np.bool_],
    passages: list[Features],
    lists: list[Features],
    mentioned: NDArray[np.bool_],
    fit_rows: NDArray[np.bool_] | None = None,
    seed: int = 0,
) -> TopicEvidence | None:
    """Out-of-fold document and passage probabilities of a topic head on the labelled items.

    Args:
        x, y: Every row that informs the topic (items, topics.toml examples, negatives).
        items: Which rows are labelled items; only they choose the thresholds.
        passages: Per row, the features of its passages (no rows when it has none).
        lists: Per row, the features of its agenda-list items (no rows when it has none).
        mentioned: Per row, whether the text names the topic outright.
        fit_rows: Which rows the fold models are fitted on (default: all); the others
            (items that choose the cuts only) are scored, never fitted on.
        seed: For the folds.

    Returns:
        None when the labelled items hold too few examples of the topic to choose cuts
        (a topic an operator has just added has only its topics.toml examples).
    """
    positives = int(y.sum())
    folds = min(CV_FOLDS, positives, len(y) - positives)
    if folds < 2 or int(y[items].sum()) < MIN_ITEM_POSITIVES:
        return None
    from sklearn.model_selection import StratifiedKFold

    document = np.zeros(len(y), np.float32)
    passage = np.zeros(len(y), np.float32)
    listed = np.zeros(len(y), np.float32)
    fitting = np.ones(len(y), bool) if fit_rows is None else fit_rows
    for repeat in range(CV_REPEATS):
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        for train, test in cv.split(x, y):
            train = train[fitting[train]]  # rows that choose the cuts only are never fitted
            fold = _model().fit(x[train], y[train])
            document[test] += fold.predict_proba(x[test])[:, 1] / CV_REPEATS
            for i in test:
                if items[i] and passages[i].shape[0]:
                    passage[i] += fold.predict_proba(passages[i])[:, 1].max() / CV_REPEATS
                if items[i] and lists[i].shape[0]:
                    listed[i] += fold.predict_proba(lists[i])[:, 1].max() / CV_REPEATS
    return TopicEvidence(document[items], passage[items], listed[items], mentioned[items], y[items])


@dataclass(frozen=True)
class TopicCuts:
    document: dict[str, float]  # per topic
    passage: float  # shared by all topics
    listed: float  # shared by all topics


def topic_cuts(evidence: Mapping[str, TopicEvidence]) -> TopicCuts:
    """Per-topic document cuts, and a passage cut and an agenda-list cut shared by all topics.

    The two are shared because few labelled items are long enough to have passages or
    lists: pooled over topics there is enough evidence to choose them, per topic there is
    not. For each candidate cut every topic gets its best document cut (F1 of
    ``doc >= t or passage >= u or listed >= v or mentioned``); the cut with the best
    micro-F1 over all topics wins, the highest one among equals (they are the riskier
    rules). The passage cut is chosen first, with no list evidence, so that items with
    lists cannot move it; the list cut is then chosen with that passage cut.
    """
    passage, _ = _best_shared_cut(evidence, lambda u: (u, NEVER))
    listed, cuts = _best_shared_cut(evidence, lambda v: (passage, v))
    return TopicCuts(cuts, passage, listed)


def _best_shared_cut(
    evidence: Mapping[str, TopicEvidence], pair: Callable[[float], tuple[float, float]]
) -> tuple[float, dict[str, float]]:
    """The candidate shared cut (mapped by `pair` to a passage and a list cut) with the best
    micro-F1, the highest among equals, and the per-topic document cuts that go with it."""
    best: tuple[float, float, dict[str, float]] = (-1.0, NEVER, {})
    for candidate in [NEVER, *PASSAGE_CUTS[::-1]]:
        u, v = pair(float(candidate))
        cuts: dict[str, float] = {}
        tp = fp = fn = 0.0
        for slug, e in evidence.items():
            t, counts = _best_document_cut(e, u, v)
            cuts[slug] = t
            tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
        micro = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if micro > best[0] + 1e-9:
            best = (micro, float(candidate), cuts)
    return best[1], best[2]


def _best_document_cut(
    e: TopicEvidence, u: float, v: float
) -> tuple[float, tuple[float, float, float]]:
    """The document cut with the best F1 for fixed passage and list cuts (middle of the best
    run)."""
    truth = e.y == 1
    by_passage = (e.passage >= u) | (e.listed >= v) | e.mentioned
    results = []
    for t in np.linspace(*THRESHOLD_RANGE, 71):
        predicted = by_passage | (e.document >= t)
        tp = float(np.sum(predicted & truth))
        fp = float(np.sum(predicted & ~truth))
        fn = float(np.sum(~predicted & truth))
        results.append((2 * tp / (2 * tp + fp + fn) if tp else 0.0, float(t), (tp, fp, fn)))
    top = max(f1 for f1, _, _ in results)
    run = [r for r in results if r[0] >= top - 1e-9]
    _, t, counts = run[len(run) // 2]
    return t, counts


def fit_topic_head(x: Features, y: NDArray[np.int8], threshold: float, shared: TopicCuts) -> Head:
    """Fit a topic head on all its rows, with cuts chosen by `topic_cuts`."""
    fitted = _model().fit(x, y)
    return Head(
        weights=fitted.coef_[0].astype(np.float32),
        bias=float(fitted.intercept_[0]),
        threshold=threshold,
        passage_threshold=shared.passage,
        list_threshold=shared.listed,
    )


def _model() -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=TOPIC_REGULARISATION_C, class_weight="balanced", max_iter=2000)


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
            [head.bias, head.threshold, head.passage_threshold, head.list_threshold],
            dtype=np.float32,
        )
    buffer = io.BytesIO()
    # topic heads weigh 65,000 n-gram buckets, most of them unused (zero)
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
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
                # heads saved before agenda lists counted have no list cut
                list_threshold=float(arrays[f"{name}.bt"][3])
                if len(arrays[f"{name}.bt"]) > 3
                else NEVER,
            )
            for name in names
        }
