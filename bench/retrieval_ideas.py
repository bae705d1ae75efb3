"""Ranking ideas tried after the tuned hybrid search, each scored on the dev set (issue 3).

    LAHDE_SOURCES=corpus/statutes.toml lahde build --index data/eval-index
    python bench/retrieval_ideas.py --index data/eval-index [--cache PATH] [--questions Q --qrels R]

Every idea re-ranks the same per-question scores (BM25 over all chunks with the glossary, and the
cosine of every chunk vector with the query as the search embeds it, glossary phrases included),
so the rows differ only by the idea. Scoring folds amending acts'
sections into the section they rewrite, as `lahde eval` does. The first rows say how much room
there is: the share of judged sections among the fused candidates at several depths, and the
Recall@5 a perfect re-ranker of the 100 + 100 candidates would reach.

The momentti max-sim idea embeds every momentti of multi-momentti chunks (about 3,400 passages
for the statutes, ~3 min on the 2-core machine; the embedding cache keeps them for the next run).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from embedding.cache import EmbeddingCache, embed_with_cache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from retrieval.evaluate import (  # noqa: E402
    METRICS,
    Key,
    Question,
    fold_judgements,
    load_qrels,
    load_questions,
    score_ranking,
    section_key,
    version_map,
)
from retrieval.fusion import fuse  # noqa: E402
from retrieval.glossary import phrases as glossary_phrases  # noqa: E402
from retrieval.search import Searcher  # noqa: E402

Ranked = list[tuple[int, float]]


def top(scores: np.ndarray, k: int) -> Ranked:
    """The k best (chunk position, score) pairs."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in order]


class Bench:
    """Per-question lexical and dense scores over every chunk, and folded judgements."""

    def __init__(self, searcher: Searcher, questions: Sequence[Question], qrels: dict[str, dict[Key, int]]) -> None:
        self.searcher = searcher
        self.chunks = searcher.index.chunks
        self.vectors = searcher.index._index.reconstruct_n(0, len(self.chunks))
        self.versions = version_map(self.chunks)
        self.groups: list[Key] = []
        for c in self.chunks:
            key = section_key(c)
            self.groups.append(("", c.id) if key is None else self.versions.get(key, key))
        self.questions = [q for q in questions if q.qid in qrels]
        self.judged = {q.qid: fold_judgements(qrels[q.qid], self.versions) for q in self.questions}
        # The dense side embeds what the search embeds: the question with the glossary's phrases.
        texts = [q.text for q in self.questions]
        self.qvec = dict(
            zip(texts, searcher.embedder.embed_queries([searcher.prepare(t, embed=False).dense_text for t in texts]))
        )
        self.lex = {q.qid: self._lexical(q.text) for q in self.questions}
        self.dense = {q.qid: self.vectors @ self.qvec[q.text] for q in self.questions}

    def _lexical(self, text: str) -> np.ndarray:
        s = self.searcher
        pq = s.prepare(text, embed=False)
        terms, extra = list(pq.terms), list(pq.expansion_terms)
        scores = np.asarray(s.lexical.scores(terms), dtype=np.float64)  # type: ignore[union-attr]
        if extra:
            scores = scores + s.config.glossary_weight * np.asarray(s.lexical.scores(extra))  # type: ignore[union-attr]
        return scores

    def keys(self, ranked: Ranked) -> list[Key]:
        """Section keys in rank order, de-duplicated."""
        return list(dict.fromkeys(self.groups[i] for i, _s in ranked))

    def score(self, name: str, rank: Callable[[Question], list[Key]]) -> dict[str, float]:
        """Print and return the mean metrics of one idea."""
        per = [score_ranking(list(dict.fromkeys(rank(q))), self.judged[q.qid]) for q in self.questions]
        means = {m: float(np.mean([p[m] for p in per])) for m in METRICS}
        print(f"| {name} | " + " | ".join(f"{means[m]:.3f}" for m in METRICS) + " |", flush=True)
        return means

    def fused(
        self, q: Question, lexical: np.ndarray | None = None, dense: np.ndarray | None = None, **kw: float
    ) -> Ranked:
        """The search default: weighted fusion of the best 100 of each side, lexical weighted as the search does."""
        lex = self.lex[q.qid] if lexical is None else lexical
        den = self.dense[q.qid] if dense is None else dense
        weight = kw.get("lexical_weight", self.searcher.config.lexical_weight)
        return fuse("weighted", top(lex, 100), top(den, 100), lexical_weight=weight)


