"""The wiring shared by the CLI and the HTTP API: settings → embedder, corpus → index generation, index → searcher."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from embedding.cache import EmbeddingCache
from embedding.embedders import LazyEmbedder, create_embedder, expected_model_id, model_token_counter
from embedding.types import Embedder
from index.ann import choose_index_type
from index.changes import read_report
from index.errors import IndexError_
from index.generations import IndexRoot, ReindexLock
from index.reindex import Progress
from index.reindex import reindex as run_reindex
from index.store import read_manifest
from index.types import ChangeReport, Manifest, ReindexOptions, ReindexResult
from ingest.consolidation_model import StatuteHistory
from ingest.corpus import (
    IngestOptions,
    IngestReport,
    consolidation_of,
    corpus_files,
    ingest_corpus,
    inputs_fingerprint,
    load_sources,
)
from ingest.errors import IngestError, SkippedSource, SourceFormatError
from ingest.manifest import SourcesConfig
from ingest.models import Document
from ingest.questions import DEFAULT_BANK, BankReport, attach_bank, bank_files, load_bank
from ingest.tokens import estimate_tokens
from retrieval.glossary import DEFAULT_GLOSSARY
from retrieval.search import RetrievalConfig, Searcher
from search_api.app import create_app
from search_api.server import HeaderTimeoutH11Protocol

from . import ukk_service
from .settings import Settings

logger = logging.getLogger(__name__)


def embedding_cache_path(settings: Settings, index_dir: Path | None = None) -> Path:
    """The embedding cache: the configured path, else embeddings.sqlite in the index directory."""
    if settings.cache_path is not None:
        return settings.cache_path
    return IndexRoot(index_dir or settings.index_dir).cache_path


def make_embedder(settings: Settings) -> Embedder:
    """Create the embedder the settings name (loads the model)."""
    return create_embedder(
        settings.backend,
        settings.model,
        num_threads=settings.embed_threads,
        variant=settings.onnx_variant,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        adapter=settings.adapter,
    )


def lazy_embedder(settings: Settings, factory: Callable[[], Embedder] | None = None) -> LazyEmbedder:
    """The settings' embedder, made only when something needs embedding."""
    model_id = expected_model_id(settings.backend, settings.model, settings.onnx_variant, settings.adapter)
    return LazyEmbedder(factory or (lambda: make_embedder(settings)), model_id)


def sources_config(settings: Settings) -> SourcesConfig:
    """The sources manifest the settings name, read once per build."""
    return load_sources(
        settings.sources,
        finlex_dir=settings.finlex_dir,
        mirror_dir=settings.finlex_mirror_dir,
        extra_roots=settings.source_roots,
    )


def ingest_options(settings: Settings) -> IngestOptions:
    """Chunk size, token counter and file size limit from the settings."""
    counter = model_token_counter() if settings.chunk_token_count == "model" else estimate_tokens
    return IngestOptions(
        max_tokens=settings.chunk_max_tokens,
        count_tokens=counter,
        max_bytes=settings.ingest_max_bytes,
        consolidate=settings.consolidate,
        in_force_on=settings.in_force_on.isoformat() if settings.in_force_on else None,
    )


def source_files(config: SourcesConfig) -> list[Path]:
    """The files an ingest reads (for a progress bar)."""
    return corpus_files(config)


def ingest(
    settings: Settings, config: SourcesConfig | None = None, on_file: Callable[[Path], None] | None = None
) -> IngestReport:
    """Read every source the manifest names; failures are collected, not raised."""
    config = config if config is not None else sources_config(settings)
    return ingest_corpus(config, on_file=on_file, options=ingest_options(settings))


def consolidation(settings: Settings) -> tuple[list[StatuteHistory], list[IngestError]]:
    """The amended statutes' sections over time, read from the sources (no index, no model)."""
    return consolidation_of(sources_config(settings), settings.ingest_max_bytes)


def bank_dir(settings: Settings) -> Path | None:
    """The question bank's folder, or None when the settings turn the bank off."""
    if not settings.use_bank:
        return None
    return settings.question_bank or DEFAULT_BANK


def fingerprint(settings: Settings, config: SourcesConfig) -> str:
    """The hash of what an ingest with these settings would read (ingest.corpus.inputs_fingerprint)."""
    options = IngestOptions(
        max_tokens=settings.chunk_max_tokens,
        max_bytes=settings.ingest_max_bytes,
        consolidate=settings.consolidate,
        in_force_on=settings.in_force_on.isoformat() if settings.in_force_on else None,
    )
    folder = bank_dir(settings)
    files = bank_files(folder) if folder is not None else []
    how = f"bank={folder is not None}|{settings.bank_prefix}|ukk={ukk_service.bank_stamp(settings)}"
    return inputs_fingerprint(config, Path(settings.sources), options, settings.chunk_token_count, files, how)


