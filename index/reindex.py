"""One code path for full builds and incremental re-indexes: compare, embed what changed, publish a generation.

``reindex()`` takes the lock, cleans up after a killed predecessor, classifies documents and chunks
against the current generation, embeds only texts the embedding cache lacks, writes every file of
the new generation into a hidden staging directory, renames it into place and switches the pointer.
Until that switch the old generation stays current and whole, whatever happens to this process.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from embedding.cache import EmbeddingCache, embed_with_cache
from embedding.types import Embedder
from ingest.consolidation_model import StatuteHistory
from ingest.errors import IngestError
from ingest.models import BankQuestion, Chunk, Document, text_hash, today_iso
from ingest.questions import bank_hash

from .ann import choose_index_type, reconstruct_all
from .bank import PREFIXES, read_bank_meta
from .changes import CHANGES, DOCUMENTS, compare, documents_json, read_documents
from .errors import IndexError_
from .files import write_file_durably
from .generations import IndexRoot, ReindexLock, checkpoint
from .lexical import LEXICAL_DIR
from .store import CHUNKS, MANIFEST, VECTORS, VectorIndex, check_unique_ids, read_manifest, write_index_files
from .types import DocumentRecord, ReindexOptions, ReindexResult
from .wordings import changed_wordings, write_wordings

logger = logging.getLogger(__name__)

#: progress(stage, done, total): stages are "comparing", "embedding", "writing", "done".
Progress = Callable[[str, int, int], None]


@dataclass
class _Previous:
    name: str | None
    path: Path | None
    records: list[DocumentRecord]
    chunks: list[Chunk]
    index: VectorIndex | None


def _records_from_chunks(chunks: Sequence[Chunk]) -> list[DocumentRecord]:
    """Document records rebuilt from chunks alone (indexes written before documents.json existed)."""
    # No source path is known for them, so none can match a failed source's path.
    return [replace(DocumentRecord.of(doc), source_path="") for doc in documents_of(chunks)]


def _load_previous(root: IndexRoot) -> _Previous:
    current = root.current_dir()
    legacy = current is None and (root.path / MANIFEST).is_file()
    path = current if current is not None else (root.path if legacy else None)
    if path is None:
        return _Previous(None, None, [], [], None)
    try:
        index = VectorIndex.load(path)
    except IndexError_ as exc:
        # A damaged current generation must not block the run that replaces it.
        logger.warning("previous index %s unreadable (%s); building from scratch", path, exc)
        return _Previous(current.name if current else None, None, [], [], None)
    records = read_documents(path) or _records_from_chunks(index.chunks)
    return _Previous(current.name if current else "legacy", path, records, index.chunks, index)


def _seed_cache(cache: EmbeddingCache, prev: _Previous, model_id: str, wanted: set[str]) -> int:
    """Copy vectors of still-wanted texts from the previous generation into the cache when it lacks them."""
    if prev.index is None or prev.index.manifest.model_id != model_id:
        return 0
    old_hashes = [c.content_hash for c in prev.chunks]
    needed = [h for h in dict.fromkeys(old_hashes) if h in wanted]
    missing = set(needed) - set(cache.get_many(model_id, needed))
    if not missing:
        return 0
    vectors = reconstruct_all(prev.index._index)
    if vectors is None:
        return 0
    items = {h: vectors[i] for i, h in enumerate(old_hashes) if h in missing}
    cache.put_many(model_id, list(items.items()))
    logger.info("reused %d vectors from generation %s", len(items), prev.name)
    return len(items)


def _carry_over_failed(
    failed: Sequence[IngestError], docs: list[Document], prev: _Previous, report_failed: list[dict]
) -> None:
    """A source that fails to read keeps its chunks from the previous generation: nothing indexed is lost."""
    by_path = {r.source_path: r for r in prev.records if r.source_path}
    old_chunks = {c.id: c for c in prev.chunks}
    present = {d.id for d in docs}
    for err in failed:
        record = by_path.get(err.path)
        kept = None
        if record is not None and record.id not in present:
            chunks = tuple(old_chunks[cid] for cid in record.chunk_ids if cid in old_chunks)
            docs.append(Document(record.id, record.title, record.kind, record.lang, record.source_path, chunks=chunks))
            kept = record.id
        report_failed.append({"path": err.path, "error": err.reason, "kept": kept})


def _dir_sizes(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(path.iterdir()) if p.is_file()}


def reindex(
    root: str | Path,
    documents: Sequence[Document],
    embedder: Embedder,
    *,
    failed: Sequence[IngestError] = (),
    cache: EmbeddingCache | None = None,
    options: ReindexOptions = ReindexOptions(),
    progress: Progress | None = None,
    lock: ReindexLock | None = None,
    stats: dict | None = None,
    bank: Sequence[BankQuestion] = (),
    bank_prefix: str = "query",
    wordings: Sequence[StatuteHistory] = (),
    wordings_on: str | None = None,
) -> ReindexResult:
    """Bring the index at ``root`` up to date with ``documents``; see the module docstring.

    ``stats`` are stored in the new generation's change report (the caller's record of its inputs).
    ``bank`` is the question bank tied to these documents' chunks (index.bank); a changed bank
    is a change like a changed document. ``wordings`` are the amended sections' histories
    (ingest.consolidation) and ``wordings_on`` the date whose wording the chunks hold, written with
    the generation (index.wordings).
    """
    if bank_prefix not in PREFIXES:
        raise ValueError(f"bank_prefix must be one of {PREFIXES}, got {bank_prefix!r}")
    started = time.perf_counter()
    index_root = IndexRoot(root)
    own_lock = lock is None
    lock = lock or ReindexLock(index_root.path).acquire(wait=options.wait)
    own_cache = cache is None
    cache = cache or EmbeddingCache(index_root.cache_path)
    report_progress = progress or (lambda stage, done, total: None)
    try:
        checkpoint("locked")
        recovered = index_root.recover()
        report_progress("comparing", 0, 0)
        prev = _load_previous(index_root)
        docs = list(documents)
        failed_info: list[dict] = []
        _carry_over_failed(failed, docs, prev, failed_info)
        report = compare(prev.records, prev.chunks, docs)
        report.documents_failed = failed_info
        report.previous = prev.name
        chunks = [c for d in docs for c in d.chunks]
        check_unique_ids(chunks)
        index_type = choose_index_type(len(chunks), options.index_type, options.hnsw_threshold)
        if (
            not options.full
            and prev.index is not None
            and prev.name != "legacy"
            and not report.has_changes
            and prev.index.manifest.model_id == embedder.model_id
            and prev.index.manifest.index_type == index_type
            and _same_bank(prev.path, bank, bank_prefix)
        ):
            report.generation = None
            report_progress("done", 0, 0)
            logger.info("no changes; generation %s stays current", prev.name)
            assert prev.path is not None  # a loaded previous index has a path
            return ReindexResult(
                report,
                prev.index.manifest,
                prev.path,
                False,
                [],
                recovered,
                round(time.perf_counter() - started, 3),
            )

        texts = [c.embed_text for c in chunks]
        if not options.full:
            _seed_cache(cache, prev, embedder.model_id, {text_hash(t) for t in texts})
        done = 0

        def on_embedded(n: int) -> None:
            nonlocal done
            done += n
            report_progress("embedding", done, len(texts))
            if done < len(texts):
                checkpoint("embedding")

        t_embed = time.perf_counter()
        vectors, embedded = embed_with_cache(
            texts, embedder.model_id, lambda: embedder.dim, embedder.embed_passages, cache, progress=on_embedded
        )
        bank_vectors, bank_embedded = _embed_bank(bank, embedder, cache, bank_prefix)
        embed_seconds = time.perf_counter() - t_embed
        checkpoint("embedded")
        report_progress("writing", 0, 1)

        number = index_root.next_number()
        staging = index_root.staging_dir(number)
        try:
            t_write = time.perf_counter()
            manifest = write_index_files(
                staging,
                chunks,
                vectors,
                model_id=embedder.model_id,
                backend=embedder.backend,
                embedded=embedded,
                started=started,
                index_type=index_type,
                bank=bank,
                bank_vectors=bank_vectors,
                bank_prefix=bank_prefix,
            )
            checkpoint("writing")
            write_file_durably(staging / DOCUMENTS, documents_json(DocumentRecord.of(d) for d in docs))
            write_wordings(staging, wordings, wordings_on)
            on = wordings_on or today_iso()
            report.wordings_changed = changed_wordings(prev.path, wordings, on)
            report_progress("writing", 1, 1)
            report.generation = f"gen-{number:06d}"
            report.built_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            report.embedded = embedded
            sizes = _dir_sizes(staging)
            report.stats = {
                "chunk_count": len(chunks),
                "index_type": manifest.index_type,
                "model_id": embedder.model_id,
                "embed_seconds": round(embed_seconds, 3),
                "write_seconds": round(time.perf_counter() - t_write, 3),
                "total_seconds": round(time.perf_counter() - started, 3),
                "file_bytes": sizes,
                # FAISS keeps the whole vectors file in RAM, chunks.jsonl becomes Python objects
                # (a few times its size): this is the floor of what a server holds per generation.
                "vector_memory_bytes": sizes.get(VECTORS, 0),
                "full": options.full,
                "bank": {"questions": len(bank), "embedded": bank_embedded, "prefix": bank_prefix},
                **(stats or {}),
            }
            write_file_durably(
                staging / CHANGES, json.dumps(report.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
            )
            checkpoint("staged")
            final = index_root.publish(staging, number)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        checkpoint("switched")
        if prev.name == "legacy":
            for name in (MANIFEST, VECTORS, CHUNKS):
                (index_root.path / name).unlink(missing_ok=True)
            shutil.rmtree(index_root.path / LEXICAL_DIR, ignore_errors=True)
        pruned = index_root.prune(options.keep)
        report_progress("done", len(texts), len(texts))
        logger.info("generation %s: %d chunks (%d embedded), %s", final.name, len(chunks), embedded, report.chunks)
        return ReindexResult(
            report, read_manifest(final), final, True, pruned, recovered, round(time.perf_counter() - started, 3)
        )
    finally:
        if own_cache:
            cache.close()
        if own_lock:
            lock.release()


def _same_bank(path: Path | None, bank: Sequence[BankQuestion], prefix: str) -> bool:
    """Whether the generation at ``path`` holds this bank, embedded the same way (no bank on both sides counts)."""
    meta = read_bank_meta(path) if path is not None else None
    if meta is None:
        return not bank
    return bool(bank) and meta.get("hash") == bank_hash(bank) and meta.get("prefix") == prefix


def _embed_bank(
    bank: Sequence[BankQuestion], embedder: Embedder, cache: EmbeddingCache, prefix: str
) -> tuple[np.ndarray, int]:
    """Vectors of the bank's questions (cached like passages; "query"-prefixed ones under their own key)."""
    if not bank:
        return np.zeros((0, 0), dtype=np.float32), 0
    if prefix == "query":
        return embed_with_cache(
            [q.text for q in bank], f"{embedder.model_id}#query", lambda: embedder.dim, embedder.embed_queries, cache
        )
    return embed_with_cache(
        [q.text for q in bank], embedder.model_id, lambda: embedder.dim, embedder.embed_passages, cache
    )


def documents_of(chunks: Sequence[Chunk]) -> list[Document]:
    """Chunks grouped into their documents (by citation doc_id), in first-seen order."""
    docs: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        docs.setdefault(chunk.citation.doc_id, []).append(chunk)
    out = []
    for doc_id, members in docs.items():
        c = members[0].citation
        out.append(Document(doc_id, c.doc_title, c.kind, c.lang, f"chunks:{doc_id}", chunks=tuple(members)))
    return out


def build_from_chunks(
    root: str | Path,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    *,
    cache: EmbeddingCache | None = None,
    bank: Sequence[BankQuestion] = (),
    bank_prefix: str = "query",
    wordings: Sequence[StatuteHistory] = (),
    wordings_on: str | None = None,
) -> ReindexResult:
    """A full build of plain chunks (benchmarks, tests) through :func:`reindex`, the one write path.

    Chunk order is kept within a document, as for ingested documents, so list each document's
    chunks together. Without a cache the root's own embeddings.sqlite is used.
    """
    return reindex(
        root,
        documents_of(chunks),
        embedder,
        cache=cache,
        options=ReindexOptions(full=True),
        bank=bank,
        bank_prefix=bank_prefix,
    )
