"""Query-time search: lexical (BM25) and dense retrieval, fused, with exact references first."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from .analysis import LANGS, guess_lang
from .embedders import Embedder
from .errors import GlossaryError, IndexError_
from .glossary import DEFAULT_GLOSSARY, Entry, Glossary, phrases, with_phrases
from .hybrid import DEFAULT_RRF_K, TUNED_DENSE_WEIGHT, TUNED_FUSION, TUNED_LEXICAL_WEIGHT, fuse
from .lexical import LexicalIndex, top_k
from .references import ReferenceResolver
from .store import Filters, Hit, VectorIndex
from .versions import collapse_versions

logger = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "lexical")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query with the time the search took."""

    query: str
    hits: list[Hit]
    took_ms: float
    mode: str = "hybrid"
    expansions: tuple[Entry, ...] = ()  # glossary entries that expanded the query in this mode

    @property
    def highlight_query(self) -> str:
        """The words a page marks in the hits: the query's own and those the glossary expanded it with."""
        return marked_words(self.query, self.expansions)


def marked_words(query: str, expansions: tuple[Entry, ...]) -> str:
    """A query with its glossary expansions appended: the text whose words a page marks."""
    return " ".join([query, *(e.expansion for e in expansions)])


@dataclass(frozen=True)
class RetrievalConfig:
    """Knobs of hybrid retrieval; the defaults are the values chosen on the dev set (docs/retrieval.md)."""

    fusion: str = TUNED_FUSION
    rrf_k: int = DEFAULT_RRF_K
    lexical_weight: float = TUNED_LEXICAL_WEIGHT
    dense_weight: float = TUNED_DENSE_WEIGHT
    depth: int = 100  # candidates taken from each side before fusion
    glossary_weight: float = 0.5  # BM25 weight of glossary expansion terms relative to the query's own
    use_glossary: bool = True
    # The dense side embeds the query with the matching glossary phrases appended (the model does
    # not know "koso" or "hoks" either); use_glossary=False turns off both sides.
    dense_glossary: bool = True
    use_references: bool = True
    guess_query_lang: bool = True  # analyse a query only in its language when marker words tell it
    # Dense pseudo-relevance feedback: the query vector plus this share of the mean of its best
    # `feedback_docs` chunk vectors (within the filters), searched again. 0 = off.
    dense_feedback: float = 0.0
    feedback_docs: int = 3


@dataclass
class _QueryCache(Generic[K, V]):
    """A small LRU per query: vectors (paging and repeated questions skip the model) and analyses."""

    size: int = 256
    items: OrderedDict[K, V] = field(default_factory=OrderedDict)
    # The API searches from a thread pool: a lookup must not race an eviction.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, key: K) -> V | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)


