"""Hostile clients against a real `lahde serve` on loopback: every answer counted, nothing may break.

Starts `lahde serve` on the four-statute index (built with the real model if missing, as
bench/load.py does) with a short header timeout, then replays the hostile cases of the hardening
issue, each a bounded number of times: invented HTTP methods and unmatched paths, bodies over the
limit (declared and streamed), malformed JSON, booleans for numbers, unknown filter values, queries
of invisible or control characters, an over-long q on the section page, hostile query strings, and
stalled connections that never finish their request head. Prints the answers by status, the 5xx
count (must be 0), the server's RSS before and after, the number of request-metric series before
and after (must not grow), and how many stalled connections the server closed.

Usage: python bench/abuse.py [--rounds 3] [--stalled 200] [--port 8767]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from load import ensure_index  # noqa: E402

HEADER_TIMEOUT = 2.0


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def series(base: str) -> set[str]:
    """The request-metric series /metrics has (the scrape itself is counted after it answers, so scrape twice)."""
    httpx.get(f"{base}/metrics", timeout=30)
    text = httpx.get(f"{base}/metrics", timeout=30).text
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line.startswith("lahde_request")}


def cases(n: int) -> list[tuple[str, str, dict]]:
    """(method, path, httpx keyword arguments) for one round; n varies the invented names."""
    big = b"{" + b'"question": "' + b"a" * (1024 * 1024) + b'"}'
    return [
        *[(f"BREW{n}{i}", f"/teapot/{n}/{i}", {}) for i in range(50)],
        *[("GET", f"/no/such/{n}/{i}", {}) for i in range(50)],
        *[("PROPFIND", "/api/search", {}) for _ in range(10)],
        ("POST", "/api/ask", {"content": big, "headers": {"content-type": "application/json"}}),
        (
            "POST",
            "/api/ask",
            {"content": (b"x" * 65536 for _ in range(160)), "headers": {"content-type": "application/json"}},
        ),
        ("POST", "/api/ask", {"content": b'{"question": "palkka",', "headers": {"content-type": "application/json"}}),
        ("POST", "/api/ask", {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}),
        ("POST", "/api/ask", {"json": {"question": "palkka", "k": True}}),
        ("POST", "/api/ask", {"json": {"question": "palkka", "filters": {"kind": "blogi"}}}),
        ("GET", "/api/search", {"params": {"q": "palkka", "kind": "blogi"}}),
        ("GET", "/api/search", {"params": {"q": "palkka", "lang": "en"}}),
        ("GET", "/api/search", {"params": {"q": "palkka", "statute": "9999/2099"}}),
        ("GET", "/api/search", {"params": {"q": "\u200b\u200c\ufeff"}}),
        ("GET", "/api/search", {"params": {"q": "\x85\x9f\x00"}}),
        ("GET", "/api/search", {"params": {"q": "<script>alert(1)</script>' OR 1=1 --"}}),
        ("GET", "/api/search", {"params": {"q": "x" * 20_000}}),
        ("GET", "/api/search", {"params": {"q": "palkka", "k": "99999999999999999999"}}),
        ("GET", "/", {"params": {"q": "palkka", "kind": "blogi"}}),
        ("GET", "/", {"params": {"q": "\u200b"}}),
        ("GET", "/osio/fi.531-2017.s44", {"params": {"q": "koulutussopimus " * 300}}),
        ("GET", "/osio/%00%0a%1b", {}),
        ("GET", "/api/sections/" + "x" * 5000, {}),
        ("GET", "/docs", {}),
    ]


def stall(port: int, count: int) -> tuple[int, float]:
    """Open connections that never finish their request head; how many the server closed, and when."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT + 10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sockets.append(s)
    started = time.monotonic()
    closed = 0
    for s in sockets:
        try:
            closed += s.recv(1024) == b""
        except OSError:
            pass
        s.close()
    return closed, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stalled", type=int, default=200, help="stalled connections to open (bounded)")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    if not 0 < args.stalled <= 1000 or not 0 < args.rounds <= 20:
        raise SystemExit("keep it bounded: --stalled 1..1000, --rounds 1..20")
    index_dir = REPO / "data" / "load-index"
    cache = REPO / "data" / "cache" / "embeddings.sqlite"
    ensure_index(index_dir, cache)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is already in use: pass --port")
    import subprocess

    log = tempfile.TemporaryFile()
    env = {
        **os.environ,
        "LAHDE_INDEX_DIR": str(index_dir),
        "LAHDE_CACHE_PATH": str(cache),
        "LAHDE_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "lahde.cli", "serve", "--port", str(args.port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("server did not become ready")
            time.sleep(0.3)
        httpx.get(f"{base}/api/search", params={"q": "palkka"}, timeout=60)
        statuses: Counter[int] = Counter()
        with httpx.Client(base_url=base, timeout=60) as client:
            # Round 0 meets every (route, method, status) the cases can produce once; the measured
            # rounds use other invented methods and paths, so any new series would be client-made.
            warm = {client.request(m, p, **kw).status_code for m, p, kw in [*cases(-1), ("GET", "/healthz", {})]}
            rss_before, series_before = rss_kib(proc.pid), series(base)
            for n in range(args.rounds):
                for method, path, kwargs in cases(n):
                    try:
                        statuses[client.request(method, path, **kwargs).status_code] += 1
                    except httpx.HTTPError as exc:  # the server closed on us: counted, not a crash
                        statuses[-1] += 1
                        print(f"  {method} {path[:40]}: {type(exc).__name__}", file=sys.stderr)
        closed, waited = stall(args.port, args.stalled)
        alive = httpx.get(f"{base}/healthz", timeout=10).status_code
        rss_after, series_after = rss_kib(proc.pid), series(base)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    total = sum(statuses.values())
    print(f"warm-up round: {len(cases(-1)) + 1} requests, statuses {sorted(warm)}")
    print(
        f"measured: {total} hostile requests in {args.rounds} rounds; by status: "
        + ", ".join(f"{s if s > 0 else 'closed'}: {c}" for s, c in sorted(statuses.items()))
    )
    print(f"5xx: {sum(c for s, c in statuses.items() if s >= 500)} (must be 0)")
    print(
        f"server RSS: {rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB after "
        f"({(rss_after - rss_before) / 1024:+.0f} MiB)"
    )
    print(
        f"request-metric series: {len(series_before)} after the warm-up round, {len(series_after)} after "
        "(must not grow)"
    )
    for extra in sorted(series_after - series_before):
        print(f"  new series: {extra}")
    print(
        f"stalled connections: {closed} of {args.stalled} closed by the server within {waited:.1f} s "
        f"(header timeout {HEADER_TIMEOUT:.0f} s); /healthz afterwards: {alive}"
    )


if __name__ == "__main__":
    main()