def headroom(b: Bench) -> None:
    """How many judged sections the candidates hold, and what a perfect re-ranker would reach."""
    print("| candidates per side | share of judged sections among the fused candidates |\n|---|---|")
    for depth in (10, 20, 50, 100, 200):
        shares = []
        for q in b.questions:
            fused = fuse(
                "weighted",
                top(b.lex[q.qid], depth),
                top(b.dense[q.qid], depth),
                lexical_weight=b.searcher.config.lexical_weight,
            )
            keys = set(b.keys(fused))
            rel = {k for k, g in b.judged[q.qid].items() if g > 0}
            shares.append(len(rel & keys) / len(rel))
        print(f"| {depth} | {np.mean(shares):.3f} |")
    oracle = []
    for q in b.questions:
        rel = {k for k, g in b.judged[q.qid].items() if g > 0}
        found = len(rel & set(b.keys(b.fused(q))))
        oracle.append(min(found, 5) / len(rel))
    print(f"\nRecall@5 of a perfect re-ranker of the default candidates: {np.mean(oracle):.3f}\n")


def normalised(ranked: Ranked, how: str) -> dict[int, float]:
    """Scores of one list scaled by min-max, by the maximum alone, or to z-scores."""
    vals = np.array([s for _i, s in ranked])
    if how == "z":
        sd = vals.std() or 1.0
        return {i: (s - vals.mean()) / sd for i, s in ranked}
    lo = 0.0 if how == "max" else vals.min()
    span = vals.max() - lo
    return {i: (s - lo) / span if span > 0 else 1.0 for i, s in ranked}


def fusion_variants(b: Bench) -> None:
    """Other score normalisations and depths for the weighted fusion."""

    def rank(q: Question, how: str, lw: float, depth: int = 100) -> list[Key]:
        lex = [(i, s) for i, s in top(b.lex[q.qid], depth) if s > 0]
        out: dict[int, float] = {}
        for ranked, w in ((top(b.dense[q.qid], depth), 1.0), (lex, lw)):
            if ranked:
                for i, s in normalised(ranked, how).items():
                    out[i] = out.get(i, 0.0) + w * s
        return b.keys(sorted(out.items(), key=lambda kv: -kv[1]))

    for how in ("minmax", "max", "z"):
        for lw in (1.5, 2.0, 3.0):
            b.score(f"fusion: {how} normalisation, lexical ×{lw}", lambda q, h=how, w=lw: rank(q, h, w))
    for depth in (30, 50, 200):
        b.score(
            f"fusion: min-max, {depth} candidates per side",
            lambda q, d=depth: rank(q, "minmax", b.searcher.config.lexical_weight, d),
        )


def section_grouping(b: Bench) -> None:
    """Fuse per section (best chunk of every version and language) instead of per chunk."""

    def rank(q: Question, lw: float) -> list[Key]:
        out: dict[Key, float] = {}
        for scores, w in ((b.dense[q.qid], 1.0), (b.lex[q.qid], lw)):
            best: dict[Key, float] = {}
            for i, s in enumerate(scores):
                g = b.groups[i]
                best[g] = max(best.get(g, -1e9), float(s))
            ranked = sorted(best.items(), key=lambda kv: -kv[1])[:100]
            vals = [s for _g, s in ranked]
            lo, span = min(vals), max(vals) - min(vals)
            for g, s in ranked:
                out[g] = out.get(g, 0.0) + w * ((s - lo) / span if span > 0 else 1.0)
        return sorted(out, key=lambda g: -out[g])

    for lw in (1.5, 2.0):
        b.score(f"section-level fusion, lexical ×{lw}", lambda q, w=lw: rank(q, w))


def dense_feedback(b: Bench) -> None:
    """Pseudo-relevance feedback on the dense side: add the mean of the 3 best chunk vectors to the query."""
    for a in (0.3, 0.6, 1.0):

        def rank(q: Question, a: float = a) -> list[Key]:
            best = np.argsort(-b.dense[q.qid])[:3]
            v = b.qvec[q.text] + a * b.vectors[best].mean(axis=0)
            return b.keys(b.fused(q, dense=b.vectors @ (v / np.linalg.norm(v))))

        b.score(f"dense feedback ×{a}", rank)


def momentti_maxsim(b: Bench, cache: EmbeddingCache | None) -> None:
    """Dense score of a chunk mixed with the best cosine of its single momentit."""
    owner, texts = [], []
    for i, c in enumerate(b.chunks):
        parts = [p for p in c.text.split("\n\n") if p.strip()]
        if len(parts) > 1:
            for p in parts:
                owner.append(i)
                texts.append(f"{c.context}\n{p}" if c.context else p)
    e = b.searcher.embedder
    vecs, embedded = embed_with_cache(texts, e.model_id, e.dim, e.embed_passages, cache)
    print(f"(momentit: {len(texts)} passages, {embedded} embedded now)")
    owners = np.array(owner)
    for a in (0.5, 1.0):

        def dense(q: Question, a: float = a) -> np.ndarray:
            best = b.dense[q.qid].copy()
            np.maximum.at(best, owners, vecs @ b.qvec[q.text])
            return (1 - a) * b.dense[q.qid] + a * best

        b.score(f"dense only, momentti max-sim ×{a}", lambda q, f=dense: b.keys(top(f(q), 100)))
        for lw in (1.5, 2.0):
            b.score(
                f"hybrid, momentti max-sim ×{a}, lexical ×{lw}",
                lambda q, f=dense, w=lw: b.keys(b.fused(q, dense=f(q), lexical_weight=w)),
            )


