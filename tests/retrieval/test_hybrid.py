"""Fusion, filters and the lexical index's life cycle (persisted with the index, optional on load)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from index.lexical import LEXICAL_DIR, LEXICAL_META
from ingest.corpus import ingest_files
from retrieval.fusion import fuse, rrf, weighted
from retrieval.glossary import Entry
from retrieval.search import Searcher
from retrieval.types import Filters
from tests.fakes import HashingEmbedder
from tests.indexes import build_index, generation_dir
from tests.paths import finlex_file


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([[(1, 0.9), (2, 0.5)], [(2, 3.0), (3, 1.0)]], k=60)
    assert [i for i, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1][1] == pytest.approx(1 / 61)


def test_rrf_weights_and_ties_follow_the_first_list():
    assert [i for i, _ in rrf([[(1, 1.0)], [(2, 1.0)]])] == [1, 2]
    assert [i for i, _ in rrf([[(1, 1.0)], [(2, 1.0)]], weights=[1.0, 2.0])] == [2, 1]


def test_weighted_is_a_mean_of_lists_normalised_to_unit_range():
    fused = dict(weighted([[(1, 10.0), (2, 5.0), (3, 0.0)], [(3, 0.9), (1, 0.5)]], weights=[1.0, 0.5]))
    assert fused == pytest.approx({1: (1.0 + 0.0) / 1.5, 2: 0.5 / 1.5, 3: (0.0 + 0.5) / 1.5})


def test_fuse_puts_dense_first_on_ties_and_rejects_unknown_methods():
    lexical, dense = [(7, 3.0), (8, 1.0)], [(8, 0.9), (7, 0.1)]
    assert [i for i, _ in fuse("rrf", lexical, dense)] == [8, 7]
    assert [i for i, _ in fuse("rrf", lexical, dense, lexical_weight=2.0)] == [7, 8]
    with pytest.raises(ValueError, match="unknown fusion method 'max'"):
        fuse("max", lexical, dense)


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory) -> Path:
    """Oppivelvollisuuslaki (fi, sv) and the TUVA act (fi), with the fake embedder."""
    files = [finlex_file("asd20201214.xml"), finlex_file("asd20201214.xml", "sv"), finlex_file("asd20201215.xml")]
    report = ingest_files(files)
    out = tmp_path_factory.mktemp("tiny") / "index"
    build_index([c for d in report.documents for c in d.chunks], HashingEmbedder(), out)
    return generation_dir(out)


def test_lexical_index_is_written_inside_the_index(tiny_index: Path):
    meta = json.loads((tiny_index / LEXICAL_DIR / LEXICAL_META).read_text())
    chunk_count = sum(1 for _ in open(tiny_index / "chunks.jsonl", encoding="utf-8"))
    assert meta["analyzer"] == "voikko" and meta["chunk_count"] == chunk_count == 89
    assert not list(tiny_index.parent.glob(".building-*"))


def test_lexical_finds_the_one_section_on_fines_in_either_language(tiny_index: Path):
    searcher = Searcher.open(tiny_index, HashingEmbedder())
    # "uhkasakko" is not in the text; its part "sakko" is, in 22 § ("tuomittava ... sakkoon")
    assert [h.chunk.id for h in searcher.search("uhkasakko", k=5, mode="lexical").hits] == ["fi.1214-2020.s22"]
    assert [h.chunk.id for h in searcher.search("böter", k=5, mode="lexical").hits] == ["sv.1214-2020.s22"]
    hybrid = searcher.search("uhkasakko", k=3)
    assert hybrid.hits[0].chunk.id == "fi.1214-2020.s22" and hybrid.mode == "hybrid"


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_filters_apply_in_every_mode(tiny_index: Path, mode: str):
    searcher = Searcher.open(tiny_index, HashingEmbedder())
    sv = searcher.search("läroplikt oppivelvollisuus", k=5, filters=Filters(lang="sv"), mode=mode).hits
    assert sv and all(h.chunk.citation.lang == "sv" for h in sv)
    tuva = searcher.search("oppivelvollisuus huoltaja", k=5, filters=Filters(statute="1215/2020"), mode=mode).hits
    assert tuva and all(h.chunk.citation.statute == "1215/2020" for h in tuva)
    assert searcher.search("oppivelvollisuus", k=5, filters=Filters(kind="asetus"), mode=mode).hits == []
    fined = searcher.search("sakko", k=2, filters=Filters(statute="1214/2020", lang="fi"), mode=mode).hits
    # Lexical mode lists only chunks with a matching word (one); the others fill k=2 from the filter.
    assert len(fined) == (1 if mode == "lexical" else 2) and all(h.chunk.id.startswith("fi.1214-2020.") for h in fined)
    if mode != "dense":  # the fake embedder has no notion of "sakko"; the words decide
        assert fined[0].chunk.id == "fi.1214-2020.s22"


def test_offset_pages_through_the_fused_list(tiny_index: Path):
    searcher = Searcher.open(tiny_index, HashingEmbedder())
    first = [h.chunk.id for h in searcher.search("oppivelvollisuus huoltaja", k=6).hits]
    page2 = searcher.search("oppivelvollisuus huoltaja", k=3, offset=3).hits
    assert [h.chunk.id for h in page2] == first[3:6]
    assert [h.rank for h in page2] == [4, 5, 6]


def test_unknown_mode_is_refused(tiny_index: Path):
    with pytest.raises(ValueError, match="unknown search mode 'bm25'"):
        Searcher.open(tiny_index, HashingEmbedder()).search("x", mode="bm25")


def test_index_without_lexical_part_falls_back_to_dense(tiny_index: Path, tmp_path: Path, caplog):
    old = tmp_path / "old"
    shutil.copytree(tiny_index, old)
    shutil.rmtree(old / LEXICAL_DIR)
    with caplog.at_level(logging.WARNING, logger="retrieval.search"):
        searcher = Searcher.open(old, HashingEmbedder())
    assert "searching with the dense index only" in caplog.text
    result = searcher.search("sakko", k=3)
    dense = Searcher.open(tiny_index, HashingEmbedder()).search("sakko", k=3, mode="dense")
    assert result.mode == "dense" and [h.chunk.id for h in result.hits] == [h.chunk.id for h in dense.hits]


def test_lexical_part_of_another_index_is_refused(tiny_index: Path, tmp_path: Path, caplog):
    other = tmp_path / "other"
    shutil.copytree(tiny_index, other)
    meta_path = other / LEXICAL_DIR / LEXICAL_META
    meta = json.loads(meta_path.read_text())
    meta["chunk_ids_hash"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="retrieval.search"):
        searcher = Searcher.open(other, HashingEmbedder())
    assert searcher.lexical is None and "does not match the index's chunks" in caplog.text


def test_dense_feedback_moves_the_query_towards_its_best_chunks(tmp_path: Path):
    from dataclasses import replace

    from retrieval.search import RetrievalConfig
    from tests.samples import store_chunk as _chunk

    chunks = [_chunk("x", "palkka oppisopimus"), _chunk("y", "oppisopimus koeaika"), _chunk("z", "koeaika loma")]
    embedder = HashingEmbedder()
    build_index(chunks, embedder, tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", embedder, glossary_path=None)
    plain = {h.chunk.id: h.score for h in searcher.search("palkka", k=3, mode="dense").hits}
    assert plain == {"x": pytest.approx(2**-0.5), "y": 0.0, "z": 0.0}
    # With feedback from the best chunk (x), y shares "oppisopimus" with it and rises; z shares nothing.
    searcher.config = replace(RetrievalConfig(), dense_feedback=1.0, feedback_docs=1)
    moved = searcher.search("palkka", k=3, mode="dense").hits
    assert [h.chunk.id for h in moved] == ["x", "y", "z"]
    # q' = (q + x) / |q + x| with x = (palkka + oppisopimus) / √2, so cos(q', y) = 0.5 / √(2 + √2).
    assert moved[1].score == pytest.approx(0.5 / (2 + 2**0.5) ** 0.5, abs=1e-6) and moved[2].score == 0.0


def test_settings_choose_the_glossary_and_its_weight(tiny_index: Path, tmp_path: Path, caplog):
    from lahde.service import load_searcher
    from lahde.settings import Settings

    own = tmp_path / "own.toml"
    own.write_text('[fi]\n"läksy" = "uhkasakko"\n', encoding="utf-8")
    searcher = load_searcher(tiny_index, HashingEmbedder(), Settings(glossary=own, glossary_weight=0.25))
    assert list(searcher.prepare("läksy", Filters(lang="fi")).expansion_terms) == ["uhkasakko", "uhka", "sakko"]
    assert searcher.config.glossary_weight == 0.25
    # The only section on fines (22 §) is found through the institution's own word.
    assert searcher.search("läksy", k=1, mode="lexical").hits[0].chunk.id == "fi.1214-2020.s22"
    off = load_searcher(tiny_index, HashingEmbedder(), Settings(glossary=own, glossary_weight=0))
    assert off.search("läksy", k=1, mode="lexical").hits == []
    with caplog.at_level(logging.WARNING):
        missing = load_searcher(tiny_index, HashingEmbedder(), Settings(glossary=tmp_path / "none.toml"))
    assert missing.glossary is None and "none.toml not found" in caplog.text


class _RecordingEmbedder(HashingEmbedder):
    """The fake embedder, remembering the query texts it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        self.queries += list(texts)
        return super().embed_queries(texts)


