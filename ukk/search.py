"""Finding earlier answers: the published entries a user may see, ranked by the same two sides as the passages.

The dense side compares the question with each entry's question (both embedded as queries: the
similarity of two questions is symmetric) and with its answer (as a passage); the lexical side is
BM25 over the entry's question, answer and tags, analysed by the index's own analyser. The two
ranks are fused by reciprocal rank; an entry is shown only when its best cosine reaches
``min_score`` — an earlier answer is worth showing only when it is about the same thing.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.search import Searcher

from . import entries
from .store import UkkStore
from .types import Entry, User

RRF_K = 60


@dataclass(frozen=True)
class UkkHit:
    """One earlier answer for a question: the entry, its fused score and its best cosine."""

    entry: Entry
    score: float
    cosine: float


@dataclass
class _Item:
    version: int
    question_vec: np.ndarray
    answer_vec: np.ndarray
    terms: Counter[str]


class UkkSearch:
    """The published entries' vectors and terms, kept per entry version (re-embedded only when an entry changes)."""

    def __init__(self, store: UkkStore, min_score: float = 0.88) -> None:
        self.store = store
        self.min_score = min_score
        self._items: dict[int, _Item] = {}
        self._model: str | None = None
        self._lock = threading.Lock()

    def _terms(self, searcher: Searcher, text: str) -> Counter[str]:
        if searcher.lexical is None:
            return Counter()
        analyzer = searcher.lexical.analyzer
        return Counter(t for lang in ("fi", "sv") for t in analyzer.analyze(text, lang))

    def _refresh(self, searcher: Searcher, visible: Sequence[Entry]) -> None:
        with self._lock:
            if self._model != searcher.embedder.model_id:
                self._items, self._model = {}, searcher.embedder.model_id
            stale = [e for e in visible if self._items.get(e.id) is None or self._items[e.id].version != e.version]
            if not stale:
                return
            questions = searcher.embedder.embed_queries([e.question for e in stale])
            answers = searcher.embedder.embed_passages([e.answer for e in stale])
            for e, q, a in zip(stale, questions, answers):
                text = " ".join([e.question, e.answer, *e.tags])
                self._items[e.id] = _Item(e.version, np.asarray(q), np.asarray(a), self._terms(searcher, text))

    def search(self, searcher: Searcher, user: User | None, query: str, k: int = 3) -> list[UkkHit]:
        """The entries the user may see that answer this question, best first (at most k)."""
        if user is None or not query.strip():
            return []
        visible = [e for e in entries.published(self.store) if entries.may_read(user, e)]
        if not visible:
            return []
        self._refresh(searcher, visible)
        vector = searcher.query_vector(query)
        items = [self._items[e.id] for e in visible]
        cosines = [max(float(vector @ i.question_vec), float(vector @ i.answer_vec)) for i in items]
        lexical = _bm25(self._terms(searcher, query), [i.terms for i in items])
        dense_rank = {j: r for r, j in enumerate(sorted(range(len(items)), key=lambda j: -cosines[j]))}
        lex_rank = {j: r for r, j in enumerate(sorted(range(len(items)), key=lambda j: -lexical[j]))}
        hits = [
            UkkHit(e, 1 / (RRF_K + dense_rank[j] + 1) + (1 / (RRF_K + lex_rank[j] + 1) if lexical[j] > 0 else 0), cos)
            for j, (e, cos) in enumerate(zip(visible, cosines))
            if cos >= self.min_score
        ]
        hits.sort(key=lambda h: (-h.score, -h.cosine, h.entry.id))
        return hits[:k]


def _bm25(query: Counter[str], docs: Sequence[Counter[str]], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Plain BM25 of one query over a few documents (an institution's UKK is small: no index needed)."""
    n = len(docs)
    if not n or not query:
        return [0.0] * n
    lengths = [sum(d.values()) for d in docs]
    avg = (sum(lengths) / n) or 1.0
    df = Counter(t for d in docs for t in d)
    scores = []
    for d, length in zip(docs, lengths):
        s = 0.0
        for t in query:
            tf = d.get(t, 0)
            if tf:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
        scores.append(s)
    return scores
