"""Can /api/ask abstain better with more signals than its best sentence? Fitted on the dev set only.

    python bench/abstention.py --index I [--cache embeddings.sqlite] [--report blind]

For every answerable question of the dev set (tests/eval/: a grade-2 judgement) and every
unanswerable one (tests/eval/unanswerable.tsv) the drafter scores its five passages with no
threshold; three signals are recorded: the best sentence's score (what /api/ask abstains on), the
mean cosine of the three closest bank questions (``bank_top``: does anyone ask things like this?)
and ``missing``, the number of the question's analysed terms that none of the five passages holds
in its text, context line or bank questions (a question about parking finds passages on its other
words, but its subject is in none of them). It prints, cross-validated on the dev set (5 folds ×
5 shuffles, L2 logistic regression on standardised signals), AUROC and the share of unanswerable
questions abstained on at the threshold that abstains on ≤ 5 % of the answerable ones, for each
subset of signals; then fits all three on the whole dev set (weights per unit of the sentence
score, and the threshold) and applies them unchanged to the sets named in --report, which are
never used to choose. Result (docs/retrieval.md): better on the dev set, much worse on the blind
set, so /api/ask keeps the best sentence.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import MemoEmbedder, auroc, threshold_for, tsv_rows  # noqa: E402

from embedding.cache import EmbeddingCache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from ingest.models import Chunk  # noqa: E402
from retrieval.answer import AnswerDrafter  # noqa: E402
from retrieval.glossary import DEFAULT_GLOSSARY  # noqa: E402
from retrieval.search import Searcher  # noqa: E402

SETS = {"dev": REPO / "tests/eval", "blind": REPO / "tests/eval/blind"}
SIGNALS = ("sentence", "bank_top", "missing")


def signals(drafter: AnswerDrafter, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(answerable × signals, unanswerable × signals) for one set."""
    settled = {r["qid"] for r in tsv_rows(folder / "qrels.tsv") if r["grade"] == "2"}

    def row(question: str) -> list[float]:
        sc = drafter.scored(question, 5)
        best = float(sc.scores.max()) if len(sc.scores) else 0.0
        prepared = drafter.searcher.prepare(question)
        found: set[str] = set()
        for hit in sc.hits:
            found |= passage_terms(drafter.searcher, hit.chunk)
        missing = sum(t not in found for t in prepared.terms)
        return [best, bank_top(drafter.searcher, prepared.vector), float(missing)]

    answerable = [row(q["question"]) for q in tsv_rows(folder / "questions.tsv") if q["qid"] in settled]
    unanswerable = [row(q["question"]) for q in tsv_rows(folder / "unanswerable.tsv")]
    return np.array(answerable, dtype=np.float64), np.array(unanswerable, dtype=np.float64).reshape(-1, len(SIGNALS))


_TERMS: dict[str, frozenset[str]] = {}


def passage_terms(searcher: Searcher, chunk: Chunk) -> frozenset[str]:
    """The analysed terms a passage holds as the lexical side indexes it: its text and its bank questions."""
    if chunk.id not in _TERMS:
        an = searcher.lexical.analyzer  # type: ignore[union-attr]
        terms = set(an.analyze(chunk.embed_text, chunk.citation.lang))
        bank = searcher.bank
        if bank is not None:
            for qi in bank.by_chunk.get(searcher.index.by_id[chunk.id], []):
                terms.update(an.analyze(bank.questions[qi].text, bank.questions[qi].lang))
        _TERMS[chunk.id] = frozenset(terms)
    return _TERMS[chunk.id]


