"""nDCG@10 / recall@10 of embedding backends on the Finnish SQuAD 2.0 retrieval set (shared/eval).

Decides whether the int8 ONNX variant may replace fp32 (rule: within +-0.005 nDCG@10).
Usage: .venv/bin/python bench/retrieval_eval.py [--queries 2000] [--backends onnx,onnx-int8]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embedding.embedders import create_embedder  # noqa: E402

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "squad2-fi"


def load(n_queries: int, seed: int = 0) -> tuple[list[str], list[str], list[str], dict[str, set[str]]]:
    """Corpus ids/texts, a seeded sample of queries, and qrels."""
    docs = [json.loads(line) for line in (EVAL / "dev_corpus.jsonl").open(encoding="utf-8")]
    qrels: dict[str, set[str]] = {}
    for line in (EVAL / "dev_qrels.tsv").open(encoding="utf-8"):
        qid, _, pid, rel = line.rstrip("\n").split("\t")
        if int(rel) > 0:
            qrels.setdefault(qid, set()).add(pid)
    queries = [line.rstrip("\n").split("\t", 1) for line in (EVAL / "dev_queries.tsv").open(encoding="utf-8")]
    queries = [q for q in queries if q[0] in qrels]
    random.Random(seed).shuffle(queries)
    queries = queries[:n_queries]
    return [d["_id"] for d in docs], [d["text"] for d in docs], queries, qrels


def ndcg_recall(scores: np.ndarray, doc_ids: list[str], queries: list, qrels: dict, k: int = 10) -> tuple[float, float]:
    """Mean nDCG@k and recall@k (binary relevance)."""
    top = np.argsort(-scores, axis=1)[:, :k]
    nd, rc = [], []
    for (qid, _), row in zip(queries, top):
        rel = qrels[qid]
        gains = [1.0 / math.log2(r + 2) for r, j in enumerate(row) if doc_ids[j] in rel]
        ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(rel), k)))
        nd.append(sum(gains) / ideal)
        rc.append(len(gains) / len(rel))
    return float(np.mean(nd)), float(np.mean(rc))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--backends", default="onnx,onnx-int8")
    args = ap.parse_args()
    doc_ids, docs, queries, qrels = load(args.queries)
    print(f"{len(docs)} paragraphs, {len(queries)} queries")
    results = {}
    for name in args.backends.split(","):
        opts = {"variant": name.partition("-")[2]} if name.startswith("onnx-") else {}
        emb = create_embedder("onnx" if name.startswith("onnx") else name, **opts, fallback=False)
        t = time.perf_counter()
        D = emb.embed_passages(docs)
        Q = emb.embed_queries([q for _, q in queries])
        dt = time.perf_counter() - t
        nd, rc = ndcg_recall(Q @ D.T, doc_ids, queries, qrels)
        results[name] = (nd, rc, D, Q)
        print(f"{name:12s} model_id={emb.model_id}  nDCG@10={nd:.4f}  recall@10={rc:.4f}  ({dt:.0f}s)", flush=True)
    names = list(results)
    for other in names[1:]:
        a, b = results[names[0]], results[other]
        cos_d = (a[2] * b[2]).sum(1)
        cos_q = (a[3] * b[3]).sum(1)
        print(f"{other} vs {names[0]}: dNDCG={b[0] - a[0]:+.4f}  cos passages min/mean {cos_d.min():.4f}/"
              f"{cos_d.mean():.5f}  queries {cos_q.min():.4f}/{cos_q.mean():.5f}")  # fmt: skip


if __name__ == "__main__":
    main()
