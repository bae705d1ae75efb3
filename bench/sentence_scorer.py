"""Fit and check the /api/ask sentence scorer (retrieval.sentence_scoring) on the dev set's evidence phrases.

    python bench/sentence_scorer.py --index I [--cache embeddings.sqlite]

A candidate sentence is labelled 1 when it holds a grade-2 evidence phrase of its question
(tests/eval/qrels.tsv). A logistic regression over the scorer's features is fitted by Newton's
method (small ridge). Reported: 5-fold cross-validation on the dev set (folds by question; each
fold's weights fitted on the other four), and the weights fitted on the whole dev set applied
unchanged to the blind set. Per scorer: the share of answerable questions whose draft quotes the
evidence (anywhere / first), AUROC of the best sentence score against the unanswerable questions,
and the abstention rate at the threshold that abstains on at most 5 % of the dev set's answerable
questions. The blind set is for reporting only.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import MemoEmbedder, auroc, threshold_for, tsv_rows  # noqa: E402
from draft_quality import SETS, _norm, quotes  # noqa: E402

from embedding.cache import EmbeddingCache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from retrieval.answer import AnswerDrafter, Scored, _choose, _number  # noqa: E402
from retrieval.glossary import DEFAULT_GLOSSARY  # noqa: E402
from retrieval.search import Searcher  # noqa: E402
from retrieval.sentence_scoring import BANK_BONUS, COSINE_ONLY, FEATURES, SentenceScorer  # noqa: E402

PROBE = SentenceScorer((1.0,) * len(FEATURES), 0.0, 0.0, "probe")  # any weights: all features get computed


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 1.0, steps: int = 25) -> SentenceScorer:
    """Logistic regression (bias unpenalised) by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.diag([ridge] * x.shape[1] + [0.0])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + penalty @ w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + penalty
        w -= np.linalg.solve(hess, grad)
    return SentenceScorer(tuple(round(float(v), 4) for v in w[:-1]), round(float(w[-1]), 4), 0.0, "fitted")


def collect(drafter: AnswerDrafter, folder: Path, k: int) -> tuple[list[tuple[Scored, list[str]]], list[Scored]]:
    """Scored candidates of the answerable questions (with their evidence) and of the unanswerable ones."""
    evidence: dict[str, list[str]] = {}
    for r in tsv_rows(folder / "qrels.tsv"):
        if r.get("evidence") and r["grade"] == "2":
            evidence.setdefault(r["qid"], []).append(_norm(r["evidence"]))
    answerable = [
        (drafter.scored(q["question"], k), evidence[q["qid"]])
        for q in tsv_rows(folder / "questions.tsv")
        if q["qid"] in evidence
    ]
    unanswerable = [drafter.scored(q["question"], k) for q in tsv_rows(folder / "unanswerable.tsv")]
    return answerable, unanswerable


def labels(sc: Scored, evidence: list[str]) -> np.ndarray:
    """1 for each candidate sentence that quotes the evidence."""
    return np.array([quotes(h.chunk.text[s:e], evidence) for h, s, e in sc.candidates], dtype=float)


def draft_hits(
    scorer: SentenceScorer, sc: Scored, evidence: list[str], margin: float, by_score: bool
) -> tuple[bool, bool]:
    """(quotes anywhere, quoted first) for the draft this scorer would make."""
    scores = scorer.score(sc.features)
    chosen = _choose(sc.candidates, scores, 4, margin)
    draft, _sources = _number(chosen, sc.hits, by_score=by_score)
    hit = [quotes(d.text, evidence) for d in draft]
    return any(hit), bool(hit and hit[0])


def report(
    name: str,
    per_fold: list[tuple[SentenceScorer, list[tuple[Scored, list[str]]]]],
    unanswerable: list[tuple[SentenceScorer, list[Scored]]],
    margin: float,
    by_score: bool,
    threshold: float | None = None,
) -> float:
    """Print one row; returns the threshold (from these answerable questions when none is given)."""
    anywhere = first = n = 0
    pos: list[float] = []
    for scorer, items in per_fold:
        for sc, ev in items:
            a, f = draft_hits(scorer, sc, ev, margin, by_score)
            anywhere += a
            first += f
            n += 1
            pos.append(float(scorer.score(sc.features).max()) if len(sc.candidates) else -1e9)
    neg = [float(s.score(x.features).max()) if len(x.candidates) else -1e9 for s, items in unanswerable for x in items]
    thr = threshold if threshold is not None else threshold_for(pos)
    abstain = sum(v < thr for v in neg) / (len(neg) or 1)
    false = sum(v < thr for v in pos) / (n or 1)
    print(
        f"| {name} | {n} | {anywhere / n:.3f} | {first / n:.3f} | {auroc(pos, neg):.3f} | {thr:.3f} | "
        f"{abstain:.3f} ({len(neg)}) | {false:.3f} |",
        flush=True,
    )
    return thr


def main() -> None:
    """Fit, cross-validate, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    searcher = Searcher.open(args.index, MemoEmbedder(create_embedder("onnx")), glossary_path=DEFAULT_GLOSSARY)  # type: ignore[arg-type]
    cache = EmbeddingCache(args.cache) if args.cache else None
    drafter = AnswerDrafter(searcher, min_score=-1e9, cache=cache, scorer=PROBE)
    dev, dev_un = collect(drafter, SETS["dev"], args.k)
    blind, blind_un = collect(drafter, SETS["blind"], args.k)
    order = list(range(len(dev)))
    random.Random(0).shuffle(order)
    folds = [order[i :: args.folds] for i in range(args.folds)]
    stack = lambda items: (  # noqa: E731
        np.vstack([sc.features for sc, _e in items if len(sc.candidates)]),
        np.concatenate([labels(sc, e) for sc, e in items if len(sc.candidates)]),
    )
    fold_scorers = []
    for held in folds:
        train = [dev[i] for i in order if i not in set(held)]
        fold_scorers.append((fit(*stack(train)), [dev[i] for i in held]))
    full = fit(*stack(dev))
    print(f"fitted on the whole dev set: weights {dict(zip(FEATURES, full.weights))}, bias {full.bias}")
    print()
    print(
        "| scorer | questions | quotes evidence | quoted first | AUROC | threshold | abstains (unanswerable) | false abstentions |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for by_score in (False, True):
        order_name = "best first" if by_score else "source order"
        for base in (COSINE_ONLY, BANK_BONUS):
            thr = report(f"{base.name}, dev, {order_name}", [(base, dev)], [(base, dev_un)], 0.04, by_score)
            report(f"{base.name}, blind, {order_name}", [(base, blind)], [(base, blind_un)], 0.04, by_score, thr)
        for margin in (0.5, 1.0, 2.0):
            # Cross-validated: each dev question scored by weights fitted without it; the dev
            # unanswerable questions by the whole-dev weights (they never enter a fit).
            thr = report(
                f"fitted, dev 5-fold CV, margin {margin}, {order_name}",
                fold_scorers,
                [(full, dev_un)],
                margin,
                by_score,
            )
            report(
                f"fitted on dev, blind, margin {margin}, {order_name}",
                [(full, blind)],
                [(full, blind_un)],
                margin,
                by_score,
                thr,
            )


if __name__ == "__main__":
    main()
