"""Identity keys of items: content hash and MinHash near-duplicate keys.

Pure and deterministic: every hash comes from hashlib and the MinHash
permutations from a fixed seed, so keys stored by one process match those
computed by the next.

Near-duplicates are found with MinHash over character shingles of the
normalised text (NFKC, case-folded, punctuation and spaces removed): 3-grams
when CJK or Hangul dominates, 5-grams otherwise (Latin, Vietnamese, Thai).
Shingling characters rather than words works the same for scripts written
without spaces. The 64-value signature is cut into 16 LSH bands of 4 rows; two
items sharing any band key are candidates, confirmed by `is_near_duplicate`.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

NUM_PERMUTATIONS = 64
BANDS = 16
ROWS_PER_BAND = NUM_PERMUTATIONS // BANDS
MINHASH_SEED = 20240501
MAX_SHINGLED_CHARS = 20_000
"""Only the first this many normalised characters are shingled (bounded cost)."""

NEAR_DUPLICATE_THRESHOLD = 0.5
"""Estimated Jaccard similarity from which two items are the same story.

Chosen from the tests in tests/test_ingest_dedup.py: re-posted wire copy with an edited
headline, an agency credit or an added sentence scores 0.6-0.95; different
stories on the same topic (two WHO statements on dengue) score below 0.2.
0.5 is also the midpoint of the 16x4 band S-curve (a pair at 0.5 shares a band
with probability 0.64, at 0.7 with 0.99).
"""

_MERSENNE_31 = (1 << 31) - 1
_rng = random.Random(MINHASH_SEED)
_PERM_A = np.array([_rng.randrange(1, _MERSENNE_31) for _ in range(NUM_PERMUTATIONS)], np.int64)
_PERM_B = np.array([_rng.randrange(0, _MERSENNE_31) for _ in range(NUM_PERMUTATIONS)], np.int64)
del _rng


_DENSE_SCRIPT_RE = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"
)


@dataclass(frozen=True)
class DedupKeys:
    """The keys an item is stored under to find its duplicates.

    Attributes:
        content_hash: `content_hash` of the item (exact re-posts).
        signature: MinHash signature, NUM_PERMUTATIONS values (empty for empty text).
        bands: LSH band keys like "b03:9f2c51d0a4b8e7f1", one per band, for an
            indexed lookup of candidates (empty for empty text).
    """

    content_hash: str
    signature: tuple[int, ...]
    bands: tuple[str, ...]


def normalise_text(value: str) -> str:
    """NFKC, case-folded, with punctuation, symbols, separators and controls removed.

    Letters, digits and combining marks (Thai vowels and tone marks) are kept.

    Args:
        value: Any text.

    Returns:
        The compact normalised text.
    """
    folded = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LMN")


def content_hash(title: str, text: str) -> str:
    """Hex SHA-256 of the normalised title and text: identical re-posts share it.

    Args:
        title: The item's title.
        text: The item's plain text.

    Returns:
        64 hex digits.
    """
    basis = normalise_text(title) + "\n" + normalise_text(text)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _shingles(compact: str) -> set[str]:
    dense = len(_DENSE_SCRIPT_RE.findall(compact))
    size = 3 if dense * 2 >= len(compact) else 5
    if len(compact) <= size:
        return {compact} if compact else set()
    return {compact[i : i + size] for i in range(len(compact) - size + 1)}


def dedup_keys(title: str, text: str) -> DedupKeys:
    """Content hash, MinHash signature and LSH band keys of an item.

    Args:
        title: The item's title.
        text: The item's plain text.

    Returns:
        The keys; signature and bands are empty when there is no text at all.
    """
    compact = (normalise_text(title) + normalise_text(text))[:MAX_SHINGLED_CHARS]
    shingles = _shingles(compact)
    if not shingles:
        return DedupKeys(content_hash(title, text), (), ())
    hashes = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "big")
            for s in shingles
        ),
        dtype=np.int64,
        count=len(shingles),
    )
    hashes %= _MERSENNE_31
    permuted = (hashes[:, None] * _PERM_A[None, :] + _PERM_B[None, :]) % _MERSENNE_31
    signature = tuple(int(v) for v in permuted.min(axis=0))
    bands = tuple(_band_key(i, signature) for i in range(BANDS))
    return DedupKeys(content_hash(title, text), signature, bands)


def _band_key(band: int, signature: tuple[int, ...]) -> str:
    rows = signature[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
    digest = hashlib.blake2b(
        b"".join(v.to_bytes(4, "big") for v in rows), digest_size=8
    ).hexdigest()
    return f"b{band:02d}:{digest}"


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two MinHash signatures.

    Args:
        a: A signature from `dedup_keys`.
        b: Another one.

    Returns:
        The share of equal positions, 0.0 when either is empty or lengths differ.
    """
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def closest_near_duplicate(
    signature: tuple[int, ...], candidates: Iterable[tuple[int, tuple[int, ...]]]
) -> int | None:
    """The id of the most similar candidate at or above NEAR_DUPLICATE_THRESHOLD, or None.

    Args:
        signature: The new item's MinHash signature.
        candidates: ``(id, signature)`` pairs that share an LSH band with it.
    """
    best_id, best = None, NEAR_DUPLICATE_THRESHOLD
    for item_id, other in candidates:
        score = similarity(signature, other)
        if score >= best:
            best_id, best = item_id, score
    return best_id


def is_near_duplicate(a: DedupKeys, b: DedupKeys) -> bool:
    """Whether two items are the same story (same content, or similar enough).

    Args:
        a: Keys of one item.
        b: Keys of the other.

    Returns:
        True for equal content hashes or a similarity at or above
        NEAR_DUPLICATE_THRESHOLD.
    """
    if a.content_hash == b.content_hash:
        return True
    return similarity(a.signature, b.signature) >= NEAR_DUPLICATE_THRESHOLD
