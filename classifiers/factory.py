"""Choose a backend from configuration: the embedded default, or a transformers model."""

from __future__ import annotations

from pathlib import Path

from classifiers.base import Classifier, Summariser


def load_classifier(
    *, model: str | None, summary_model: str | None, cache_dir: Path | None
) -> Classifier:
    """The embedded e5 backend when `model` is None, else the transformers backend for `model`.

    A `summary_model` (seq2seq, name or local path) switches summaries from extractive
    to abstractive, whichever backend labels the items.
    """
    from classifiers.e5_encoder import E5Encoder
    from classifiers.embedding import EmbeddingClassifier

    summariser: Summariser | None = None
    if summary_model:
        from classifiers.transformers_backend import Seq2SeqSummariser

        summariser = Seq2SeqSummariser(summary_model)
    if model is None:
        return EmbeddingClassifier(E5Encoder(), cache_dir=cache_dir, summariser=summariser)

    from classifiers.transformers_backend import load_transformers_classifier

    return load_transformers_classifier(model, cache_dir=cache_dir, summariser=summariser)
