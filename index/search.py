"""Query-time search: embed the query, look it up in the loaded index."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .embedders import Embedder
from .store import Filters, Hit, VectorIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query with the time the search took."""

    query: str
    hits: list[Hit]
    took_ms: float


class Searcher:
    """One embedder and one loaded index, shared by the CLI and the HTTP API."""

    def __init__(self, embedder: Embedder, index: VectorIndex) -> None:
        self.embedder = embedder
        self.index = index

    @classmethod
    def open(cls, index_dir: str | Path, embedder: Embedder) -> "Searcher":
        """Load the index at index_dir, checking it was built with this embedder's model."""
        return cls(embedder, VectorIndex.load(index_dir, model_id=embedder.model_id))

    def search(self, query: str, k: int = 10, filters: Filters | None = None, offset: int = 0) -> SearchResult:
        """Return the k best hits for a query (after offset), best first."""
        started = time.perf_counter()
        vector = self.embedder.embed_queries([query])[0]
        hits = self.index.search_vector(vector, k, filters, offset)
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query=query, hits=hits, took_ms=round(took, 2))
