"""Glue shared by the CLI and the HTTP API: settings → embedder, corpus → index, index → searcher."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.cache import EmbeddingCache
from index.embedders import Embedder, create_embedder
from index.search import Searcher
from index.store import Manifest, build_index
from ingest.corpus import IngestOptions, IngestReport, corpus_files, ingest_corpus, load_sources

from .settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What `lahde build` did."""

    report: IngestReport
    manifest: Manifest
    index_dir: Path


def make_embedder(settings: Settings) -> Embedder:
    """Create the embedder the settings name."""
    return create_embedder(
        settings.backend,
        settings.model,
        num_threads=settings.embed_threads,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )


def ingest_options(settings: Settings) -> IngestOptions:
    """Chunk size, token counter and file size limit from the settings."""
    from ingest.tokens import estimate_tokens, model_token_counter

    counter = model_token_counter() if settings.chunk_token_count == "model" else estimate_tokens
    return IngestOptions(max_tokens=settings.chunk_max_tokens, count_tokens=counter, max_bytes=settings.ingest_max_bytes)


def source_files(settings: Settings) -> list[Path]:
    """The files an ingest reads (for a progress bar)."""
    config = load_sources(settings.sources, finlex_dir=settings.finlex_dir, mirror_dir=settings.finlex_mirror_dir)
    return corpus_files(config)


def ingest(settings: Settings, on_file: Callable[[Path], None] | None = None) -> IngestReport:
    """Read every source the settings' manifest names; failures are collected, not raised."""
    config = load_sources(settings.sources, finlex_dir=settings.finlex_dir, mirror_dir=settings.finlex_mirror_dir)
    return ingest_corpus(config, on_file=on_file, options=ingest_options(settings))


def build(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    report: IngestReport | None = None,
    index_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> BuildResult:
    """Ingest the corpus (unless a report is given) and write the index."""
    report = report if report is not None else ingest(settings)
    chunks = [c for d in report.documents for c in d.chunks]
    embedder = embedder or make_embedder(settings)
    target = Path(index_dir or settings.index_dir)
    cache = EmbeddingCache(settings.cache_path)
    try:
        manifest = build_index(chunks, embedder, target, cache=cache, progress=progress)
    finally:
        cache.close()
    return BuildResult(report=report, manifest=manifest, index_dir=target)


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> Searcher:
    """Load the index named by the settings with a matching embedder."""
    return Searcher.open(settings.index_dir, embedder or make_embedder(settings))
