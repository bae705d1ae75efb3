"""Embedding cache keyed by model id + text hash, so that no text is embedded twice."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ingest.models import text_hash

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_hash)
)
"""


class EmbeddingCache:
    """A SQLite table of float32 vectors; safe to share between processes (WAL mode)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        self._conn.commit()
        self._lock = threading.Lock()

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors for those hashes that are present."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                part = list(hashes[start : start + 500])
                marks = ",".join("?" * len(part))
                rows = self._conn.execute(
                    f"SELECT text_hash, dim, vector FROM embeddings WHERE model_id = ? AND text_hash IN ({marks})",
                    [model_id, *part],
                ).fetchall()
                for h, dim, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32, count=dim).copy()
        return found

    def put_many(self, model_id: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store vectors (one transaction)."""
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                [(model_id, h, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, v in items],
            )

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()


def embed_with_cache(
    texts: Sequence[str],
    model_id: str,
    dim: int | Callable[[], int],
    embed: Callable[[Sequence[str]], np.ndarray],
    cache: EmbeddingCache | None,
    *,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Embed texts, reusing cached vectors; returns (vectors, number of texts actually embedded).

    ``dim`` may be a callable: it is asked only when no vector tells the dimension (an empty list),
    so a lazily loaded model stays unloaded when the cache holds every text.
    """
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(model_id, hashes) if cache is not None else {}
    missing = list(dict.fromkeys(h for h in hashes if h not in known))
    first_index: dict[str, int] = {}
    for i, h in enumerate(hashes):
        first_index.setdefault(h, i)
    if progress is not None:
        progress(len(texts) - len(missing))
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = embed([texts[first_index[h]] for h in batch])
        fresh = list(zip(batch, vectors))
        if cache is not None:
            cache.put_many(model_id, fresh)
        known.update(fresh)
        if progress is not None:
            progress(len(batch))
    if known:
        width = int(next(iter(known.values())).shape[0])
    else:
        width = dim() if callable(dim) else dim
    out = np.zeros((len(texts), width), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = known[h]
    logger.info("embedded %d of %d texts (%d from cache)", len(missing), len(texts), len(texts) - len(missing))
    return out, len(missing)
