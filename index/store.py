"""A vector index as a directory of plain files: manifest.json, vectors.faiss, chunks.jsonl (+ lexical/)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

from ingest.models import BankQuestion, Chunk

from .ann import build_faiss_index, index_type_of
from .bank import write_bank
from .errors import CorruptIndexError, IncompatibleIndexError, IndexNotFoundError
from .files import FILE_MODE, write_atomic
from .generations import resolve_index_dir
from .lexical import write_lexical_index
from .types import Manifest

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"


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
    *,
    model_id: str,
    backend: str,
    embedded: int,
    started: float,
    index_type: str = "flat",
    bank: Sequence[BankQuestion] = (),
    bank_vectors: np.ndarray | None = None,
    bank_prefix: str = "query",
) -> Manifest:
    """Write vectors.faiss, chunks.jsonl, lexical/, bank/ (with a question bank) and manifest.json (last)."""
    dim = int(vectors.shape[1])
    index = build_faiss_index(vectors, dim, index_type)
    faiss.write_index(index, str(out_dir / VECTORS))
    (out_dir / VECTORS).chmod(FILE_MODE)  # faiss writes with the umask
    lines = "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks)
    write_atomic(out_dir / CHUNKS, lines.encode("utf-8"))
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model_id=model_id,
        backend=backend,
        dim=dim,
        chunk_count=len(chunks),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        embedded_count=embedded,
        index_type=index_type_of(index),
    )
    # The lexical (BM25) index is part of every index, written before the manifest like the rest.
    analyzer = write_lexical_index(chunks, out_dir)
    if bank:
        assert bank_vectors is not None
        # The bank's BM25 field must be analysed as the text was.
        write_bank(out_dir, chunks, bank, bank_vectors, analyzer, prefix=bank_prefix)
    write_atomic(out_dir / MANIFEST, json.dumps(manifest.to_dict(), indent=2).encode("utf-8"))
    return manifest


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


def read_chunks(index_dir: str | Path) -> list[Chunk]:
    """The chunks of an index (a root's current generation, or one generation directory), without its vectors."""
    index_dir = resolve_index_dir(index_dir)
    try:
        with open(index_dir / CHUNKS, encoding="utf-8") as fh:
            return [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise CorruptIndexError(f"index {index_dir} is damaged: {exc}") from exc


class VectorIndex:
    """A loaded index: chunks plus their vectors, searchable by a query vector."""

    def __init__(
        self, index_dir: str | Path, manifest: Manifest, chunks: list[Chunk], faiss_index: faiss.Index
    ) -> None:
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

    def search(self, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (chunk position, cosine) pairs for a normalised query vector, restricted to ``mask``."""
        n = len(self.chunks)
        if not n or k <= 0:
            return []
        # With a mask, fetch a growing window rather than all n: an HNSW search for k = n would
        # walk the whole graph.
        fetch = min(n, max(k * 8, 64)) if mask is not None else min(k, n)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        while True:
            scores, idx = self._index.search(query, fetch)
            found: list[tuple[int, float]] = []
            for score, i in zip(scores[0], idx[0]):
                if i < 0 or (mask is not None and not mask[i]):
                    continue
                found.append((int(i), float(score)))
                if len(found) >= k:
                    break
            if len(found) >= k or fetch >= n:
                return found
            fetch = min(n, fetch * 4)

    def get(self, chunk_id: str) -> Chunk | None:
        """Return a chunk by id."""
        i = self.by_id.get(chunk_id)
        return self.chunks[i] if i is not None else None

    def vector_at(self, position: int) -> np.ndarray:
        """The stored (normalised) vector of the chunk at a position."""
        return np.asarray(self._index.reconstruct(position), dtype=np.float32)

    def vector(self, chunk_id: str) -> np.ndarray | None:
        """The stored (normalised) vector of a chunk, or None for an unknown id."""
        i = self.by_id.get(chunk_id)
        return None if i is None else self.vector_at(i)
