"""The topic heads' features: a text's vector beside its character n-grams."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.heads import TopicCuts, fit_topic_head
from classifiers.lexical import N_FEATURES, WEIGHT, topic_features


def test_each_row_is_the_vector_then_its_weighted_ngrams() -> None:
    vectors = np.eye(2, 4, dtype=np.float32)
    features = topic_features(vectors, ["nurse training", "vaccine cold chain"])

    assert features.shape == (2, 4 + N_FEATURES)
    dense = features[:, :4].toarray()
    assert np.array_equal(dense, vectors)
    grams = features[:, 4:]
    assert np.allclose(np.sqrt(grams.multiply(grams).sum(axis=1)).A1, WEIGHT)


def test_scripts_without_spaces_share_ngrams_with_the_texts_that_contain_them() -> None:
    vectors = np.zeros((3, 2), np.float32)
    texts = [
        "การแพทย์แผนไทย",
        "กระทรวงสาธารณสุขส่งเสริมการแพทย์แผนไทยในโรงพยาบาลชุมชน",
        "卫生人才培养",
    ]
    grams = topic_features(vectors, texts)[:, 2:]
    similarity = (grams @ grams.T).toarray()

    assert similarity[0, 1] > 0.3 * WEIGHT**2  # the phrase inside a sentence with no spaces
    assert similarity[0, 2] == 0


def test_an_empty_batch_has_no_rows_and_a_mismatch_is_refused() -> None:
    assert topic_features(np.zeros((0, 3), np.float32), []).shape == (0, 3 + N_FEATURES)
    with pytest.raises(ValueError, match="2 texts for 1 vectors"):
        topic_features(np.zeros((1, 3), np.float32), ["a", "b"])


def test_a_topic_head_learns_words_its_vectors_cannot_tell_apart() -> None:
    """The same vector for every text (the blur of a long lead): only the n-grams tell a
    workforce item from another."""
    positives = [
        "Japan to train 300 nurses for Viet Nam",
        "Korea and Laos agree on nurse training",
        "training of nurses and midwives in Cambodia",
        "ASEAN nurses training programme launched",
    ]
    negatives = [
        "Japan donates ambulances to Viet Nam",
        "Korea and Laos agree on vaccine supply",
        "new hospital opens in Cambodia",
        "ASEAN dengue surveillance programme launched",
    ]
    texts = positives + negatives
    vectors = np.tile(np.array([[0.6, 0.8]], np.float32), (len(texts), 1))
    y = np.array([1] * 4 + [0] * 4, np.int8)
    head = fit_topic_head(topic_features(vectors, texts), y, 0.5, TopicCuts({}, 2.0, 2.0))

    unseen = topic_features(vectors[:2], ["Thailand trains nurses for Myanmar", "a new clinic"])
    p = head.probability(unseen)
    assert p[0] >= 0.5 > p[1], p
