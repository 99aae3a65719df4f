"""Vectors of the training texts, stored by text hash so heads can be refitted without
re-encoding: the package's bundled file first, then the data directory's cache."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from classifiers.base import Encoder

BUNDLED_DIR = Path(__file__).parent / "model"  # heads and vectors fitted on the shipped data


def cached_encode(
    encoder: Encoder, texts: list[str], cache_dir: Path | None
) -> NDArray[np.float32]:
    """Encode training texts, reusing vectors stored for this encoder (package, then cache)."""
    keys = [text_key(t) for t in texts]
    name = vectors_name(encoder)
    known: dict[str, NDArray[np.float32]] = {}
    for folder in (BUNDLED_DIR, cache_dir):
        if folder is not None and (folder / name).exists():
            known |= read_vectors(folder / name)
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        vectors = encoder.encode([t for _, t in todo])
        fresh = dict(zip([k for k, _ in todo], vectors, strict=True))
        known |= fresh
        if cache_dir is not None:
            mine = cache_dir / name
            write_vectors(mine, (read_vectors(mine) if mine.exists() else {}) | fresh)
    return np.vstack([known[k] for k in keys]).astype(np.float32)


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def vectors_name(encoder: Encoder) -> str:
    return f"vectors-{hashlib.sha1(encoder.model_id.encode()).hexdigest()[:12]}.npz"


def read_vectors(path: Path) -> dict[str, NDArray[np.float32]]:
    with np.load(path, allow_pickle=False) as stored:
        return dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))


def write_vectors(path: Path, vectors: dict[str, NDArray[np.float32]]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.array(list(vectors)), vectors=np.vstack(list(vectors.values())))
    write_atomically(path, buffer.getvalue())


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
