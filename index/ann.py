"""Which FAISS index to build for a corpus of a given size.

Corpora up to ``hnsw_threshold`` vectors get an exact inner-product index (``flat``): citations
must be exact, every generation rebuilds the index from scratch (flat: 0.3 s at 100k vectors,
HNSW: minutes), and at 100k a flat scan still costs less than embedding the query.
Above the threshold an HNSW graph keeps search time roughly constant.
``bench/reindex_scale.py`` measures this; the figures are in docs/reindex.md.
"""

from __future__ import annotations

import logging
from typing import Literal

import faiss
import numpy as np

logger = logging.getLogger(__name__)

IndexType = Literal["auto", "flat", "hnsw", "ivf"]
INDEX_TYPES = ("auto", "flat", "hnsw", "ivf")

#: Default size (vectors) from which ``auto`` builds HNSW instead of an exact scan.
HNSW_THRESHOLD = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
IVF_NPROBE = 16


def choose_index_type(count: int, requested: str = "auto", threshold: int = HNSW_THRESHOLD) -> str:
    """Resolve ``auto`` by corpus size; pass explicit choices through."""
    if requested not in INDEX_TYPES:
        raise ValueError(f"unknown index type {requested!r} (expected one of {', '.join(INDEX_TYPES)})")
    if requested != "auto":
        return requested
    return "hnsw" if count >= threshold else "flat"


def build_faiss_index(vectors: np.ndarray, dim: int, index_type: str) -> faiss.Index:
    """Build an inner-product index of the given type over L2-normalised float32 rows."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    n = vectors.shape[0]
    if index_type == "flat" or n == 0:
        index: faiss.Index = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif index_type == "ivf":
        # ~4·sqrt(n) lists, each trained with at least 39 points as FAISS asks.
        nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(IVF_NPROBE, nlist)
    else:
        raise ValueError(f"unknown index type {index_type!r}")
    if n:
        index.add(vectors)
    return index


def index_type_of(index: faiss.Index) -> str:
    """Name the type of a loaded FAISS index."""
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(index, faiss.IndexIVF):
        return "ivf"
    return "flat"


def reconstruct_all(index: faiss.Index) -> np.ndarray | None:
    """All stored vectors in insertion order, or None when this index type cannot give them back."""
    n, dim = index.ntotal, index.d
    if n == 0:
        return np.zeros((0, dim), dtype=np.float32)
    try:
        if isinstance(index, faiss.IndexIVF):
            index.make_direct_map()
        return index.reconstruct_n(0, n)
    except RuntimeError as exc:
        logger.info("cannot reconstruct vectors from %s: %s", type(index).__name__, exc)
        return None
