"""Exact references: a query naming a section gets that section first."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.analysis import create_analyzer
from ingest.corpus import ingest_files
from retrieval.references import Reference, ReferenceResolver, parse_sections
from retrieval.search import RetrievalConfig, Searcher
from retrieval.types import Filters
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.paths import finlex_file


@pytest.mark.parametrize(
    ("query", "sections"),
    [
        ("531/2017 44 §", ["44"]),
        ("44 §:n mukaan", ["44"]),
        ("44 ja 45 §", ["44", "45"]),
        ("44, 45 och 46 §", ["44", "45", "46"]),
        ("52 a §", ["52 a"]),
        ("52a §", ["52 a"]),
        ("oppivelvollisuuslain 7 pykälä", ["7"]),
        ("§ 7", ["7"]),
        ("hoks 2020 ja 531/2017", []),
        ("16-vuotias oppisopimus", []),
    ],
)
def test_parse_sections(query: str, sections: list[str]):
    assert parse_sections(query) == sections


@pytest.fixture(scope="module")
def tiny_chunks():
    """Oppivelvollisuuslaki in Finnish and Swedish, and the TUVA act in Finnish (81 chunks)."""
    files = [finlex_file("asd20201214.xml"), finlex_file("asd20201214.xml", "sv"), finlex_file("asd20201215.xml")]
    report = ingest_files(files)
    assert not report.errors
    return [c for d in report.documents for c in d.chunks]


@pytest.fixture(scope="module")
def tiny_index(tiny_chunks, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "index"
    build_index(tiny_chunks, HashingEmbedder(), out)
    return out


@pytest.mark.parametrize(
    ("query", "statutes"),
    [
        ("1215/2020 7 §", ["1215/2020"]),
        ("oppivelvollisuuslain 7 §", ["1214/2020"]),
        ("Oppivelvollisuuslaki 7 §", ["1214/2020"]),
        ("läropliktslagen 7 §", ["1214/2020"]),
        ("laki tutkintokoulutukseen valmentavasta koulutuksesta 11 §", ["1215/2020"]),
        ("9999/2020 7 §", []),  # not in this index
        ("7 §", []),
    ],
)
def test_statutes_named_by_number_or_inflected_title(tiny_chunks, query: str, statutes: list[str]):
    resolver = ReferenceResolver(tiny_chunks, create_analyzer("voikko"))
    assert resolver.statutes_named(query) == statutes


def test_resolve_pairs_sections_with_the_named_statute(tiny_chunks):
    resolver = ReferenceResolver(tiny_chunks, create_analyzer("voikko"))
    assert resolver.resolve("oppivelvollisuuslain 7 ja 9 §") == [
        Reference("7", "1214/2020"),
        Reference("9", "1214/2020"),
    ]
    assert resolver.resolve("7 §") == [Reference("7")]


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_named_section_comes_first_in_every_mode(tiny_index: Path, mode: str):
    searcher = Searcher.open(tiny_index, HashingEmbedder())
    hits = searcher.search("oppivelvollisuuslain 7 §", k=5, mode=mode).hits
    assert {h.chunk.id for h in hits[:2]} == {"fi.1214-2020.s7", "sv.1214-2020.s7"}
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    fi = searcher.search("1215/2020 7 §", k=3, mode=mode).hits
    assert fi[0].chunk.id == "fi.1215-2020.s7"


def test_bare_section_number_lists_that_section_of_every_statute_first(tiny_index: Path):
    searcher = Searcher.open(tiny_index, HashingEmbedder())
    hits = searcher.search("7 §", k=4).hits
    assert {h.chunk.id for h in hits[:3]} == {"fi.1214-2020.s7", "sv.1214-2020.s7", "fi.1215-2020.s7"}
    only_sv = searcher.search("7 §", k=2, filters=Filters(lang="sv")).hits
    assert only_sv[0].chunk.id == "sv.1214-2020.s7"
    assert all(h.chunk.citation.lang == "sv" for h in only_sv)


def test_reference_to_a_missing_section_changes_nothing(tiny_index: Path):
    with_refs = Searcher.open(tiny_index, HashingEmbedder())
    without = Searcher.open(tiny_index, HashingEmbedder(), config=RetrievalConfig(use_references=False))
    query = "huoltajan velvollisuus 999 §"
    assert [h.chunk.id for h in with_refs.search(query, k=5).hits] == [
        h.chunk.id for h in without.search(query, k=5).hits
    ]
    # ...whereas a section that exists is lifted to the top
    assert with_refs.search("huoltajan velvollisuus 9 §", k=1).hits[0].chunk.citation.section == "9"
