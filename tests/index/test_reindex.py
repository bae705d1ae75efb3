"""Incremental re-index over generations (fast: real Finlex XML, hashing fake embedder)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from index.changes import reports_since
from index.errors import GenerationNotFoundError
from index.generations import IndexRoot, ReindexBusyError, ReindexLock
from index.store import VectorIndex, write_index_files
from lahde.service import build, reindex
from retrieval.search import Searcher
from retrieval.types import Filters
from tests.fakes import HashingEmbedder
from tests.temp_corpus import apply_three_changes, make_corpus, settings_for


def _embedder() -> HashingEmbedder:
    # Wide enough that single rare words rarely collide in the hashed vectors.
    return HashingEmbedder(dim=1024, model_id="test/hashing-1024")


def _ids(searcher: Searcher, query: str, k: int = 3, **filters: str) -> list[str]:
    return [h.chunk.id for h in searcher.search(query, k=k, filters=Filters(**filters)).hits]


def test_three_changes_reembed_only_what_changed_and_are_reported_exactly(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    first = build(settings, embedder)
    assert (first.manifest.chunk_count, embedder.passages_embedded) == (33, 33)
    assert first.result.generation == "gen-000001"
    old = Searcher.open(settings.index_dir, embedder)
    assert _ids(old, "tällä lailla kumotaan", k=1, statute="1237/2021") == ["fi.1237-2021.s1"]

    apply_three_changes(tmp_path)
    before = embedder.passages_embedded
    outcome = reindex(settings, embedder)
    result, report = outcome.result, outcome.result.report
    # One changed section + the two sections of the added act; nothing else reaches the model.
    assert embedder.passages_embedded - before == 3
    assert result.switched and result.generation == "gen-000002" and report.previous == "gen-000001"
    assert [d["id"] for d in report.documents_added] == ["fi.1374-2019"]
    assert [d["id"] for d in report.documents_removed] == ["fi.1237-2021"]
    assert [d.id for d in report.documents_changed] == ["fi.1215-2020"]
    changed = report.documents_changed[0]
    assert [c.id for c in changed.changed] == ["fi.1215-2020.s18"]
    assert (changed.added, changed.removed, changed.unchanged_count) == ((), (), 28)
    assert "kvanttiteleportaation" in changed.changed[0].new_text
    assert "kvanttiteleportaation" not in changed.changed[0].old_text
    assert "+Opiskelija katsotaan eronneeksi kvanttiteleportaation" in changed.changed[0].diff()
    assert report.chunks == {"added": 2, "changed": 1, "unchanged": 30, "removed": 2}
    assert report.documents_unchanged == 1 and report.embedded == 3

    new = Searcher.open(settings.index_dir, embedder)
    assert len(new.index) == 33 and new.index.path.name == "gen-000002"
    assert _ids(new, "kvanttiteleportaation", k=1) == ["fi.1215-2020.s18"]
    assert _ids(new, "tällä lailla kumotaan", statute="1237/2021") == []  # removed: no stale hits
    assert _ids(new, "julkisuus ja tietojensaantioikeus", k=1) == ["fi.1374-2019.s108"]
    assert len({c.id for c in new.index.chunks}) == 33  # no duplicates
    # The old generation is still whole on disk (kept for rollback) and still answers as before.
    assert _ids(old, "tällä lailla kumotaan", k=1, statute="1237/2021") == ["fi.1237-2021.s1"]

    stored = json.loads((settings.index_dir / "gen-000002" / "changes.json").read_text())
    assert stored["documents"]["changed"][0]["changed"][0]["id"] == "fi.1215-2020.s18"
    assert [r.generation for r in reports_since(settings.index_dir)] == ["gen-000002"]
    assert [r.generation for r in reports_since(settings.index_dir, "0")] == ["gen-000001", "gen-000002"]


def test_reindex_without_changes_embeds_nothing_and_keeps_the_generation(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    build(settings, embedder)
    calls = embedder.passage_calls
    outcome = reindex(settings, embedder)
    assert not outcome.result.switched and outcome.result.generation == "gen-000001"
    assert outcome.result.report.generation is None and not outcome.result.report.has_changes
    assert embedder.passage_calls == calls
    assert IndexRoot(settings.index_dir).generations() == ["gen-000001"]
    # --full writes a new generation anyway, still without embedding (the cache has every text).
    full = reindex(settings, embedder, full=True)
    assert full.result.generation == "gen-000002" and embedder.passage_calls == calls


def test_old_generations_are_pruned_to_keep(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path, keep_generations=2)
    embedder = _embedder()
    for _ in range(4):
        build(settings, embedder)
    root = IndexRoot(settings.index_dir)
    assert root.generations() == ["gen-000003", "gen-000004"] and root.current_name() == "gen-000004"


def test_vectors_are_reused_from_the_previous_generation_when_the_cache_is_lost(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    build(settings, embedder)
    IndexRoot(settings.index_dir).cache_path.unlink()
    apply_three_changes(tmp_path)
    before = embedder.passages_embedded
    reindex(settings, embedder)
    assert embedder.passages_embedded - before == 3


def test_a_second_reindex_is_refused_while_one_holds_the_lock_and_waits_with_wait(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    build(settings, embedder)
    holder = ReindexLock(settings.index_dir).acquire()
    with pytest.raises(ReindexBusyError, match=r"another re-index of .* is running \(process \d+\)"):
        reindex(settings, embedder, full=True)
    threading.Timer(0.3, holder.release).start()
    started = time.monotonic()
    outcome = reindex(settings, embedder, full=True, wait=True)
    assert time.monotonic() - started >= 0.25 and outcome.result.generation == "gen-000002"


def test_recovery_removes_partial_and_unswitched_generations(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    build(settings, embedder)
    root = settings.index_dir
    (root / ".building-gen-000002-999").mkdir()
    (root / ".building-gen-000002-999" / "vectors.faiss").write_bytes(b"half")
    (root / "gen-000003").mkdir()  # renamed into place, but the writer died before the switch
    (root / ".CURRENT.999.tmp").write_text("gen-000003")
    outcome = reindex(settings, embedder, full=True)
    assert sorted(outcome.result.recovered) == [".CURRENT.999.tmp", ".building-gen-000002-999", "gen-000003"]
    # Numbers of generations that never served are free again.
    assert outcome.result.generation == "gen-000002"
    assert sorted(p.name for p in root.iterdir()) == [
        "CURRENT",
        "embeddings.sqlite",
        "gen-000001",
        "gen-000002",
        "reindex.lock",
    ]


def test_a_source_that_fails_to_read_keeps_its_previous_chunks(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    build(settings, embedder)
    broken = tmp_path / "finlex" / "fi" / "asd20211237.xml"
    broken.write_text("<broken", encoding="utf-8")
    outcome = reindex(settings, embedder)
    report = outcome.result.report
    assert [e.path for e in outcome.ingest.errors] == [str(broken)]
    assert report.documents_failed == [
        {"path": str(broken), "error": outcome.ingest.errors[0].reason, "kept": "fi.1237-2021"}
    ]
    assert report.documents_removed == [] and not report.has_changes
    index = VectorIndex.load(settings.index_dir)
    assert index.get("fi.1237-2021.s1") is not None and len(index) == 33


def test_a_legacy_single_directory_index_is_migrated(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    from lahde.service import ingest

    chunks = [c for d in ingest(settings).documents for c in d.chunks]
    # What an index written before generations existed looks like: the files in the root itself.
    settings.index_dir.mkdir(parents=True)
    vectors = embedder.embed_passages([c.embed_text for c in chunks])
    write_index_files(
        settings.index_dir,
        chunks,
        vectors,
        model_id=embedder.model_id,
        backend=embedder.backend,
        embedded=len(chunks),
        started=0.0,
    )
    apply_three_changes(tmp_path)
    outcome = reindex(settings, embedder)
    report = outcome.result.report
    assert report.previous == "legacy" and [d.id for d in report.documents_changed] == ["fi.1215-2020"]
    assert sorted(p.name for p in settings.index_dir.iterdir()) == [
        "CURRENT",
        "embeddings.sqlite",
        "gen-000001",
        "reindex.lock",
    ]
    assert len(VectorIndex.load(settings.index_dir)) == 33


def test_auto_index_type_switches_to_hnsw_by_size_and_filters_still_work(tmp_path: Path):
    make_corpus(tmp_path)
    embedder = _embedder()
    small = build(settings_for(tmp_path, hnsw_threshold=1000), embedder)
    assert small.manifest.index_type == "flat"
    big = build(settings_for(tmp_path, hnsw_threshold=10), embedder)
    assert big.manifest.index_type == "hnsw"
    searcher = Searcher.open(tmp_path / "index", embedder)
    assert _ids(searcher, "tällä lailla kumotaan", k=1, statute="1237/2021") == ["fi.1237-2021.s1"]
    assert big.result.report.stats["vector_memory_bytes"] > 33 * 1024 * 4


def test_rollback_serves_an_older_generation_and_recovery_keeps_the_newer_ones(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = _embedder()
    build(settings, embedder)
    apply_three_changes(tmp_path)
    reindex(settings, embedder)
    root = IndexRoot(settings.index_dir)
    assert root.rollback() == "gen-000001"
    assert VectorIndex.load(settings.index_dir).get("fi.1237-2021.s1") is not None
    # The rolled-back-from generation served once: recovery must not take it for an unfinished one.
    outcome = reindex(settings, embedder)
    assert outcome.result.recovered == [] and outcome.result.generation == "gen-000003"
    assert root.generations() == ["gen-000001", "gen-000002", "gen-000003"]
    assert root.rollback("2") == "gen-000002"
    with pytest.raises(GenerationNotFoundError, match="generation gen-000009 not found"):
        root.rollback("9")