def question_bank(settings: Settings, documents: list[Document]) -> BankReport:
    """The question bank tied to the ingested documents' chunks; raises QuestionBankError when it does not match."""
    folder = bank_dir(settings)
    if folder is None:
        return BankReport((), 0)
    report = attach_bank(load_bank(folder), documents)
    answered = ukk_service.bank_from_ukk(settings, documents)
    if answered:
        logger.info("question bank: %d questions from published UKK answers", len(answered))
    return BankReport(report.questions + tuple(answered), report.skipped)


@dataclass
class ReindexOutcome:
    """What `lahde build`, `lahde reindex` or the admin endpoint did."""

    result: ReindexResult
    index_dir: Path
    documents: int  # source documents read (or, when the inputs were unchanged, in the current generation)
    errors: list[IngestError] = field(default_factory=list)
    skipped: list[IngestError] = field(default_factory=list)
    ingest: IngestReport | None = None  # None when the inputs were unchanged and nothing was read
    bank: BankReport | None = None  # the question bank tied to the chunks (None when nothing was read)
    ukk: list[dict[str, Any]] = field(default_factory=list)  # UKK entries the new generation made tarkistettava

    @property
    def manifest(self) -> Manifest:
        """The manifest of the generation now current."""
        return self.result.manifest

    def summary(self) -> str:
        """``ok 120, skipped 1, failed 2``."""
        return f"ok {self.documents}, skipped {len(self.skipped)}, failed {len(self.errors)}"

    def to_dict(self) -> dict[str, Any]:
        """What the admin endpoint reports."""
        return {
            "generation": self.result.generation,
            "switched": self.result.switched,
            "seconds": self.result.seconds,
            "documents": self.documents,
            "failed": [str(e) for e in self.errors],
            "changes": self.result.report.to_dict(),
            "ukk_review": self.ukk,
        }


def _ingest_summary(report: IngestReport) -> dict[str, Any]:
    return {
        "documents": len(report.documents),
        "failed": [[e.path, e.reason] for e in report.errors],
        "skipped": [[e.path, e.reason] for e in report.skipped],
    }


def _unchanged(settings: Settings, target: Path, inputs: str, model_id: str) -> ReindexOutcome | None:
    """The current generation, when it was built from exactly these inputs with this model and index type."""
    current = IndexRoot(target).current_dir()
    if current is None:
        return None
    try:
        stored = read_report(current)
        manifest = read_manifest(current)
    except (IndexError_, OSError, ValueError, KeyError):
        return None
    if stored is None or stored.stats.get("inputs") != inputs:
        return None
    index_type = choose_index_type(manifest.chunk_count, settings.index_type, settings.hnsw_threshold)
    if manifest.model_id != model_id:
        return None
    if manifest.index_type != index_type:
        return None
    read = stored.stats.get("ingest", {})
    report = ChangeReport(generation=None, previous=current.name, documents_unchanged=int(read.get("documents", 0)))
    report.chunks = {"added": 0, "changed": 0, "unchanged": manifest.chunk_count, "removed": 0}
    report.documents_failed = stored.documents_failed
    result = ReindexResult(report, manifest, current, switched=False)
    return ReindexOutcome(
        result=result,
        index_dir=target,
        documents=int(read.get("documents", 0)),
        errors=[SourceFormatError(p, r) for p, r in read.get("failed", [])],
        skipped=[SkippedSource(p, r) for p, r in read.get("skipped", [])],
    )


