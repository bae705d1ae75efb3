"""A learned re-ranker of the fused candidates: trained on the dev set, checked by cross-validation and on the held-out set.

    LAHDE_SOURCES=corpus/statutes.toml lahde build --index data/eval-index
    python bench/learned_rerank.py --index data/eval-index

The question it answers (issue 3): with the fused candidates already holding 96 % of the judged
sections, can a ranking function learned from the dev set's judgements order them better than the
hand-tuned fusion, using every signal the index and the bundled model can give? Each candidate
chunk (the best 100 of each side) gets these features, each scaled to 0..1 over the question's
candidates:

- ``lexical``, ``dense``: the fusion's own inputs (min-max normalised BM25 and cosine; the dense
  side embeds the question with the glossary's phrases, as the search does);
- ``lexical_rank``, ``dense_rank``: 1 / (1 + rank) on each side;
- ``heading_bm25``, ``heading_cosine``: the query against the chapter and section headings alone
  (a BM25 index of the analysed headings; the headings embedded as passages);
- ``momentti``: the best cosine of the chunk's single momentit (the max-sim idea of
  ``bench/retrieval_ideas.py``);
- ``statute``: the share of the 20 best fused candidates' score that falls in the chunk's statute
  (amending acts count for the statute they amend);
- ``amending_act``: 1 for a section of an amending act.

A linear score is learned by coordinate ascent on mean Recall@5 + nDCG@10 (versions folded, as
``lahde eval`` scores), starting from the search default (its fusion weights). Rows: the default;
the weights learned on all dev questions, scored on the same questions (in-sample, optimistic);
5-fold cross-validation on the dev set (each fold scored with weights learned on the other four);
the all-dev weights on the held-out set. The ~1,800 headings and ~3,400 momentit are embedded once
(~8 min on the 2-core machine) and kept in the embedding cache.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from retrieval_ideas import Bench, top  # noqa: E402

from embedding.cache import EmbeddingCache, embed_with_cache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from index.store import read_manifest  # noqa: E402
from retrieval.evaluate import METRICS, load_qrels, load_questions, score_ranking  # noqa: E402
from retrieval.search import (
    RetrievalConfig,
    Searcher,  # noqa: E402
)

FEATURES = (
    "lexical",
    "dense",
    "lexical_rank",
    "dense_rank",
    "heading_bm25",
    "heading_cosine",
    "momentti",
    "statute",
    "amending_act",
)
_CONFIG = RetrievalConfig()
DEFAULT = np.array([_CONFIG.lexical_weight, _CONFIG.dense_weight] + [0.0] * (len(FEATURES) - 2))
STEPS = (-1.0, -0.5, -0.2, -0.1, 0.1, 0.2, 0.5, 1.0)
Data = dict[str, tuple[np.ndarray, np.ndarray]]  # qid → (candidate chunk positions, feature matrix)


def minmax(v: np.ndarray) -> np.ndarray:
    """Scale to 0..1 (all ones when every value is the same)."""
    lo, hi = float(v.min()), float(v.max())
    return (v - lo) / (hi - lo) if hi > lo else np.ones_like(v)


class Signals:
    """Per-chunk material for the features that the fusion does not use: headings and momentit."""

    def __init__(self, searcher: Searcher, cache: EmbeddingCache) -> None:
        import bm25s

        self.searcher = searcher
        chunks = searcher.index.chunks
        e = searcher.embedder
        analyzer = searcher.lexical.analyzer  # type: ignore[union-attr]
        heads = [
            " – ".join(p for p in (c.citation.chapter_heading, c.citation.section_heading) if p) or c.context
            for c in chunks
        ]
        self.heading_bm25 = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self.heading_bm25.index(
            [analyzer.analyze(h, c.citation.lang) or ["_"] for h, c in zip(heads, chunks)], show_progress=False
        )
        self.heading_vectors, n_heads = embed_with_cache(heads, e.model_id, e.dim, e.embed_passages, cache)
        owner, texts = [], []
        for i, c in enumerate(chunks):
            parts = [p for p in c.text.split("\n\n") if p.strip()]
            if len(parts) > 1:
                owner += [i] * len(parts)
                texts += [f"{c.context}\n{p}" if c.context else p for p in parts]
        self.momentti_vectors, n_mom = embed_with_cache(texts, e.model_id, e.dim, e.embed_passages, cache)
        self.momentti_owner = np.array(owner, dtype=np.int64)
        self.statute = [c.citation.amends_statute or c.citation.statute or c.citation.doc_id for c in chunks]
        self.amending = np.array(
            [float(bool(c.citation.amends_statute) and c.citation.amends_statute != c.citation.statute) for c in chunks]
        )
        print(
            f"(headings: {len(heads)}, {n_heads} embedded now; momentit: {len(texts)}, {n_mom} embedded now)",
            flush=True,
        )

    def heading_scores(self, query: str) -> np.ndarray:
        """BM25 of the query (glossary expansion included) against the headings alone."""
        pq = self.searcher.prepare(query, embed=False)
        terms, extra = list(pq.terms), list(pq.expansion_terms)
        n = len(self.amending)
        scores = np.asarray(self.heading_bm25.get_scores(terms), dtype=float) if terms else np.zeros(n)
        if extra:
            scores = scores + self.searcher.config.glossary_weight * np.asarray(self.heading_bm25.get_scores(extra))
        return scores


def features(b: Bench, sig: Signals) -> Data:
    """The candidates of every question and their feature matrix."""
    data: Data = {}
    for q in b.questions:
        lex, den = b.lex[q.qid], b.dense[q.qid]
        lt, dt = top(lex, 100), top(den, 100)
        cand = np.array(list(dict.fromkeys([i for i, _s in lt] + [i for i, _s in dt])))
        cols = []
        for ranked, scores in ((lt, lex), (dt, den)):
            rank = {i: r for r, (i, _s) in enumerate(ranked)}
            inside = np.array([i in rank for i in cand])
            vals = scores[[i for i, _s in ranked]]
            lo, span = vals.min(), (vals.max() - vals.min()) or 1.0
            cols.append(np.where(inside, (scores[cand] - lo) / span, 0.0))
        for ranked in (lt, dt):
            rank = {i: r for r, (i, _s) in enumerate(ranked)}
            cols.append(np.array([1.0 / (1 + rank.get(int(i), len(ranked) * 2)) for i in cand]))
        qv = b.qvec[q.text]
        cols.append(minmax(sig.heading_scores(q.text)[cand]))
        cols.append(minmax(sig.heading_vectors[cand] @ qv))
        best = den.copy()
        np.maximum.at(best, sig.momentti_owner, sig.momentti_vectors @ qv)
        cols.append(minmax(best[cand]))
        base = DEFAULT[0] * cols[0] + DEFAULT[1] * cols[1]
        mass: dict[str, float] = {}
        for j in np.argsort(-base)[:20]:
            mass[sig.statute[cand[j]]] = mass.get(sig.statute[cand[j]], 0.0) + float(base[j])
        total = sum(mass.values()) or 1.0
        cols.append(np.array([mass.get(sig.statute[i], 0.0) / total for i in cand]))
        cols.append(sig.amending[cand])
        data[q.qid] = (cand, np.stack(cols, axis=1))
    return data


def evaluate(b: Bench, data: Data, w: np.ndarray, qids: Sequence[str] | None = None) -> dict[str, float]:
    """Mean metrics of the ranking by ``features @ w`` over the given questions (all by default)."""
    per = []
    for q in b.questions:
        if qids is not None and q.qid not in qids:
            continue
        cand, x = data[q.qid]
        order = cand[np.argsort(-(x @ w), kind="stable")]
        per.append(score_ranking(b.keys([(int(i), 0.0) for i in order]), b.judged[q.qid]))
    return {m: float(np.mean([p[m] for p in per])) for m in METRICS}


def learn(b: Bench, data: Data, qids: Sequence[str] | None = None, rounds: int = 5) -> np.ndarray:
    """Coordinate ascent on Recall@5 + nDCG@10 from the search default."""

    def objective(w: np.ndarray) -> float:
        m = evaluate(b, data, w, qids)
        return m["R@5"] + m["nDCG@10"]

    w, best = DEFAULT.copy(), objective(DEFAULT)
    for _round in range(rounds):
        improved = False
        for j in range(len(w)):
            for step in STEPS:
                trial = w.copy()
                trial[j] += step
                value = objective(trial)
                if value > best + 1e-9:
                    w, best, improved = trial, value, True
        if not improved:
            break
    return w


def cross_validate(b: Bench, data: Data, folds: int = 5, seed: int = 13) -> dict[str, float]:
    """Each fold scored with weights learned on the others; question-weighted means."""
    qids = [q.qid for q in b.questions]
    order = np.random.default_rng(seed).permutation(len(qids))
    sums = dict.fromkeys(METRICS, 0.0)
    for k in range(folds):
        held = [qids[i] for i in order[k::folds]]
        w = learn(b, data, [q for q in qids if q not in set(held)])
        for m, v in evaluate(b, data, w, held).items():
            sums[m] += v * len(held)
    return {m: v / len(qids) for m, v in sums.items()}


def row(name: str, means: dict[str, float]) -> None:
    print(f"| {name} | " + " | ".join(f"{means[m]:.3f}" for m in METRICS) + " |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True, help="Index of the statutes (corpus/statutes.toml).")
    ap.add_argument("--questions", type=Path, default=REPO / "tests/eval/questions.tsv")
    ap.add_argument("--qrels", type=Path, default=REPO / "tests/eval/qrels.tsv")
    ap.add_argument("--heldout-questions", type=Path, default=REPO / "tests/eval/heldout/questions.tsv")
    ap.add_argument("--heldout-qrels", type=Path, default=REPO / "tests/eval/heldout/qrels.tsv")
    ap.add_argument("--cache", type=Path, help="Embedding cache for headings and momentit (default: the index's own).")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)

    searcher = Searcher.open(args.index, create_embedder(read_manifest(args.index).backend))
    sig = Signals(searcher, EmbeddingCache(args.cache or Path(args.index) / "embeddings.sqlite"))
    dev = Bench(searcher, load_questions(args.questions), load_qrels(args.qrels))
    held = Bench(searcher, load_questions(args.heldout_questions), load_qrels(args.heldout_qrels))
    dev_data, held_data = features(dev, sig), features(held, sig)
    w = learn(dev, dev_data)
    print("learned weights: " + ", ".join(f"{f} {v:+.1f}" for f, v in zip(FEATURES, w) if v) + "\n")
    print("| ranking | " + " | ".join(METRICS) + " |\n|---|" + "---|" * len(METRICS))
    row(f"dev ({len(dev.questions)} q), search default", evaluate(dev, dev_data, DEFAULT))
    row("dev, learned on dev (in-sample)", evaluate(dev, dev_data, w))
    row("dev, 5-fold cross-validation", cross_validate(dev, dev_data))
    row(f"held-out ({len(held.questions)} q), search default", evaluate(held, held_data, DEFAULT))
    row("held-out, learned on dev", evaluate(held, held_data, w))


if __name__ == "__main__":
    main()