def bank_top(searcher: Searcher, vector: np.ndarray | None, n: int = 3) -> float:
    """Mean cosine of the n bank questions closest to the query vector."""
    assert searcher.bank is not None and vector is not None
    sims = searcher.bank.vectors @ vector.astype(np.float32)
    return float(np.sort(sims)[-n:].mean())


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (the intercept not penalised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + penalty @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w[:-1], float(w[-1])


def raw_model(x: np.ndarray, y: np.ndarray, cols: list[int]) -> tuple[np.ndarray, float]:
    """Fitted weights and intercept on the raw (unstandardised) signals of these columns: a log-odds."""
    mu, sd = x[:, cols].mean(0), x[:, cols].std(0)
    w, b = fit_logistic((x[:, cols] - mu) / sd, y)
    return w / sd, b - float((w * mu / sd).sum())


def unit_weights(x: np.ndarray, y: np.ndarray, cols: list[int]) -> np.ndarray:
    """Fitted weights rescaled so that the sentence score (column 0) weighs 1."""
    raw, _b = raw_model(x, y, cols)
    if raw[0] <= 0:
        raise SystemExit("the fitted model gives the best sentence no positive weight: not a usable evidence score")
    return raw / raw[0]


def cross_validated(x: np.ndarray, y: np.ndarray, cols: list[int], folds: int = 5, shuffles: int = 5) -> tuple:
    """Mean AUROC, abstentions and false abstentions of out-of-fold scores (threshold from the pooled answerable)."""
    rng = np.random.default_rng(0)
    results = []
    for _ in range(shuffles):
        fold = np.empty(len(y), dtype=int)
        for label in (0, 1):
            idx = rng.permutation(np.flatnonzero(y == label))
            fold[idx] = np.arange(len(idx)) % folds
        pred = np.zeros(len(y))
        for f in range(folds):
            train, test = fold != f, fold == f
            # Out-of-fold log-odds: on one scale across folds, so one threshold serves the pooled scores.
            w, b = raw_model(x[train], y[train], cols)
            pred[test] = x[test][:, cols] @ w + b
        pos, neg = pred[y == 1], pred[y == 0]
        thr = threshold_for(pos)
        results.append((auroc(pos, neg), float((neg < thr).mean()), float((pos < thr).mean())))
    return tuple(float(np.mean(v)) for v in zip(*results, strict=True))


def main() -> None:
    """Print the cross-validated table, the fitted model and the reported sets."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--report", default="blind", help="sets to apply the dev-fitted model to (comma-separated)")
    args = ap.parse_args()
    embedder = MemoEmbedder(create_embedder("onnx"))
    searcher = Searcher.open(args.index, embedder, glossary_path=DEFAULT_GLOSSARY)  # type: ignore[arg-type]
    if not searcher.bank_active:
        raise SystemExit(f"{args.index} has no question bank: the evidence score needs it")
    cache = EmbeddingCache(args.cache) if args.cache else None
    drafter = AnswerDrafter(searcher, min_score=-1.0, signal="sentence", cache=cache)
    pos, neg = signals(drafter, SETS["dev"])
    x = np.vstack([pos, neg])
    y = np.array([1.0] * len(pos) + [0.0] * len(neg))
    print(f"dev: {len(pos)} answerable, {len(neg)} unanswerable\n")
    print("| signals | CV AUROC | CV abstains (unanswerable) | CV false abstentions |")
    print("|---|---|---|---|")
    for r in range(1, len(SIGNALS) + 1):
        for cols in itertools.combinations(range(len(SIGNALS)), r):
            if 0 not in cols:
                continue
            au, ab, fa = cross_validated(x, y, list(cols))
            print(f"| {' + '.join(SIGNALS[c] for c in cols)} | {au:.3f} | {ab:.3f} | {fa:.3f} |", flush=True)
    cols = [0, 1, 2]
    w = unit_weights(x, y, cols)
    thr = threshold_for(pos @ w)
    print(f"\nfitted on the whole dev set: evidence = sentence + {w[1]:.4f} · bank_top − {-w[2]:.4f} · missing")
    print(f"threshold {thr:.4f}\n")
    print("| set | scorer | AUROC | threshold | abstains (unanswerable) | false abstentions |")
    print("|---|---|---|---|---|---|")
    sets = {"dev": (pos, neg)}
    for name in (n for n in args.report.split(",") if n.strip()):
        sets[name] = signals(drafter, SETS[name])
    sentence_thr = threshold_for(pos[:, 0])
    for name, (p, n) in sets.items():
        for label, wt, t in (("best sentence", np.array([1.0, 0, 0]), sentence_thr), ("evidence", w, thr)):
            sp, sn = p @ wt, n @ wt
            print(
                f"| {name} | {label} | {auroc(sp, sn):.3f} | {t:.3f} | {(sn < t).mean():.3f} ({len(sn)}) | "
                f"{(sp < t).mean():.3f} ({len(sp)}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