def test_dense_side_embeds_the_query_with_the_glossary_phrases(tiny_index: Path, tmp_path: Path):
    from lahde.service import load_searcher
    from lahde.settings import Settings

    own = tmp_path / "own.toml"
    own.write_text(
        '[fi]\n"läksy" = "valvonnan laiminlyönti sakkoon"\n"koso" = "koulutussopimus"\n[sv]\n"puk" = "personlig utvecklingsplan"\n',
        encoding="utf-8",
    )
    embedder = _RecordingEmbedder()
    on = load_searcher(tiny_index, embedder, Settings(glossary=own))
    # "läksy" is in no text; the words of the phrase the glossary adds are in 1214/2020 22 §, which the
    # bag-of-words fake embedder then finds on the dense side alone.
    assert on.search("läksyjä", k=1, mode="dense").hits[0].chunk.id == "fi.1214-2020.s22"
    assert embedder.queries == ["läksyjä (valvonnan laiminlyönti sakkoon)"]
    assert on.prepare("koso vai läksy").dense_text == "koso vai läksy (valvonnan laiminlyönti sakkoon, koulutussopimus)"
    assert on.prepare("vad är puk", Filters(lang="sv")).dense_text == "vad är puk (personlig utvecklingsplan)"
    assert on.prepare("puk", Filters(lang="fi")).dense_text == "puk"  # a Swedish key does not match a Finnish query
    assert on.prepare("kuka päättää").dense_text == "kuka päättää"
    quiet = _RecordingEmbedder()
    off = load_searcher(tiny_index, quiet, Settings(glossary=own, glossary_dense=False))
    off.search("läksyjä", k=1, mode="dense")
    assert quiet.queries == ["läksyjä"] and off.config.dense_glossary is False
    # Each result names the entries that expanded its query, in the modes where they did.
    used = (Entry("fi", "läksy", "valvonnan laiminlyönti sakkoon"),)
    assert on.search("läksyjä", k=1).expansions == used
    assert off.search("läksyjä", k=1, mode="lexical").expansions == used
    assert off.search("läksyjä", k=1, mode="dense").expansions == ()
    neither = load_searcher(
        tiny_index, HashingEmbedder(), Settings(glossary=own, glossary_dense=False, glossary_weight=0)
    )
    assert neither.search("läksyjä", k=1).expansions == () and on.search("kuka päättää", k=1).expansions == ()