class Searcher:
    """One embedder and one loaded index (dense + lexical), shared by the CLI and the HTTP API."""

    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        lexical: LexicalIndex | None = None,
        glossary: Glossary | None = None,
        config: RetrievalConfig | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.lexical = lexical
        self.glossary = glossary
        self.config = config or RetrievalConfig()
        self.references = ReferenceResolver(index.chunks, lexical.analyzer) if lexical is not None else None
        self._masks: dict[Filters, np.ndarray] = {}
        self._vectors: _QueryCache[str, np.ndarray] = _QueryCache()
        # Both sides need the query's analysis (BM25 terms, glossary keys): analyse it once.
        self._analyses: _QueryCache[tuple[str, str | None], dict[str, list[str]]] = _QueryCache()

    @classmethod
    def open(
        cls,
        index_dir: str | Path,
        embedder: Embedder,
        *,
        glossary_path: str | Path | None = DEFAULT_GLOSSARY,
        config: RetrievalConfig | None = None,
    ) -> "Searcher":
        """Load the index at index_dir (and its lexical part), checking it was built with this embedder's model."""
        index = VectorIndex.load(index_dir, model_id=embedder.model_id)
        lexical = load_lexical(index)
        glossary = None
        if lexical is not None and glossary_path is not None and not Path(glossary_path).is_file():
            logger.warning("glossary %s not found; searching without query expansion", glossary_path)
        elif lexical is not None and glossary_path is not None:
            try:
                glossary = Glossary.load(glossary_path, lexical.analyzer)
            except GlossaryError as exc:
                logger.warning("%s; searching without the glossary", exc)
        return cls(embedder, index, lexical, glossary, config)

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        offset: int = 0,
        mode: str = "hybrid",
        collapse: bool = False,
    ) -> SearchResult:
        """Return the k best hits for a query (after offset), best first; mode is hybrid, dense or lexical.

        With ``collapse``, other acts' wordings of a section already listed fold into its hit
        (``Hit.versions``), so paging counts distinct wordings (index.versions).
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r} (expected one of {', '.join(MODES)})")
        started = time.perf_counter()
        if self.lexical is None and mode != "dense":
            mode = "dense"
        wanted = max(offset + k, 0)
        fetch = wanted if not collapse else max(2 * wanted, self.config.depth)
        while True:
            ranked = self.rank(query, fetch, filters, mode)
            hits = [
                Hit(chunk=self.index.chunks[i], score=round(score, 6), rank=r)
                for r, (i, score) in enumerate(ranked, start=1)
            ]
            if collapse:
                hits = collapse_versions(hits)
            # Collapsing can leave fewer than wanted while more candidates exist: fetch deeper.
            if not collapse or len(hits) >= wanted or len(ranked) < fetch or fetch >= len(self.index):
                break
            fetch *= 4
        hits = hits[offset : offset + k]
        expansions = self.expansions(query, filters, mode)
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query=query, hits=hits, took_ms=round(took, 2), mode=mode, expansions=expansions)

    def rank(self, query: str, k: int, filters: Filters | None, mode: str) -> list[tuple[int, float]]:
        """The k best (chunk position, score) pairs for a query in one mode."""
        if k <= 0 or not len(self.index):
            return []
        depth = max(self.config.depth, k)
        if mode == "dense":
            ranked = self.dense_ranked(query, k if not self._refs_possible(query) else depth, filters)
        elif mode == "lexical":
            ranked = self.lexical_ranked(query, depth, filters)
        else:
            c = self.config
            ranked = fuse(
                c.fusion,
                self.lexical_ranked(query, depth, filters),
                self.dense_ranked(query, depth, filters),
                lexical_weight=c.lexical_weight,
                dense_weight=c.dense_weight,
                rrf_k=c.rrf_k,
            )
        if self.config.use_references:
            ranked = self._references_first(query, ranked, filters)
        return ranked[:k]

    def dense_ranked(self, query: str, k: int, filters: Filters | None) -> list[tuple[int, float]]:
        """Dense candidates: (chunk position, cosine) best first."""
        text = self.dense_text(query, filters)
        vec = self._vectors.get(text)
        if vec is None:
            vec = self.embedder.embed_queries([text])[0]
            self._vectors.put(text, vec)
        c = self.config
        if c.dense_feedback > 0 and c.feedback_docs > 0:
            vec = self._with_feedback(vec, filters)
        hits = self.index.search_vector(vec, k, filters)
        return [(self.index.by_id[h.chunk.id], h.score) for h in hits]

    def _with_feedback(self, vec: np.ndarray, filters: Filters | None) -> np.ndarray:
        """The query vector moved towards its best chunks (Rocchio feedback), normalised again."""
        first = self.index.search_vector(vec, self.config.feedback_docs, filters)
        found = [v for v in (self.index.vector(h.chunk.id) for h in first) if v is not None]
        if not found:
            return vec
        moved = vec + self.config.dense_feedback * np.mean(found, axis=0)
        norm = float(np.linalg.norm(moved))
        return (moved / norm).astype(np.float32) if norm > 0 else vec

    def query_lang(self, query: str, filters: Filters | None = None) -> str | None:
        """The language a query is analysed in: the lang filter, else the guess from marker words, else None (both)."""
        lang = filters.lang if filters is not None and filters.lang else None
        if lang is None and self.config.guess_query_lang:
            lang = guess_lang(query)
        return lang

    def analysed(self, query: str, lang: str | None = None) -> dict[str, list[str]]:
        """The query's analysed terms per language: its own language alone when known, else each."""
        assert self.lexical is not None
        found = self._analyses.get((query, lang))
        if found is None:
            langs = (lang,) if lang in LANGS else LANGS
            found = {la: self.lexical.analyzer.analyze(query, la) for la in langs}
            self._analyses.put((query, lang), found)
        return found

    def lexical_terms(self, query: str, lang: str | None = None) -> tuple[list[str], list[str]]:
        """The query's analysed terms and the glossary's expansion terms."""
        by_lang = self.analysed(query, lang)
        terms = list(dict.fromkeys(t for la_terms in by_lang.values() for t in la_terms))
        extra = self.glossary.expand(by_lang) if self.glossary is not None and self.config.use_glossary else []
        return terms, extra

    def expansions(self, query: str, filters: Filters | None = None, mode: str = "hybrid") -> tuple[Entry, ...]:
        """The glossary entries that expand this query in this mode (shown, so a coach sees why a hit came)."""
        c = self.config
        if not ((mode != "dense" and c.glossary_weight > 0) or (mode != "lexical" and c.dense_glossary)):
            return ()
        return self._glossary_matches(query, filters)

    def dense_text(self, query: str, filters: Filters | None = None) -> str:
        """The text the dense side embeds: the query, with the glossary's matching phrases appended."""
        if not self.config.dense_glossary:
            return query
        return with_phrases(query, phrases(self._glossary_matches(query, filters)))

    def _glossary_matches(self, query: str, filters: Filters | None) -> tuple[Entry, ...]:
        """Glossary entries whose key the query contains, analysed in the language the search uses."""
        if self.glossary is None or self.lexical is None or not self.config.use_glossary:
            return ()
        return tuple(self.glossary.matches(self.analysed(query, self.query_lang(query, filters))))

    def lexical_ranked(self, query: str, k: int, filters: Filters | None) -> list[tuple[int, float]]:
        """Lexical candidates: (chunk position, BM25 score) best first, glossary expansion included."""
        assert self.lexical is not None
        terms, extra = self.lexical_terms(query, self.query_lang(query, filters))
        scores = self.lexical.scores(terms)
        if extra:
            scores = scores + self.config.glossary_weight * self.lexical.scores(extra)
        return top_k(scores, k, self._mask(filters))

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or not filters.active:
            return None
        mask = self._masks.get(filters)
        if mask is None:
            mask = np.array([filters.accepts(c) for c in self.index.chunks], dtype=bool)
            if len(self._masks) < 64:
                self._masks[filters] = mask
        return mask

    @staticmethod
    def _refs_possible(query: str) -> bool:
        return "§" in query or "pyk" in query.lower()

    def _references_first(
        self, query: str, ranked: list[tuple[int, float]], filters: Filters | None
    ) -> list[tuple[int, float]]:
        """Move the chunks of sections the query names to the top, keeping their fused order."""
        if self.references is None or not self._refs_possible(query):
            return ranked
        refs = self.references.resolve(query)
        if not refs:
            return ranked
        wanted = [
            i
            for i, c in enumerate(self.index.chunks)
            if any(ReferenceResolver.matches(r, c) for r in refs) and (filters is None or filters.accepts(c))
        ]
        if not wanted:
            return ranked
        wanted_set = set(wanted)
        # In fused order first; sections the retrievers did not surface follow in index order.
        position = {i: r for r, (i, _s) in enumerate(ranked)}
        wanted.sort(key=lambda i: (position.get(i, len(ranked)), i))
        # An exact reference scores at the top of the mode's scale (1 for fused and cosine scores, the
        # best BM25 score in lexical mode), so scores still never rise with rank.
        top = max([1.0] + [sc for _i, sc in ranked[:1]])
        head = [(i, top) for i in wanted]
        return head + [(i, s) for i, s in ranked if i not in wanted_set]


def load_lexical(index: VectorIndex) -> LexicalIndex | None:
    """The lexical half of a loaded index, or None (dense-only search, with a warning) when it is missing or unusable."""
    try:
        return LexicalIndex.load(index.path, index.chunks)
    except IndexError_ as exc:
        logger.warning("%s; searching with the dense index only (rebuild with `lahde build` for hybrid search)", exc)
        return None
