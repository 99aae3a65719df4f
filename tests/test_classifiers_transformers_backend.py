"""The transformers backend end to end on tiny random-weight models the tests build themselves.

Random weights say nothing about quality; these tests check the plumbing the real
models go through: loading from a local path, tokenisation, batching, truncation of
long texts, pooling, zero-shot hypotheses, generation, and the choice of backend.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifiers.base import Document
from classifiers.factory import load_classifier

pytest.importorskip("torch", reason="the transformers extra is part of the test setup")

CORPUS = [
    "Korea and Indonesia sign a health MOU on AI teleconsultation",
    "한국과 인도네시아가 인공지능 원격협진 보건 협력 양해각서를 체결했다",
    "中日韩卫生部长会议讨论人工智能与心理健康合作",
    "日本と韓国の厚生労働大臣が高齢化と認知症で協力",
    "Kerja sama kesehatan digital antara Korea dan ASEAN",
    "Hợp tác y tế giữa Việt Nam và Nhật Bản về kháng kháng sinh",
    "ความร่วมมือด้านสาธารณสุขระหว่างไทยและลาวเรื่องไข้เลือดออก",
    "Semiconductor exports to China rose twelve percent",
]
DOCS = [Document(str(i), text, text * 3) for i, text in enumerate(CORPUS)]


def _tokenizer(**special: str):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        CORPUS * 5, trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials)
    )
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", model_max_length=512, **special
    )


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An encoder, an NLI classifier and a seq2seq model, tiny and random, saved to disk."""
    import torch
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        BertConfig,
        BertForSequenceClassification,
        BertModel,
    )

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny-models")
    paths = {name: root / name for name in ("encoder", "nli", "seq2seq")}
    bert = _tokenizer(cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    shape = dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        vocab_size=bert.vocab_size,
    )
    BertModel(BertConfig(**shape)).save_pretrained(paths["encoder"])
    bert.save_pretrained(paths["encoder"])
    nli = BertConfig(
        **shape,
        id2label={0: "entailment", 1: "neutral", 2: "contradiction"},
        label2id={"entailment": 0, "neutral": 1, "contradiction": 2},
    )
    BertForSequenceClassification(nli).save_pretrained(paths["nli"])
    bert.save_pretrained(paths["nli"])
    s2s = _tokenizer(bos_token="[CLS]", eos_token="[SEP]")
    bart = BartConfig(
        vocab_size=s2s.vocab_size,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=s2s.pad_token_id,
        bos_token_id=s2s.bos_token_id,
        eos_token_id=s2s.eos_token_id,
        decoder_start_token_id=s2s.eos_token_id,
        forced_eos_token_id=s2s.eos_token_id,
    )
    BartForConditionalGeneration(bart).save_pretrained(paths["seq2seq"])
    s2s.save_pretrained(paths["seq2seq"])
    return paths


def test_encoder_pools_batches_and_truncates(tiny_models: dict[str, Path]) -> None:
    from classifiers.transformers_backend import TransformersEncoder

    encoder = TransformersEncoder(str(tiny_models["encoder"]), batch_size=3)
    long_text = "보건 협력 " * 200_000  # ~1 MB: truncated, not refused
    vectors = encoder.encode([*CORPUS, long_text, ""])
    assert vectors.shape == (len(CORPUS) + 2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([encoder.encode([t]) for t in CORPUS[:4]])
    assert np.allclose(one_by_one, vectors[:4], atol=1e-5), "padding must not change a vector"
    assert encoder.model_id.startswith("transformers:encoder-")


def test_encoder_model_gets_fitted_heads(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    classifier = load_classifier(
        model=str(tiny_models["encoder"]), summary_model=None, cache_dir=tmp_path
    )
    labels = classifier.classify(DOCS)
    assert len(labels) == len(DOCS)
    assert type(classifier).__name__ == "EmbeddingClassifier"
    assert classifier.model_id.startswith("transformers:encoder-")
    assert labels[1].language == "ko" and labels[2].language == "zh"
    assert labels[0].countries == ("KR", "ID")
    assert all(0.0 <= label.relevance_score <= 1.0 for label in labels)
    assert list(tmp_path.glob("heads-*.npz")), "fitted heads are cached"


def test_nli_model_labels_zero_shot(tiny_models: dict[str, Path]) -> None:
    from classifiers.taxonomy import load_taxonomy

    classifier = load_classifier(model=str(tiny_models["nli"]), summary_model=None, cache_dir=None)
    assert type(classifier).__name__ == "ZeroShotClassifier"
    labels = classifier.classify([*DOCS, Document("long", "x", "health " * 100_000)])
    assert len(labels) == len(DOCS) + 1
    slugs = set(load_taxonomy().slugs)
    for label in labels:
        assert set(label.topic_scores) == slugs
        assert set(label.topics) <= slugs
        assert label.cooperation <= label.relevant
        assert label.summary
    assert labels[3].language == "ja" and labels[6].language == "th"


def test_seq2seq_summaries(tiny_models: dict[str, Path]) -> None:
    from classifiers.transformers_backend import Seq2SeqSummariser

    summariser = Seq2SeqSummariser(str(tiny_models["seq2seq"]), max_new_tokens=12)
    for doc in DOCS[:3]:
        summary = summariser.summarise(doc.title, doc.text, "en")
        assert summary and len(summary) <= 300
    assert summariser.summarise(DOCS[0].title, "보건 " * 100_000, "ko")
    classifier = load_classifier(
        model=str(tiny_models["nli"]), summary_model=str(tiny_models["seq2seq"]), cache_dir=None
    )
    assert all(label.summary for label in classifier.classify(DOCS[:2]))


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    from classifiers.errors import BackendError

    with pytest.raises(BackendError, match="cannot load"):
        load_classifier(model=str(tmp_path / "no-such-model"), summary_model=None, cache_dir=None)


def test_importing_classifiers_does_not_import_torch() -> None:
    code = (
        "import sys, classifiers, classifiers.base, classifiers.factory, classifiers.embedding\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith(('torch', 'transformers')))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
