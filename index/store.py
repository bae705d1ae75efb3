"""A vector index as a directory of plain files: manifest.json, vectors.faiss, chunks.jsonl."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from ingest.models import Chunk

from .ann import build_faiss_index, index_type_of
from .cache import EmbeddingCache, embed_with_cache
from .embedders import Embedder
from .errors import CorruptIndexError, IncompatibleIndexError, IndexNotFoundError
from .generations import resolve_index_dir
from .lexical import write_lexical_index

if TYPE_CHECKING:
    from .versions import OtherVersion

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"


@dataclass(frozen=True)
class Manifest:
    """What an index directory holds and how it was made."""

    format_version: int
    model_id: str
    backend: str
    dim: int
    chunk_count: int
    built_at: str
    build_seconds: float
    embedded_count: int
    index_type: str = "flat"

    def to_dict(self) -> dict:
        """Return JSON-ready data."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Hit:
    """One search result: the chunk, its similarity score and its rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int
    # Other acts' wordings of the same section folded into this hit (index.versions); () when not collapsed.
    versions: tuple[OtherVersion, ...] = ()


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on which chunks may be returned."""

    kind: str | None = None
    lang: str | None = None
    statute: str | None = None

    def accepts(self, chunk: Chunk) -> bool:
        """True when the chunk passes every set filter."""
        c = chunk.citation
        return (
            (self.kind is None or c.kind == self.kind)
            and (self.lang is None or c.lang == self.lang)
            and (self.statute is None or c.statute == self.statute)
        )

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return any(v is not None for v in (self.kind, self.lang, self.statute))


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_index(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    out_dir: str | Path,
    *,
    cache: EmbeddingCache | None = None,
    progress: Callable[[int], None] | None = None,
    index_type: str = "flat",
) -> Manifest:
    """Embed the chunks and write the index directory atomically (a reader never sees half of it)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    check_unique_ids(chunks)
    vectors, embedded = embed_with_cache(
        [c.embed_text for c in chunks],
        embedder.model_id,
        embedder.dim,
        embedder.embed_passages,
        cache,
        progress=progress,
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.building-"))
    try:
        manifest = write_index_files(
            staging, chunks, vectors, embedder, embedded=embedded, started=started, index_type=index_type
        )
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("built index %s: %d chunks (%d embedded) in %.1fs", out_dir, len(chunks), embedded, manifest.build_seconds)
    return manifest


def check_unique_ids(chunks: Sequence[Chunk]) -> None:
    """Refuse a chunk list with repeated ids (they would shadow each other in the index)."""
    seen: set[str] = set()
    dupes = sorted({c.id for c in chunks if c.id in seen or seen.add(c.id)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValueError(f"duplicate chunk ids: {dupes[:5]}")


def write_index_files(
    out_dir: Path,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    embedder: Embedder,
    *,
    embedded: int,
    started: float,
    index_type: str = "flat",
) -> Manifest:
    """Write vectors.faiss, chunks.jsonl and manifest.json (last) into an existing directory."""
    index = build_faiss_index(vectors, embedder.dim, index_type)
    faiss.write_index(index, str(out_dir / VECTORS))
    lines = "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks)
    _write_atomic(out_dir / CHUNKS, lines.encode("utf-8"))
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model_id=embedder.model_id,
        backend=embedder.backend,
        dim=embedder.dim,
        chunk_count=len(chunks),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        embedded_count=embedded,
        index_type=index_type_of(index),
    )
    # The lexical (BM25) index is part of every index, written before the manifest like the rest.
    write_lexical_index(chunks, out_dir)
    _write_atomic(out_dir / MANIFEST, json.dumps(manifest.to_dict(), indent=2).encode("utf-8"))
    return manifest


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace out_dir with the staged directory; the old one is removed only after the swap."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    os.replace(out_dir, retired)
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def read_manifest(index_dir: str | Path) -> Manifest:
    """Read and validate an index's manifest (of the current generation when index_dir is a root)."""
    path = resolve_index_dir(index_dir) / MANIFEST
    if not path.exists():
        raise IndexNotFoundError(f"no index at {index_dir} (missing {MANIFEST}); build one with `lahde build`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except (json.JSONDecodeError, TypeError) as exc:
        raise CorruptIndexError(f"{path}: unreadable manifest: {exc}") from exc


class VectorIndex:
    """A loaded index: chunks plus their vectors, searchable by a query vector."""

    def __init__(self, index_dir: str | Path, manifest: Manifest, chunks: list[Chunk], faiss_index: faiss.Index) -> None:
        self.path = Path(index_dir)
        self.manifest = manifest
        self.chunks = chunks
        self.by_id = {c.id: i for i, c in enumerate(chunks)}
        self._index = faiss_index

    @classmethod
    def load(cls, index_dir: str | Path, *, model_id: str | None = None) -> "VectorIndex":
        """Load an index (a root's current generation); refuse one built with another model or format version."""
        index_dir = resolve_index_dir(index_dir)
        manifest = read_manifest(index_dir)
        if manifest.format_version != FORMAT_VERSION:
            raise IncompatibleIndexError(
                f"index {index_dir} has format version {manifest.format_version}, this program reads "
                f"version {FORMAT_VERSION}; rebuild it with `lahde build`"
            )
        if model_id is not None and manifest.model_id != model_id:
            raise IncompatibleIndexError(
                f"index {index_dir} was built with model {manifest.model_id!r} but the configured model is "
                f"{model_id!r}; rebuild the index with `lahde build` or configure the index's model"
            )
        try:
            with open(index_dir / CHUNKS, encoding="utf-8") as fh:
                chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
            faiss_index = faiss.read_index(str(index_dir / VECTORS))
        except (OSError, RuntimeError, json.JSONDecodeError, KeyError) as exc:
            raise CorruptIndexError(f"index {index_dir} is damaged: {exc}") from exc
        if faiss_index.ntotal != len(chunks) or len(chunks) != manifest.chunk_count:
            raise CorruptIndexError(
                f"index {index_dir} is inconsistent: {faiss_index.ntotal} vectors, {len(chunks)} chunks, "
                f"manifest says {manifest.chunk_count}"
            )
        return cls(index_dir, manifest, chunks, faiss_index)

    def __len__(self) -> int:
        return len(self.chunks)

    def search_vector(self, query: np.ndarray, k: int, filters: Filters | None = None, offset: int = 0) -> list[Hit]:
        """Return the k best chunks for a normalised query vector, after filters and offset."""
        if not self.chunks or k <= 0:
            return []
        wanted = offset + k
        n = len(self.chunks)
        filtering = filters is not None and filters.active
        # With filters, fetch a growing window rather than all n: an HNSW search for k = n would
        # walk the whole graph.
        fetch = min(n, max(wanted * 8, 64)) if filtering else min(wanted, n)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        while True:
            scores, idx = self._index.search(query, fetch)
            hits: list[Hit] = []
            for score, i in zip(scores[0], idx[0]):
                if i < 0:
                    continue
                chunk = self.chunks[i]
                if filters is not None and not filters.accepts(chunk):
                    continue
                hits.append(Hit(chunk=chunk, score=float(score), rank=len(hits) + 1))
                if len(hits) >= wanted:
                    break
            if len(hits) >= wanted or fetch >= n:
                break
            fetch = min(n, fetch * 4)
        return hits[offset:]

    def get(self, chunk_id: str) -> Chunk | None:
        """Return a chunk by id."""
        i = self.by_id.get(chunk_id)
        return self.chunks[i] if i is not None else None

    def vector(self, chunk_id: str) -> np.ndarray | None:
        """The stored (normalised) vector of a chunk, or None for an unknown id."""
        i = self.by_id.get(chunk_id)
        return None if i is None else self._index.reconstruct(i)
