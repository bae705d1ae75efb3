"""Search latency through HTTP: hybrid (with the question bank) against dense-only, the same run, real servers.

    python bench/http_latency.py --index I [--cache embeddings.sqlite] [--rounds 2]

Starts one `lahde serve` on the index and sends every dev, held-out and blind question once per
round in each mode, interleaved query by query, one request at a time:
``GET /api/search?q=…&mode=hybrid`` and ``mode=dense``. Each mode's query carries its own marker
word (" [hybrid]" / " [dense]", in no passage), so the server's query-vector cache never hands one
mode the vector the other embedded: every request pays its embedding. The time is the client's,
request to last byte. Prints p50/p95 per mode, the server's own ``took_ms`` beside them, and the
p95 ratio hybrid / dense.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from benchlib import percentile  # noqa: E402

SETS = ["tests/eval/questions.tsv", "tests/eval/heldout/questions.tsv", "tests/eval/blind/questions.tsv"]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(index: Path, cache: Path | None, threads: int | None) -> tuple[subprocess.Popen, str]:
    """Start `lahde serve` on a free port and wait until it answers."""
    port = free_port()
    env = {**os.environ, "LAHDE_INDEX_DIR": str(index), "LAHDE_PORT": str(port)}
    if threads:
        env["LAHDE_SERVE_EMBED_THREADS"] = str(threads)
    if cache is not None:
        env["LAHDE_CACHE_PATH"] = str(cache)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lahde.cli", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


def timed(base: str, query: str, mode: str) -> tuple[float, float]:
    """Milliseconds for one search request (body read), and the server's took_ms."""
    url = f"{base}/api/search?" + urllib.parse.urlencode({"q": query, "mode": mode, "k": 10})
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{url}: HTTP {r.status}")
    return (time.perf_counter() - started) * 1000, float(json.loads(body)["took_ms"])


def main() -> None:
    """Print the latency table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="embedding threads of the server (default 1: ONNX Runtime's spinning pool threads inflate latency on 2 cores)",
    )
    args = ap.parse_args()
    queries: list[str] = []
    for name in SETS:
        with (REPO / name).open(encoding="utf-8", newline="") as fh:
            queries += [r["question"] for r in csv.DictReader(fh, delimiter="\t")]
    proc, base = serve(args.index, args.cache, args.threads)
    modes = ("hybrid", "dense")
    try:
        for mode in modes:
            timed(base, "lämmittely", mode)  # load the model and the index before timing
        times: dict[str, list[float]] = {m: [] for m in modes}
        took: dict[str, list[float]] = {m: [] for m in modes}
        for r in range(args.rounds):
            for q in queries:
                for mode in modes:
                    client, server = timed(base, f"{q} [{mode}{r or ''}]", mode)
                    times[mode].append(client)
                    took[mode].append(server)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{len(queries)} distinct queries × {args.rounds} round(s), k=10, one request at a time")
    print("| mode | p50 ms | p95 ms | server took_ms p50 / p95 |")
    print("|---|---|---|---|")
    for mode, t in times.items():
        print(
            f"| {mode} | {percentile(t, 50):.1f} | {percentile(t, 95):.1f} | "
            f"{percentile(took[mode], 50):.1f} / {percentile(took[mode], 95):.1f} |"
        )
    print(f"p95 ratio hybrid / dense: {percentile(times['hybrid'], 95) / percentile(times['dense'], 95):.2f}")


if __name__ == "__main__":
    main()
