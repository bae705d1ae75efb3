"""Hybrid retrieval through the real path: real model, real index of four statutes, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lahde.cli import main
from retrieval.search import RetrievalConfig, Searcher
from retrieval.types import Filters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def searcher(built_index: Path, real_embedder) -> Searcher:
    return Searcher.open(built_index, real_embedder)


def _section(hit) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def]
    return hit.chunk.citation.statute, hit.chunk.citation.section


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("531/2017 44 §", ("531/2017", "44")),
        ("oppivelvollisuuslaki 7 §", ("1214/2020", "7")),
        ("oppivelvollisuuslain 7 §:n mukaan", ("1214/2020", "7")),
        ("ammatillisesta koulutuksesta annetun lain 97 §", ("531/2017", "97")),
        ("tutkintokoulutukseen valmentavasta koulutuksesta annetun lain 11 §", ("1215/2020", "11")),
    ],
)
def test_exact_reference_is_the_first_hit(searcher: Searcher, query: str, expected):  # type: ignore[no-untyped-def]
    assert _section(searcher.search(query, k=3).hits[0]) == expected


def test_swedish_question_finds_finnish_text_through_the_dense_side(searcher: Searcher):
    query = "hur lång är utbildningen som handleder för examensutbildning"
    assert searcher.search(query, k=5, mode="lexical").hits == []  # no Swedish text in this index
    assert searcher.search(query, k=1).hits[0].chunk.id == "fi.1215-2020.s11"


def test_hybrid_finds_what_a_coach_types(searcher: Searcher):
    # acronym + inflection: the glossary maps hoks to the statute's term, Voikko the inflections
    hits = searcher.search("kuka hoksin hyväksyy", k=5).hits
    assert "fi.531-2017.s45" in [h.chunk.id for h in hits]


def test_glossary_phrases_lead_the_dense_side_to_the_acronyms_meaning(
    built_index: Path, real_embedder, searcher: Searcher
):
    # The model does not know "hoks"; with the glossary's phrase appended it finds the HOKS sections.
    query = "mitä hoksiin kirjataan"
    assert (
        searcher.prepare(query, embed=False).dense_text == f"{query} (henkilökohtainen osaamisen kehittämissuunnitelma)"
    )
    hits = [h.chunk.id for h in searcher.search(query, k=3, mode="dense").hits]
    assert hits == ["fi.531-2017.s44", "fi.673-2017.s9.m4-5", "fi.1215-2020.s14"]
    plain = Searcher.open(built_index, real_embedder, config=RetrievalConfig(dense_glossary=False))
    alone = [h.chunk.id for h in plain.search(query, k=5, mode="dense").hits]
    assert not {"fi.531-2017.s44", "fi.531-2017.s45", "fi.1215-2020.s14"} & set(alone)
    assert not any(i.startswith("fi.673-2017.s9.") for i in alone)


def test_filters_with_the_real_index(searcher: Searcher):
    hits = searcher.search("eronneeksi katsominen", k=3, filters=Filters(statute="1215/2020")).hits
    assert hits[0].chunk.id == "fi.1215-2020.s18"
    assert {h.chunk.citation.statute for h in hits} == {"1215/2020"}
    assert searcher.search("eronneeksi katsominen", k=3, filters=Filters(lang="sv")).hits == []


def test_eval_command_prints_the_three_modes(built_index: Path, tmp_path: Path, monkeypatch):
    questions = tmp_path / "questions.tsv"
    questions.write_text(
        "qid\tlang\tquestion\n"
        "q1\tfi\tmikä on koulutussopimus\n"
        "q2\tfi\tmilloin opiskelija katsotaan eronneeksi ammatillisessa koulutuksessa\n",
        encoding="utf-8",
    )
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("qid\tstatute\tsection\tgrade\nq1\t531/2017\t71\t2\nq2\t531/2017\t97\t2\n", encoding="utf-8")
    monkeypatch.setenv("LAHDE_INDEX_DIR", str(built_index))
    from lahde.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["eval", str(questions), str(qrels)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ")][1:]
    assert [r.split(" | ")[0] for r in rows] == ["| lexical", "| dense", "| hybrid"]
    assert all(r.split(" | ")[1] == "2" for r in rows)
    # both questions name their section plainly: every mode ranks it within the top 5
    assert all(r.split(" | ")[2] == "1.000" for r in rows)
