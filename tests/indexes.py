"""Test indexes written through the production write path (index.reindex), as `lahde build` writes them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from embedding.cache import EmbeddingCache
from embedding.types import Embedder
from index.generations import IndexRoot
from index.reindex import build_from_chunks
from index.types import Manifest
from ingest.models import Chunk


def build_index(
    chunks: Sequence[Chunk], embedder: Embedder, root: str | Path, *, cache: EmbeddingCache | None = None
) -> Manifest:
    """Write a new generation of these chunks under ``root`` (a full build); returns its manifest."""
    return build_from_chunks(root, chunks, embedder, cache=cache).manifest


def generation_dir(root: str | Path) -> Path:
    """The directory of the current generation under an index root."""
    current = IndexRoot(root).current_dir()
    assert current is not None, f"no generation under {root}"
    return current


def build_cached(chunks: Sequence[Chunk], embedder: Embedder, out: Path, cache_path: Path) -> Path:
    """Build an index at out, taking vectors from (and adding them to) the embedding cache at cache_path."""
    cache = EmbeddingCache(cache_path)
    try:
        build_index(chunks, embedder, out, cache=cache)
    finally:
        cache.close()
    return out
