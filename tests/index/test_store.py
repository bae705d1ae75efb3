"""Index build, load, filters, the embedding cache and the refusal of incompatible indexes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedding.cache import EmbeddingCache
from index.errors import CorruptIndexError, IncompatibleIndexError, IndexNotFoundError
from index.store import VectorIndex
from retrieval.search import Searcher
from retrieval.types import Filters
from tests.fakes import HashingEmbedder
from tests.indexes import build_index, generation_dir
from tests.samples import STORE_CHUNKS as CHUNKS
from tests.samples import store_chunk as _chunk


def test_build_then_load_round_trips_chunks_and_manifest(tmp_path: Path):
    embedder = HashingEmbedder()
    manifest = build_index(CHUNKS, embedder, tmp_path / "idx")
    assert manifest.chunk_count == 5 and manifest.model_id == "test/hashing-64" and manifest.dim == 64
    on_disk = json.loads((generation_dir(tmp_path / "idx") / "manifest.json").read_text())
    assert on_disk["format_version"] == 1 and on_disk["chunk_count"] == 5
    loaded = VectorIndex.load(tmp_path / "idx", model_id=embedder.model_id)
    assert [c.id for c in loaded.chunks] == ["a", "b", "c", "d", "e"]
    assert loaded.get("c") == CHUNKS[2]


def test_search_orders_by_similarity_and_applies_filters_and_offset(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index(CHUNKS, embedder, tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", embedder)
    assert [h.chunk.id for h in searcher.search("koulutussopimus", k=2, mode="dense").hits] == ["a", "e"]
    assert [h.chunk.id for h in searcher.search("koulutussopimus", k=2, filters=Filters(kind="ohje")).hits] == ["e"]
    assert [h.chunk.id for h in searcher.search("koulutussopimus", k=5, filters=Filters(lang="sv")).hits] == ["d"]
    only_tuva = searcher.search("eronneeksi", k=5, filters=Filters(statute="1215/2020")).hits
    assert [h.chunk.id for h in only_tuva] == ["c"]
    page2 = searcher.search("koulutussopimus", k=1, offset=1, mode="dense").hits
    assert [h.chunk.id for h in page2] == ["e"]
    assert [h.rank for h in searcher.search("koulutussopimus", k=3).hits] == [1, 2, 3]


def test_index_built_with_another_model_is_refused(tmp_path: Path):
    build_index(CHUNKS, HashingEmbedder(model_id="test/other-model"), tmp_path / "idx")
    with pytest.raises(IncompatibleIndexError, match="built with model 'test/other-model'.*'test/hashing-64'"):
        Searcher.open(tmp_path / "idx", HashingEmbedder())


def test_index_of_another_format_version_is_refused(tmp_path: Path):
    build_index(CHUNKS, HashingEmbedder(), tmp_path / "idx")
    manifest = generation_dir(tmp_path / "idx") / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 99
    manifest.write_text(json.dumps(data))
    with pytest.raises(IncompatibleIndexError, match="format version 99"):
        VectorIndex.load(tmp_path / "idx")


def test_missing_and_damaged_indexes_get_clear_errors(tmp_path: Path):
    with pytest.raises(IndexNotFoundError, match="no index at"):
        VectorIndex.load(tmp_path / "nothing")
    build_index(CHUNKS, HashingEmbedder(), tmp_path / "idx")
    (generation_dir(tmp_path / "idx") / "chunks.jsonl").write_text("")
    with pytest.raises(CorruptIndexError, match="inconsistent"):
        VectorIndex.load(tmp_path / "idx")


def test_rebuild_replaces_the_index_whole_and_leaves_no_staging_dirs(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index(CHUNKS, embedder, tmp_path / "idx")
    build_index(CHUNKS[:2], embedder, tmp_path / "idx")
    assert len(VectorIndex.load(tmp_path / "idx")) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    assert not [p.name for p in (tmp_path / "idx").iterdir() if p.name.startswith(".")]


def test_failed_build_keeps_the_previous_index(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index(CHUNKS, embedder, tmp_path / "idx")
    with pytest.raises(ValueError, match="duplicate chunk ids"):
        build_index([CHUNKS[0], CHUNKS[0]], embedder, tmp_path / "idx")
    assert len(VectorIndex.load(tmp_path / "idx")) == 5


def test_cache_means_nothing_is_embedded_twice(tmp_path: Path):
    embedder = HashingEmbedder()
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    first = build_index(CHUNKS, embedder, tmp_path / "one", cache=cache)
    assert (first.embedded_count, embedder.passages_embedded) == (5, 5)
    changed = [*CHUNKS[:4], _chunk("e", "uusi teksti")]
    second = build_index(changed, embedder, tmp_path / "two", cache=cache)
    assert (second.embedded_count, embedder.passages_embedded) == (1, 6)
    # Vectors from the cache are the ones the model gave.
    one = VectorIndex.load(tmp_path / "one")
    two = VectorIndex.load(tmp_path / "two")
    q = embedder.embed_queries(["oppisopimus palkka"])[0]
    assert [s for _i, s in one.search(q, 4)] == [s for _i, s in two.search(q, 4)]
    cache.close()


def test_empty_corpus_builds_an_empty_index(tmp_path: Path):
    build_index([], HashingEmbedder(), tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", HashingEmbedder())
    assert searcher.search("mitä tahansa", k=5).hits == []
