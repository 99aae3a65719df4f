"""What the topic heads read: a text's e5 vector beside its character n-grams.

multilingual-e5-small at 4 bits blurs a lead into one vector in which the main subject
drowns the second one ("... and the training of 200 nurses"), and it knows the words
ministries use for an area only roughly. Character n-grams keep those words: they need no
word segmentation (Thai, Chinese and Japanese write without spaces), and a logistic head
fitted on both learns which strings mark a topic in every language it has examples of.
Measured on the leads alone, each head at p >= 0.5 (topic micro-F1, e5 / e5 + n-grams):
news-shaped held-out split 0.741 / 0.765, older held-out 0.771 / 0.797, dev 0.789 / 0.847;
with passages, agenda lists and named mentions, as the classifier decides, see
docs/classifier-quality.md.

The n-grams are hashed (scikit-learn's HashingVectorizer), so nothing is fitted or stored
besides the heads' weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import HashingVectorizer

N_FEATURES = 2**16  # buckets: no worse than 2**18 on every split (≈60,000 n-grams in use)
NGRAMS = (2, 4)  # characters, inside word boundaries
# of the n-grams (unit length) beside the e5 vector (unit length); chosen with the topic
# heads' regularisation on dev (topic micro-F1, full classifier): 0.3 / 0.5 / 0.7 / 1.0 / 1.5
# at C = 64 0.853 / 0.864 / 0.861 / 0.853 / -, at C = 16 - / - / - / 0.869 / 0.853
WEIGHT = 1.0


@cache
def _vectorizer() -> HashingVectorizer:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm="l2",
    )


def topic_features(vectors: NDArray[np.float32], texts: Sequence[str]) -> csr_matrix:
    """One row per text: its vector, then its weighted character n-gram counts (unit length)."""
    from scipy.sparse import csr_matrix, hstack

    if len(texts) != len(vectors):
        raise ValueError(f"{len(texts)} texts for {len(vectors)} vectors")
    if not texts:  # the hasher cannot take an empty batch
        return csr_matrix((0, vectors.shape[1] + N_FEATURES), dtype=np.float32)
    grams = _vectorizer().transform(list(texts)).astype(np.float32) * WEIGHT
    return hstack([csr_matrix(np.asarray(vectors, np.float32)), grams], format="csr")