def dense_glossary(b: Bench) -> None:
    """The query embedded alone vs with the glossary's phrases (three ways of appending), and the lexical weight."""
    s = b.searcher
    phrases = {q.qid: glossary_phrases(s.prepare(q.text, mode="dense", embed=False).expansions) for q in b.questions}
    forms = {
        "query alone": lambda q: q.text,
        "phrases in parentheses (default)": lambda q: s.prepare(q.text, embed=False).dense_text,
        "phrases after a space": lambda q: " ".join([q.text, *phrases[q.qid]]),
        "phrases as sentences": lambda q: ". ".join([q.text, *phrases[q.qid]]) + ("." if phrases[q.qid] else ""),
    }
    print(f"({sum(1 for p in phrases.values() if p)} of {len(b.questions)} questions match a glossary key)")
    for name, form in forms.items():
        vecs = s.embedder.embed_queries([form(q) for q in b.questions])
        dense = {q.qid: b.vectors @ v for q, v in zip(b.questions, vecs)}
        b.score(f"dense only, {name}", lambda q, d=dense: b.keys(top(d[q.qid], 100)))
        for lw in (1.0, 1.25, 1.5, 2.0, 2.5):
            b.score(
                f"hybrid, {name}, lexical ×{lw}",
                lambda q, d=dense, w=lw: b.keys(b.fused(q, dense=d[q.qid], lexical_weight=w)),
            )


def citation_graph(b: Bench) -> None:
    """Raise sections that the best hits cite ("… 45 §:ssä") by a share of the citing hit's score."""
    refs: list[set[Key]] = []
    for c in b.chunks:
        statute = c.citation.amends_statute or c.citation.statute
        found = set()
        if statute:
            for m in re.finditer(r"(\d+(?: [a-z])?)(?=\s*(?:–\s*\d+\s*)?§)", c.text):
                found.add((statute, m.group(1)))
        refs.append(found)

    def rank(q: Question, n: int, bonus: float) -> list[Key]:
        ranked = b.fused(q)
        score: dict[Key, float] = {}
        firsts: list[int] = []
        for i, s in ranked:
            if b.groups[i] not in score:
                score[b.groups[i]] = s
                if len(firsts) < n:
                    firsts.append(i)
        for i in firsts:
            for g in refs[i]:
                if g in score:
                    score[g] += bonus * score[b.groups[i]]
        return sorted(score, key=lambda g: -score[g])

    for n in (1, 3, 5):
        for bonus in (0.1, 0.2):
            b.score(f"citation graph: top {n} hits, +{bonus}", lambda q, n=n, x=bonus: rank(q, n, x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True, help="Index of the statutes (corpus/statutes.toml).")
    ap.add_argument("--questions", type=Path, default=REPO / "tests/eval/questions.tsv")
    ap.add_argument("--qrels", type=Path, default=REPO / "tests/eval/qrels.tsv")
    ap.add_argument("--cache", type=Path, help="Embedding cache for the momentit (default: the index's own).")
    ap.add_argument("--skip-momentit", action="store_true", help="Leave out the idea that embeds ~3,400 momentit.")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from index.store import read_manifest

    embedder = create_embedder(read_manifest(args.index).backend)
    searcher = Searcher.open(args.index, embedder)
    b = Bench(searcher, load_questions(args.questions), load_qrels(args.qrels))
    print(f"index: {len(b.chunks)} chunks; {len(b.questions)} judged questions\n")
    headroom(b)
    print("| idea | " + " | ".join(METRICS) + " |\n|---|" + "---|" * len(METRICS))
    b.score(
        f"**search default** (weighted fusion, lexical ×{searcher.config.lexical_weight:g})",
        lambda q: b.keys(b.fused(q)),
    )
    b.score("lexical only", lambda q: b.keys(top(b.lex[q.qid], 100)))
    b.score("dense only", lambda q: b.keys(top(b.dense[q.qid], 100)))
    dense_glossary(b)
    fusion_variants(b)
    section_grouping(b)
    dense_feedback(b)
    citation_graph(b)
    if not args.skip_momentit:
        cache_path = args.cache or Path(args.index) / "embeddings.sqlite"
        momentti_maxsim(b, EmbeddingCache(cache_path))


if __name__ == "__main__":
    main()
