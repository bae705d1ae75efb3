"""Extractive answer drafts: the sentences of the top passages that best answer a question.

Every sentence in a draft is a verbatim slice ``chunk.text[start:end]`` of a cited passage, so
a coach can check each claim against its source. Nothing is generated. When even the best
passage is a weak match, the draft is withheld and the nearest passages are shown instead.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embedding.cache import EmbeddingCache, embed_with_cache
from ingest.models import Chunk, text_hash

from .search import Searcher
from .sentence_scoring import BANK_BONUS, FEATURES, SentenceScorer, term_overlap
from .types import NO_SOURCE_FI, Answer, DraftSentence, Filters, Hit

logger = logging.getLogger(__name__)

# A sentence ends at . ! ? (or ; / : closing a list line) followed by space and an upper-case
# letter, digit or list marker; abbreviations like "esim." or "mm." do not end a sentence.
_ABBREVIATIONS = frozenset(
    "esim mm ns n s v ks jne yms ym tms t l vrt huom ts eli nk ao em ko kts bl a s.k t.ex o.s.v jfr".split()
)
_BOUNDARY_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"'(“])")
_LINE_RE = re.compile(r"[^\n]+")
#: Sentences shorter than this (after stripping) are headings or list stubs, not answers.
MIN_SENTENCE_CHARS = 25


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a passage; ``text[start:end]`` is the sentence verbatim.

    Lines (momentit, list items) are split first, then sentences within a line at a full stop
    followed by a capital letter or digit, except after a known abbreviation.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE_RE.finditer(text):
        start = line.start()
        for boundary in _BOUNDARY_RE.finditer(line.group()):
            cut = line.start() + boundary.start()
            last_word = re.findall(r"(\w+)\.$", text[start:cut])
            if last_word and last_word[-1].lower() in _ABBREVIATIONS:
                continue
            spans.append((start, cut))
            start = line.start() + boundary.end()
        spans.append((start, line.end()))
    # Trim surrounding space so that offsets point at the visible sentence.
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


@dataclass(frozen=True)
class Scored:
    """One question's candidate sentences: (hit, start, end), their features and scores, best passage cosines."""

    question: str
    hits: list[Hit]
    candidates: list[tuple[Hit, int, int]]
    features: np.ndarray  # (candidates × FEATURES)
    scores: np.ndarray
    passages: dict[str, float]  # chunk id → cosine to the query
    started: float
    searched: float


#: Abstention thresholds for multilingual-e5-small, each abstaining on at most 5 % of the dev set's
#: answerable questions (bench/draft_quality.py): "bank" with the question bank's bonus, "cosine" without.
CALIBRATED_MIN_SCORE = {"bank": 0.878, "cosine": 0.856}


def calibrated_min_score(searcher: Searcher) -> float:
    """The calibrated abstention threshold for this searcher's index (with or without its question bank)."""
    return CALIBRATED_MIN_SCORE["bank" if searcher.bank_active else "cosine"]


