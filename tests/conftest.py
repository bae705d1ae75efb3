"""Shared fixtures: the real Finlex corpus beside the repo, small real indexes, API clients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from embedding.embedders import create_embedder
from ingest.corpus import ingest_files
from tests.servers import lahde_serve

from .indexes import build_cached
from .paths import FOUR_STATUTES, finlex_file


@pytest.fixture(scope="session")
def embedding_cache_path(request: pytest.FixtureRequest) -> Path:
    """An embedding cache kept in pytest's cache dir (or LAHDE_TEST_EMBED_CACHE), so runs embed nothing twice."""
    shared = os.environ.get("LAHDE_TEST_EMBED_CACHE")
    if shared:
        return Path(shared)
    return Path(request.config.cache.mkdir("lahde")) / "embeddings.sqlite"


@pytest.fixture(scope="session")
def real_embedder():
    """The default real model: multilingual-e5-small through the default (onnx) backend, no fallback."""
    return create_embedder("onnx", fallback=False)


@pytest.fixture(scope="session")
def four_statute_chunks():
    """Chunks of 531/2017, 673/2017, 1214/2020 and 1215/2020 (Finnish)."""
    report = ingest_files([finlex_file(n) for n in FOUR_STATUTES])
    assert not report.errors
    return [c for d in report.documents for c in d.chunks]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, four_statute_chunks, real_embedder, embedding_cache_path) -> Path:
    """A real index of the four statutes, built once per session with the real model."""
    return build_cached(
        four_statute_chunks, real_embedder, tmp_path_factory.mktemp("index") / "index", embedding_cache_path
    )


@pytest.fixture(scope="session")
def live_server(built_index: Path, embedding_cache_path: Path):
    """`lahde serve` as a real process on a free loopback port, on the real four-statute index."""
    with lahde_serve({"LAHDE_INDEX_DIR": str(built_index), "LAHDE_CACHE_PATH": str(embedding_cache_path)}) as base:
        yield base