class _CountingAnalyzer:
    """Wraps the index's analyser and counts the analyses of one text."""

    def __init__(self, inner, text: str) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.text, self.name = inner, text, inner.name
        self.calls: list[str] = []

    def analyze(self, text: str, lang: str) -> list[str]:
        if text == self.text:
            self.calls.append(lang)
        return self.inner.analyze(text, lang)


def test_a_query_is_analysed_once_per_language_and_embedded_once(tiny_index: Path, tmp_path: Path):
    from lahde.service import load_searcher
    from lahde.settings import Settings

    own = tmp_path / "own.toml"
    own.write_text('[fi]\n"läksy" = "valvonnan laiminlyönti sakkoon"\n', encoding="utf-8")
    query = "oppivelvollisuuslain 22 § läksy"
    embedder = _RecordingEmbedder()
    searcher = load_searcher(tiny_index, embedder, Settings(glossary=own))
    assert searcher.lexical is not None
    counting = _CountingAnalyzer(searcher.lexical.analyzer, query)
    searcher.lexical.analyzer = counting  # type: ignore[assignment]
    result = searcher.search(query, k=5)
    # Lexical terms, glossary, references (the title is matched in both languages) and expansions
    # all read one analysis per language, and the dense side embeds once.
    assert sorted(counting.calls) == ["fi", "sv"]
    assert embedder.queries == [f"{query} (valvonnan laiminlyönti sakkoon)"]
    assert result.hits[0].chunk.id == "fi.1214-2020.s22" and [e.key for e in result.expansions] == ["läksy"]
    prepared = searcher.prepare(query)
    assert prepared.references[0].statute == "1214/2020" and prepared.references[0].section == "22"
    searcher.search(query, k=5, offset=5)  # paging: neither analysed nor embedded again
    assert sorted(counting.calls) == ["fi", "sv"] and len(embedder.queries) == 1