class AnswerDrafter:
    """Drafts extractive answers from a searcher's top passages.

    Sentence vectors are embedded lazily with the passage prefix and kept in memory (and in
    the optional embedding cache), so each sentence of the corpus is embedded at most once.
    """

    def __init__(
        self,
        searcher: Searcher,
        *,
        min_score: float,
        max_sentences: int = 4,
        sentence_margin: float = 0.04,
        signal: str = "sentence",
        cache: EmbeddingCache | None = None,
        scorer: SentenceScorer = BANK_BONUS,
        order: str = "source",
    ) -> None:
        self.searcher = searcher
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.sentence_margin = sentence_margin
        self.scorer = scorer
        if order not in ("source", "score"):
            raise ValueError(f"order must be 'source' or 'score', not {order!r}")
        self.order = order
        self._answer_spans: dict[str, list[tuple[int, int, int]]] = {}
        self._terms: dict[str, frozenset[str]] = {}
        if signal not in ("passage", "sentence"):
            raise ValueError(f"signal must be 'passage' or 'sentence', not {signal!r}")
        self.signal = signal
        self.cache = cache
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # guards only the in-memory dict, never an embedding call

    def _sentence_vectors(self, sentences: Sequence[str]) -> np.ndarray:
        embedder = self.searcher.embedder
        hashes = [text_hash(s) for s in sentences]
        with self._lock:
            known = {h: self._vectors[h] for h in hashes if h in self._vectors}
        missing = [s for s, h in zip(sentences, hashes) if h not in known]
        if missing:
            vectors, _ = embed_with_cache(missing, embedder.model_id, embedder.dim, embedder.embed_passages, self.cache)
            fresh = {text_hash(s): v for s, v in zip(missing, vectors)}
            with self._lock:
                self._vectors.update(fresh)
            known.update(fresh)
        if not hashes:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([known[h] for h in hashes])

    def candidate_sentences(self, chunk: Chunk) -> list[tuple[int, int]]:
        """Offsets of the sentences of a passage that may appear in a draft."""
        text = chunk.text
        # A list's lead-in ("… purkaa lisäksi:") says nothing without its items.
        return [(s, e) for s, e in split_sentences(text) if e - s >= MIN_SENTENCE_CHARS and not text[s:e].endswith(":")]

    def warm(self, chunks: Sequence[Chunk], batch: int = 64) -> int:
        """Embed the draftable sentences of these passages ahead of the first questions; returns how many."""
        texts = [c.text[s:e] for c in chunks for s, e in self.candidate_sentences(c)]
        for start in range(0, len(texts), batch):
            # Small batches: the embedder is shared with live queries, which wait for at most one batch.
            self._sentence_vectors(texts[start : start + batch])
        logger.info("sentence vectors ready for %d passages (%d sentences)", len(chunks), len(texts))
        return len(texts)

    def scored(self, question: str, k: int = 5, filters: Filters | None = None) -> Scored:
        """Search, then the candidate sentences of the k best passages with their features and scores."""
        started = time.perf_counter()
        # The searcher decides which passages (hybrid by default); sentences are scored against the
        # query with the embedder, so the threshold does not depend on how hits are ranked. The query
        # is what the dense side embeds (the question with the glossary's phrases): the model scores
        # a sentence on "koulutussopimus" against "koso" no better than it retrieves it.
        prepared = self.searcher.prepare(question, filters)
        assert prepared.vector is not None  # hybrid and dense queries are always embedded
        query_vec = prepared.vector
        hits = self.searcher.search_prepared(prepared, k).hits
        searched = time.perf_counter()
        candidates: list[tuple[Hit, int, int]] = []
        for hit in hits:
            candidates += [(hit, s, e) for s, e in self.candidate_sentences(hit.chunk)]
        texts = [h.chunk.text[s:e] for h, s, e in candidates]
        cosines = self._sentence_vectors(texts) @ query_vec if texts else np.zeros(0, dtype=np.float32)
        passages = {h.chunk.id: float(self.searcher.index.vector(h.chunk.id) @ query_vec) for h in hits}
        bank = self._bank_scores(candidates, query_vec) if self.scorer.uses("bank") else np.full(len(texts), -1.0)
        # Analysing every candidate sentence is the costly feature: skipped when its weight is 0.
        overlap = self.scorer.uses("overlap")
        query_terms = frozenset(prepared.terms)
        features = np.array(
            [
                (
                    float(cosines[n]),
                    max(0.0, float(bank[n])),
                    term_overlap(query_terms, self._sentence_terms(h.chunk, texts[n])) if overlap else 0.0,
                    1.0 / h.rank,
                    passages[h.chunk.id],
                )
                for n, (h, _s, _e) in enumerate(candidates)
            ],
            dtype=np.float32,
        ).reshape(len(candidates), len(FEATURES))
        return Scored(question, hits, candidates, features, self.scorer.score(features), passages, started, searched)

    def ask(self, question: str, k: int = 5, filters: Filters | None = None) -> Answer:
        """Draft an answer from the k best passages, or abstain when the evidence is below the threshold."""
        sc = self.scored(question, k, filters)
        hits, candidates, scores, started = sc.hits, sc.candidates, sc.scores, sc.started
        # Hybrid scores are rank fusions, not similarities: the passage signal is the best passage's cosine.
        top = max(sc.passages.values(), default=0.0)
        best = float(scores.max()) if len(scores) else 0.0
        evidence = best if self.signal == "sentence" else top
        timings = {"search_ms": _ms(started, sc.searched), "sentences_ms": _ms(sc.searched)}
        if evidence < self.min_score:
            draft: list[DraftSentence] = []
            sources: list[Hit] = []
        else:
            chosen = _choose(candidates, scores, self.max_sentences, self.sentence_margin)
            draft, sources = _number(chosen, hits, by_score=self.order == "score")
        return Answer(
            question=question,
            answered=bool(draft),
            sentences=draft,
            sources=sources,
            nearest=hits,
            top_score=round(top, 6),
            best_sentence_score=round(best, 6),
            threshold=self.min_score,
            signal=self.signal,
            took_ms=_ms(started),
            message=None if draft else NO_SOURCE_FI,
            timings=timings,
        )

    def _sentence_terms(self, chunk: Chunk, text: str) -> frozenset[str]:
        """The analysed terms of a sentence (in its passage's language), computed once per sentence."""
        lexical = self.searcher.lexical
        if lexical is None:
            return frozenset()
        key = text_hash(text)
        found = self._terms.get(key)
        if found is None:
            found = frozenset(lexical.analyzer.analyze(text, chunk.citation.lang))
            with self._lock:
                self._terms[key] = found
        return found

    def _bank_scores(self, candidates: list[tuple[Hit, int, int]], query_vec: np.ndarray) -> np.ndarray:
        """Per candidate sentence, the best query cosine of the bank questions whose answer phrase it holds (-1: none)."""
        out = np.full(len(candidates), -1.0, dtype=np.float32)
        bank = self.searcher.bank
        if bank is None or not self.searcher.bank_active:
            return out
        sims: dict[int, float] = {}
        for n, (hit, s, e) in enumerate(candidates):
            for start, end, qi in self._spans(hit.chunk):
                if start < e and end > s:
                    if qi not in sims:
                        sims[qi] = float(bank.vectors[qi] @ query_vec)
                    out[n] = max(out[n], sims[qi])
        return out

    def _spans(self, chunk: Chunk) -> list[tuple[int, int, int]]:
        """(start, end, question) offsets of the bank's answer phrases in a passage's text, found once per passage."""
        found = self._answer_spans.get(chunk.id)
        if found is not None:
            return found
        bank = self.searcher.bank
        position = self.searcher.index.by_id.get(chunk.id)
        found = []
        if bank is not None and position is not None:
            for qi in bank.by_chunk.get(position, []):
                words = bank.questions[qi].answer.split()
                m = re.search(r"\s+".join(re.escape(w) for w in words), chunk.text) if words else None
                if m:
                    found.append((m.start(), m.end(), qi))
        with self._lock:
            self._answer_spans[chunk.id] = found
        return found