def reindex(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    config: SourcesConfig | None = None,
    report: IngestReport | None = None,
    inputs: str | None = None,
    index_dir: Path | None = None,
    full: bool = False,
    wait: bool = False,
    progress: Progress | None = None,
    lock: ReindexLock | None = None,
) -> ReindexOutcome:
    """The one re-index path shared by `lahde build`, `lahde reindex`, the admin endpoint and the tests.

    When the sources, the chunking and the ingest code are exactly as the current generation was
    built from (``fingerprint``), nothing is read, no model is loaded and the generation stays.
    A caller that ingested already passes its ``report`` with the ``inputs`` fingerprint it took
    *before* reading; without one nothing is recorded (a file changed in between must not pass
    for unchanged next time).
    """
    started = time.perf_counter()
    target = Path(index_dir or settings.index_dir)
    if lock is None:
        # Refuse a second run before spending time on ingestion and the model.
        lock = ReindexLock(target).acquire(wait=wait)
    try:
        config = config if config is not None else sources_config(settings)
        embedder = embedder or lazy_embedder(settings)
        if report is None:
            inputs = fingerprint(settings, config)  # before reading, for the same reason
            if not full:
                # A lazy embedder tells its model id without loading the model.
                same = _unchanged(settings, target, inputs, embedder.model_id)
                if same is not None:
                    same.result.seconds = round(time.perf_counter() - started, 3)
                    logger.info("inputs unchanged; generation %s stays current", same.result.current_dir.name)
                    return same
            report = ingest(settings, config)
        bank = question_bank(settings, report.documents)
        cache = EmbeddingCache(embedding_cache_path(settings, target))
        try:
            options = ReindexOptions(
                full=full,
                keep=settings.keep_generations,
                index_type=settings.index_type,
                hnsw_threshold=settings.hnsw_threshold,
            )
            result = run_reindex(
                target,
                report.documents,
                embedder,
                failed=report.errors,
                cache=cache,
                options=options,
                progress=progress,
                lock=lock,
                stats={"inputs": inputs, "ingest": _ingest_summary(report)} if inputs else {},
                bank=bank.questions,
                bank_prefix=settings.bank_prefix,
                wordings=report.consolidation,
                wordings_on=report.in_force_on,
            )
        finally:
            cache.close()
        # Still under the lock: the check reads the generation just switched to.
        findings = ukk_service.review_generation(settings, result.current_dir) if result.switched else []
    finally:
        lock.release()
    return ReindexOutcome(
        result=result,
        index_dir=target,
        documents=len(report.documents),
        errors=list(report.errors),
        skipped=list(report.skipped),
        ingest=report,
        bank=bank,
        ukk=[f.to_dict() for f in findings],
    )


def build(settings: Settings, embedder: Embedder | None = None, **kwargs: Any) -> ReindexOutcome:
    """A full build: ingest and write a new generation even when nothing changed."""
    return reindex(settings, embedder, full=True, **kwargs)


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> Searcher:
    """Load the index named by the settings (its current generation) with a matching embedder."""
    return load_searcher(Path(settings.index_dir), embedder or make_embedder(settings), settings)


def load_searcher(index_dir: Path, embedder: Embedder, settings: Settings | None = None) -> Searcher:
    """Load one generation for serving; the server's hot reload calls this for each new generation."""
    settings = settings or Settings()
    return Searcher.open(
        index_dir,
        embedder,
        glossary_path=settings.glossary or DEFAULT_GLOSSARY,
        config=RetrievalConfig(
            glossary_weight=settings.glossary_weight,
            dense_glossary=settings.glossary_dense,
            use_bank=settings.use_bank,
            bank_field_weight=settings.bank_field_weight,
            bank_dense_margin=settings.bank_dense_margin,
        ),
    )


@dataclass
class Wiring:
    """The API's ``Services``: how it loads indexes, makes embedders and re-indexes (search_api.deps)."""

    embedder_factory: Callable[[Settings], Embedder] = make_embedder

    def open_searcher(self, settings: Settings) -> Searcher:
        """Load the settings' index with a new embedder (the serving thread count)."""
        return open_searcher(settings, self.embedder_factory(settings.serving()))

    def load_searcher(self, index_dir: Path, embedder: Embedder, settings: Settings) -> Searcher:
        """Load one generation with an embedder already made."""
        return load_searcher(index_dir, embedder, settings)

    def make_embedder(self, settings: Settings) -> Embedder:
        """Make the settings' embedder for serving (hot reload; the serving thread count)."""
        return self.embedder_factory(settings.serving())

    def embedding_cache_path(self, settings: Settings) -> Path:
        """Where the embedding cache lives."""
        return embedding_cache_path(settings)

    def reindex(
        self, settings: Settings, embedder: Embedder | None, *, full: bool, progress: Progress, lock: ReindexLock
    ) -> dict[str, Any]:
        """The shared re-index, summarised for the admin status."""
        embedder = embedder or lazy_embedder(settings, lambda: self.embedder_factory(settings))
        return reindex(settings, embedder, full=full, progress=progress, lock=lock).to_dict()


def make_app(settings: Settings, wiring: Wiring | None = None) -> FastAPI:
    """The HTTP app with the real wiring: `lahde serve` runs this."""
    return create_app(settings, wiring or Wiring())


def server_config(app: Any, settings: Settings, host: str | None = None, port: int | None = None) -> uvicorn.Config:
    """How `lahde serve` runs the app: deadlines for slow clients and a cap on connections (docs/operations.md)."""
    return uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        # lahde.access replaces uvicorn's access log, which would print query strings (student details).
        access_log=False,
        http=HeaderTimeoutH11Protocol.with_timeout(settings.header_timeout),
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        # Request heads over 16 KiB are refused by h11 (431); bodies are limited by the app (413).
        h11_max_incomplete_event_size=16 * 1024,
    )
