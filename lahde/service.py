"""Glue shared by the CLI and the HTTP API: settings → embedder, corpus → index, index → searcher."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.cache import EmbeddingCache
from index.embedders import Embedder, create_embedder
from index.generations import IndexRoot, ReindexLock
from index.reindex import ComponentWriter, Progress, ReindexOptions, ReindexResult
from index.reindex import reindex as run_reindex
from index.glossary import DEFAULT_GLOSSARY
from index.search import RetrievalConfig, Searcher
from index.store import Manifest
from ingest.corpus import IngestOptions, IngestReport, corpus_files, ingest_corpus, load_sources

from .settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What `lahde build` did."""

    report: IngestReport
    manifest: Manifest
    index_dir: Path
    reindex: ReindexResult | None = None


def embedding_cache_path(settings: Settings, index_dir: Path | None = None) -> Path:
    """The embedding cache: the configured path, else embeddings.sqlite in the index directory."""
    if settings.cache_path is not None:
        return settings.cache_path
    return IndexRoot(index_dir or settings.index_dir).cache_path


def make_embedder(settings: Settings) -> Embedder:
    """Create the embedder the settings name."""
    return create_embedder(
        settings.backend,
        settings.model,
        num_threads=settings.embed_threads,
        variant=settings.onnx_variant,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )


def ingest_options(settings: Settings) -> IngestOptions:
    """Chunk size, token counter and file size limit from the settings."""
    from index.embedders import model_token_counter
    from ingest.tokens import estimate_tokens

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
    """Ingest the corpus (unless a report is given) and write a new index generation (a full build)."""
    last = 0

    def on_progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        if progress is not None and stage == "embedding":
            progress(done - last)
            last = done

    outcome = reindex(settings, embedder, report=report, index_dir=index_dir, full=True, progress=on_progress)
    return BuildResult(
        report=outcome.ingest, manifest=outcome.result.manifest, index_dir=outcome.index_dir, reindex=outcome.result
    )


@dataclass
class ReindexOutcome:
    """What `lahde reindex` (or the admin endpoint) did: the ingest report and the re-index result."""

    ingest: IngestReport
    result: ReindexResult
    index_dir: Path


def component_writers(settings: Settings) -> list[ComponentWriter]:
    """Extra per-generation index files (e.g. a lexical index) written next to vectors.faiss."""
    return []


def reindex(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    report: IngestReport | None = None,
    index_dir: Path | None = None,
    full: bool = False,
    wait: bool = False,
    progress: Progress | None = None,
    lock: ReindexLock | None = None,
) -> ReindexOutcome:
    """The one re-index path shared by `lahde build`, `lahde reindex` and the admin endpoint."""
    target = Path(index_dir or settings.index_dir)
    if lock is None:
        # Refuse a second run before spending time on ingestion and the model.
        lock = ReindexLock(target).acquire(wait=wait)
    try:
        report = report if report is not None else ingest(settings)
        embedder = embedder or make_embedder(settings)
        cache = EmbeddingCache(embedding_cache_path(settings, target))
        try:
            options = ReindexOptions(
                full=full,
                keep=settings.keep_generations,
                index_type=settings.index_type,
                hnsw_threshold=settings.hnsw_threshold,
            )
            result = run_reindex(
                target, report.documents, embedder, failed=report.errors, cache=cache, options=options,
                components=component_writers(settings), progress=progress, lock=lock,
            )
        finally:
            cache.close()
    finally:
        lock.release()
    return ReindexOutcome(ingest=report, result=result, index_dir=target)


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> Searcher:
    """Load the index named by the settings (its current generation) with a matching embedder."""
    return load_searcher(Path(settings.index_dir), embedder or make_embedder(settings), settings)


def load_searcher(index_dir: Path, embedder: Embedder, settings: Settings | None = None) -> Searcher:
    """Load one generation directory for serving; the server's hot reload calls this for each new generation.

    Components that add per-generation files (e.g. a lexical index) should load them here too, so a
    reloaded searcher is built exactly like the first one.
    """
    settings = settings or Settings()
    return Searcher.open(
        index_dir,
        embedder,
        glossary_path=settings.glossary or DEFAULT_GLOSSARY,
        config=RetrievalConfig(glossary_weight=settings.glossary_weight, dense_glossary=settings.glossary_dense),
    )
