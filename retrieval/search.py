"""Query-time search: one prepared query, lexical (BM25) and dense retrieval fused, exact references first."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from embedding.types import Embedder
from index.analysis import LANGS, guess_lang
from index.bank import BankIndex
from index.errors import IndexError_
from index.lexical import LexicalIndex, best_of, top_k
from index.store import VectorIndex

from .errors import GlossaryError
from .fusion import DEFAULT_RRF_K, TUNED_DENSE_WEIGHT, TUNED_FUSION, TUNED_LEXICAL_WEIGHT, fuse, weighted
from .glossary import DEFAULT_GLOSSARY, Glossary, phrases, with_phrases
from .references import ReferenceResolver, names_a_section
from .types import MODES, Filters, Hit, PreparedQuery, Reference, SearchResult
from .versions import collapse_versions

logger = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
Ranked = list[tuple[int, float]]  # (chunk position, score), best first


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
    # The question bank (index.bank), when the index has one: its questions are a BM25 field of
    # their chunk (scored beside the text, times bank_field_weight) and extra vectors. bank_dense
    # "max": a chunk's dense score is the best of its own cosine and its questions' cosines minus
    # bank_dense_margin; "list": the questions' best cosine per chunk is a ranked list of its own,
    # fused with the text's (weight bank_dense_weight); "off": the dense side ignores the bank.
    # Chosen on the dev set with the whole bank (docs/retrieval.md, bench/bank_variants.py --grid):
    # with the bank the lexical side needs no extra weight in the fusion (bank_lexical_weight).
    use_bank: bool = True
    bank_field_weight: float = 1.0
    bank_dense: str = "max"
    bank_dense_margin: float = 0.02
    bank_dense_weight: float = 1.0
    bank_lexical_weight: float = 1.0
    # A prior on OPH's perusteet in the hybrid ranking: their fused score times this. The perusteet
    # are long and numerous (a perustutkinto is 430 chunks per language) and crowd statute sections
    # out of the top ranks of statute questions; 1.0 = no prior. A question about the perusteet is
    # left alone: one with a term whose chunks are perusteet for at least peruste_cue of them (a
    # tutkinnon osa's trade words, "arviointikriteeri"), read off the corpus, not off questions.
    peruste_weight: float = 1.0
    peruste_cue: float = 0.9


@dataclass
class QueryCache(Generic[K, V]):
    """A small LRU: query vectors (paging and repeated questions skip the model) and analyses."""

    size: int = 256
    items: OrderedDict[K, V] = field(default_factory=OrderedDict)
    # The API searches from a thread pool: a lookup must not race an eviction.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, key: K) -> V | None:
        """The cached value, or None."""
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Store a value, evicting the least recently used beyond the size."""
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (benchmarks measure the uncached path)."""
        with self.lock:
            self.items.clear()


class Searcher:
    """One embedder and one loaded index (dense + lexical), shared by the CLI and the HTTP API."""

    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        lexical: LexicalIndex | None = None,
        glossary: Glossary | None = None,
        config: RetrievalConfig | None = None,
        bank: BankIndex | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.lexical = lexical
        self.glossary = glossary
        self.bank = bank
        self.config = config or RetrievalConfig()
        self.references = ReferenceResolver(index.chunks, lexical.analyzer) if lexical is not None else None
        self._masks: dict[Filters, np.ndarray] = {}
        # Superseded wordings, and perusteet that can expire, need a mask even without filters.
        self._has_periods = any(
            getattr(c.citation, "wording_until", None) or getattr(c.citation, "valid_until", None) for c in index.chunks
        )
        # An institution's own documents are masked from everyone else, filters or not.
        self._has_private = any(c.citation.institution for c in index.chunks)
        self._peruste_flags = np.array([c.citation.kind == "peruste" for c in index.chunks], dtype=bool)
        self.vectors: QueryCache[str, np.ndarray] = QueryCache()
        self.analyses: QueryCache[str, dict[str, list[str]]] = QueryCache()

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
        return cls(embedder, index, lexical, glossary, config, load_bank(index))

    @property
    def bank_active(self) -> bool:
        """Whether searches use the question bank (the index has one and the config wants it)."""
        return self.bank is not None and self.config.use_bank and len(self.bank) > 0

    def with_config(self, config: RetrievalConfig) -> "Searcher":
        """The same index, model and bank searched with other knobs (evaluation, benchmarks)."""
        return Searcher(self.embedder, self.index, self.lexical, self.glossary, config, self.bank)

    @property
    def generation(self) -> str:
        """The name of the directory the index was loaded from (``gen-000007`` for a generation)."""
        return self.index.path.name

    # ---- the prepared query --------------------------------------------------------------------
    def prepare(
        self, query: str, filters: Filters | None = None, mode: str = "hybrid", *, embed: bool = True
    ) -> PreparedQuery:
        """Analyse a query once (language, terms, glossary, references) and embed it when the mode needs it.

        ``embed=False`` leaves ``vector`` None (a page that only marks the expansions needs no model).
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r} (expected one of {', '.join(MODES)})")
        if self.lexical is None:
            mode = "dense"
        c = self.config
        lang = filters.lang if filters is not None and filters.lang else None
        if lang is None and c.guess_query_lang:
            lang = guess_lang(query)
        by_lang = self._analysis(query) if self.lexical is not None else {}
        own = {la: by_lang[la] for la in ((lang,) if lang in LANGS else LANGS) if la in by_lang}
        terms = tuple(dict.fromkeys(t for la_terms in own.values() for t in la_terms))
        glossary = self.glossary if c.use_glossary else None
        matched, extra = glossary.match(own) if glossary is not None else ([], [])
        matches = tuple(matched)
        shown = (mode != "dense" and c.glossary_weight > 0) or (mode != "lexical" and c.dense_glossary)
        dense_text = with_phrases(query, phrases(matches)) if c.dense_glossary else query
        refs: tuple[Reference, ...] = ()
        if c.use_references and self.references is not None and names_a_section(query):
            refs = tuple(self.references.resolve(query, by_lang))
        vector = self._vector(dense_text) if mode != "lexical" and embed else None
        return PreparedQuery(
            text=query,
            mode=mode,
            filters=filters,
            lang=lang,
            terms_by_lang=own,
            terms=terms,
            expansion_terms=tuple(extra),
            matches=matches,
            expansions=matches if shown else (),
            dense_text=dense_text,
            references=refs,
            vector=vector,
        )

    def _analysis(self, query: str) -> dict[str, list[str]]:
        """The query's analysed terms in each language, computed once per distinct query."""
        assert self.lexical is not None
        found = self.analyses.get(query)
        if found is None:
            found = {la: self.lexical.analyzer.analyze(query, la) for la in LANGS}
            self.analyses.put(query, found)
        return found

    def query_vector(self, text: str) -> np.ndarray:
        """A text embedded as a query, cached like the searches' own (the UKK search compares questions)."""
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        vec = self.vectors.get(text)
        if vec is None:
            vec = self.embedder.embed_queries([text])[0]
            self.vectors.put(text, vec)
        return vec

    def _with_feedback(self, vec: np.ndarray, filters: Filters | None) -> np.ndarray:
        """The query vector moved towards its best chunks (Rocchio feedback), normalised again."""
        first = self.index.search(vec, self.config.feedback_docs, self.mask(filters))
        found = [self.index.vector_at(i) for i, _s in first]
        if not found:
            return vec
        moved = vec + self.config.dense_feedback * np.mean(found, axis=0)
        norm = float(np.linalg.norm(moved))
        return (moved / norm).astype(np.float32) if norm > 0 else vec

    # ---- searching -----------------------------------------------------------------------------
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
        (``Hit.versions``), so paging counts distinct wordings (retrieval.versions).
        """
        started = time.perf_counter()
        return self.search_prepared(self.prepare(query, filters, mode), k, offset, collapse, started=started)

    def search_prepared(
        self, pq: PreparedQuery, k: int = 10, offset: int = 0, collapse: bool = False, *, started: float | None = None
    ) -> SearchResult:
        """The hits of a prepared query; see :meth:`search`."""
        started = time.perf_counter() if started is None else started
        wanted = max(offset + k, 0)
        fetch = wanted if not collapse else max(2 * wanted, self.config.depth)
        while True:
            ranked = self.rank(pq, fetch)
            hits = [
                Hit(chunk=self.index.chunks[i], score=round(s, 6), rank=r) for r, (i, s) in enumerate(ranked, start=1)
            ]
            if collapse:
                hits = collapse_versions(hits)
            # Collapsing can leave fewer than wanted while more candidates exist: fetch deeper.
            if not collapse or len(hits) >= wanted or len(ranked) < fetch or fetch >= len(self.index):
                break
            fetch *= 4
        took = (time.perf_counter() - started) * 1000
        return SearchResult(
            query=pq.text,
            hits=hits[offset : offset + k],
            took_ms=round(took, 2),
            mode=pq.mode,
            expansions=pq.expansions,
        )

    def rank(self, pq: PreparedQuery, k: int) -> Ranked:
        """The k best (chunk position, score) pairs for a prepared query in its mode."""
        if k <= 0 or not len(self.index):
            return []
        depth = max(self.config.depth, k)
        if pq.mode == "dense":
            ranked = self.dense_ranked(pq, depth if pq.references else k)
        elif pq.mode == "lexical":
            ranked = self.lexical_ranked(pq, depth)
        else:
            c = self.config
            ranked = fuse(
                c.fusion,
                self.lexical_ranked(pq, depth),
                self.dense_ranked(pq, depth),
                lexical_weight=c.bank_lexical_weight if self.bank_active else c.lexical_weight,
                dense_weight=c.dense_weight,
                rrf_k=c.rrf_k,
            )
            if c.peruste_weight != 1.0 and self._peruste_flags.any() and not self.about_perusteet(pq):
                w, perusteet = c.peruste_weight, self._peruste_flags
                ranked = sorted(((i, s * w if perusteet[i] else s) for i, s in ranked), key=lambda item: -item[1])
        if pq.references:
            ranked = self._references_first(pq, ranked)
        return ranked[:k]

    def about_perusteet(self, pq: PreparedQuery) -> bool:
        """Whether a query names something found mostly in the perusteet (see RetrievalConfig.peruste_cue)."""
        if self.lexical is None or not self._peruste_flags.any():
            return False
        flags = self._peruste_flags
        for term in pq.terms:
            held = self.lexical.scores([term]) > 0
            count = int(held.sum())
            if count and int(held[flags].sum()) / count >= self.config.peruste_cue:
                return True
        return False

    def dense_ranked(self, pq: PreparedQuery, k: int) -> Ranked:
        """Dense candidates: (chunk position, cosine) best first."""
        if pq.vector is None:
            return []
        vec = pq.vector
        if self.config.dense_feedback > 0 and self.config.feedback_docs > 0:
            vec = self._with_feedback(vec, pq.filters)
        mask = self.mask(pq.filters)
        ranked = self.index.search(vec, k, mask)
        c = self.config
        if self.bank is None or not self.bank_active or c.bank_dense == "off":
            return ranked
        by_bank = self.bank.dense_scores(pq.vector) - c.bank_dense_margin
        if mask is not None:
            by_bank = np.where(mask, by_bank, -np.inf)
        from_bank = [(i, float(by_bank[i])) for i in best_of(by_bank, np.flatnonzero(np.isfinite(by_bank)), k)]
        if c.bank_dense == "list":
            return weighted([ranked, from_bank], [1.0, c.bank_dense_weight])[:k]
        # Multi-vector: a chunk scores the best of its own cosine and its questions' cosines.
        best = dict(ranked)
        for i, score in from_bank:
            best[i] = max(best.get(i, -np.inf), score)
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]

    def lexical_ranked(self, pq: PreparedQuery, k: int) -> Ranked:
        """Lexical candidates: (chunk position, BM25 score) best first, glossary expansion included."""
        if self.lexical is None:
            return []
        scores = self.lexical.scores(pq.terms)
        if pq.expansion_terms:
            scores = scores + self.config.glossary_weight * self.lexical.scores(pq.expansion_terms)
        c = self.config
        if self.bank is not None and self.bank_active and c.bank_field_weight > 0:
            field = self.bank.field_scores(pq.terms)
            if pq.expansion_terms:
                field = field + c.glossary_weight * self.bank.field_scores(pq.expansion_terms)
            scores = scores + c.bank_field_weight * field
        return top_k(scores, k, self.mask(pq.filters))

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Which chunk positions pass the filters (None: all of them).

        Without filters, an index that holds superseded wordings still needs a mask: they are
        searched only when a date asks for them.
        """
        if filters is None or not filters.active:
            if not self._has_periods and not self._has_private:
                return None
            filters = Filters()
        mask = self._masks.get(filters)
        if mask is None:
            mask = np.array([filters.accepts(c) for c in self.index.chunks], dtype=bool)
            if len(self._masks) < 64:
                self._masks[filters] = mask
        return mask

    def in_scope(self, filters: Filters | None) -> int:
        """How many passages the filters leave to search."""
        mask = self.mask(filters)
        return len(self.index) if mask is None else int(mask.sum())

    def _references_first(self, pq: PreparedQuery, ranked: Ranked) -> Ranked:
        """Move the chunks of sections the query names to the top, keeping their fused order."""
        mask = self.mask(pq.filters)
        wanted = [
            i
            for i, c in enumerate(self.index.chunks)
            if any(ReferenceResolver.matches(r, c) for r in pq.references) and (mask is None or mask[i])
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
        return [(i, top) for i in wanted] + [(i, s) for i, s in ranked if i not in wanted_set]


def load_bank(index: VectorIndex) -> BankIndex | None:
    """The question bank of a loaded index, or None (search without it, with a warning) when missing or damaged."""
    try:
        return BankIndex.load(index.path, index.chunks)
    except IndexError_ as exc:
        logger.warning("%s; searching without the question bank (rebuild with `lahde build`)", exc)
        return None


def load_lexical(index: VectorIndex) -> LexicalIndex | None:
    """The lexical half of a loaded index, or None (dense-only search, with a warning) when it is missing or unusable."""
    try:
        return LexicalIndex.load(index.path, index.chunks)
    except IndexError_ as exc:
        logger.warning("%s; searching with the dense index only (rebuild with `lahde build` for hybrid search)", exc)
        return None
