"""Choose the heads' regularisation by 5-fold cross-validation on the TRAINING split only.

Prints relevance, cooperation and pooled topic F1 per C (threshold 0.5); topic heads read
the character n-grams beside the vectors, as they are fitted. The held-out dev split is
never read here. Usage: python bench/tune_heads.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifiers.e5_encoder import E5Encoder
from classifiers.embedding import COOPERATION, RELEVANT, TOPIC, _rows
from classifiers.gold import TRAIN_FILE, load_gold
from classifiers.lexical import topic_features
from classifiers.taxonomy import load_taxonomy
from classifiers.vector_cache import cached_encode

tax = load_taxonomy()
train = load_gold(TRAIN_FILE)
rows = list(_rows(train, tax))
X = cached_encode(
    E5Encoder(), [t for t, _, _ in rows], Path(tempfile.gettempdir()) / "monitor-tune"
)
features = topic_features(X, [t for t, _, _ in rows])
for C in (1, 2, 4, 8, 16, 32, 64):
    res = []
    for name in [RELEVANT, COOPERATION] + [TOPIC + s for s in tax.slugs]:
        idx = [i for i, (t, k, o) in enumerate(rows) if name in k]
        y = np.array([rows[i][1][name] for i in idx])
        p = cross_val_predict(
            LogisticRegression(C=C, class_weight="balanced", max_iter=2000),
            (features if name.startswith(TOPIC) else X)[idx],
            y,
            cv=StratifiedKFold(5, shuffle=True, random_state=0),
            method="predict_proba",
        )[:, 1]
        res.append((name, y, p))
    rel = f1_score(res[0][1], res[0][2] >= 0.5)
    coop = f1_score(res[1][1], res[1][2] >= 0.5)
    tp = fp = fn = 0
    for _, y, p in res[2:]:
        pr = p >= 0.5
        tp += np.sum(pr & (y == 1))
        fp += np.sum(pr & (y == 0))
        fn += np.sum(~pr & (y == 1))
    print(C, f"rel {rel:.3f} coop {coop:.3f} topics {2 * tp / (2 * tp + fp + fn):.3f}")