def _choose(
    candidates: list[tuple[Hit, int, int]], scores: np.ndarray, limit: int, margin: float
) -> list[tuple[Hit, int, int, float]]:
    """The best sentences within ``margin`` of the best one, at most ``limit``, at most two per passage.

    A sentence whose words were already chosen from another passage is skipped: an amending act
    restates its section, so the same sentence is often found in two or three acts.
    """
    if not candidates:
        return []
    order = np.argsort(-scores, kind="stable")
    best = float(scores[order[0]])
    chosen: list[tuple[Hit, int, int, float]] = []
    per_chunk: dict[str, int] = {}
    said: set[str] = set()
    for i in order:
        score = float(scores[i])
        if chosen and score < best - margin:
            break
        hit, s, e = candidates[i]
        words = " ".join(hit.chunk.text[s:e].split())
        if per_chunk.get(hit.chunk.id, 0) >= 2 or words in said:
            continue
        said.add(words)
        per_chunk[hit.chunk.id] = per_chunk.get(hit.chunk.id, 0) + 1
        chosen.append((hit, s, e, score))
        if len(chosen) >= limit:
            break
    return chosen


def _number(
    chosen: list[tuple[Hit, int, int, float]], hits: list[Hit], by_score: bool = False
) -> tuple[list[DraftSentence], list[Hit]]:
    """Number the cited passages by retrieval rank; order sentences by source and position, or best first."""
    cited = {h.chunk.id for h, *_ in chosen}
    sources = [h for h in hits if h.chunk.id in cited]
    number = {h.chunk.id: n for n, h in enumerate(sources, start=1)}
    ordered = list(chosen) if by_score else sorted(chosen, key=lambda c: (number[c[0].chunk.id], c[1]))
    draft = [
        DraftSentence(
            text=_slice(h.chunk, s, e),
            source=number[h.chunk.id],
            chunk_id=h.chunk.id,
            start=s,
            end=e,
            score=round(sc, 6),
        )
        for h, s, e, sc in ordered
    ]
    return draft, sources


def _slice(chunk: Chunk, start: int, end: int) -> str:
    return chunk.text[start:end]


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else time.perf_counter()) - start) * 1000, 2)
