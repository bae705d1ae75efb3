"""Finnish and Swedish analysis: inflected and compound forms meet in the same index terms."""

from __future__ import annotations

import pytest

from index.analysis import analyze_query, create_analyzer, guess_lang, tokenize
from index.errors import AnalyzerError
from index.lexical import LexicalIndex
from ingest.models import Chunk, Citation


def test_tokenize_keeps_statute_numbers_and_drops_one_letter_words():
    assert tokenize("HOKS:n 531/2017 44 § ja a-osa") == ["hoks", "531/2017", "44", "ja", "osa"]


def test_voikko_maps_inflected_forms_to_one_base_form():
    an = create_analyzer("voikko")
    assert an.analyze("koulutussopimuksella", "fi")[:3] == ["koulutussopimus", "koulutus", "sopimus"]
    assert an.analyze("koulutussopimuksen", "fi") == an.analyze("koulutussopimus", "fi")
    assert an.analyze("opiskelijoille", "fi") == ["opiskelija"]


def test_voikko_splits_compounds_into_their_parts():
    an = create_analyzer("voikko")
    assert an.analyze("työpaikkaohjaajan", "fi") == ["työpaikkaohjaaja", "työ", "paikka", "ohjaaja"]
    # "työpaikalla ohjaava" shares the parts työ and paikka with työpaikkaohjaaja
    assert {"työ", "paikka"} <= set(an.analyze("työpaikalla ohjaava", "fi"))
    assert an.analyze("oppivelvollisuuslain", "fi") == ["oppivelvollisuuslaki", "oppi", "velvollisuus", "laki"]


def test_voikko_falls_back_to_snowball_for_unknown_words_and_swedish():
    an = create_analyzer("voikko")
    assert an.analyze("hoksin", "fi") == ["hoks"]
    assert an.analyze("utbildningsavtalet", "sv") == an.analyze("utbildningsavtal", "sv") == ["utbildningsavtal"]


def test_snowball_and_simplemma_conflate_inflections():
    snow, lemma = create_analyzer("snowball"), create_analyzer("simplemma")
    assert snow.analyze("koulutussopimuksella", "fi") == snow.analyze("koulutussopimuksen", "fi")
    assert lemma.analyze("opiskelijan palkkaa", "fi") == ["opiskelija", "palkka"]
    assert lemma.analyze("läroavtal", "sv") == ["läroavtal"]


def test_stopwords_are_dropped_and_query_without_language_uses_both():
    an = create_analyzer("snowball")
    assert an.analyze("ja on ei", "fi") == []
    # Finnish stems first, then the Swedish ones that differ; no duplicates.
    assert analyze_query(an, "lön palkka") == ["lön", "palk", "palkk"]
    assert analyze_query(an, "lön palkka", "sv") == ["lön", "palkk"]


def test_unknown_analyser_is_a_clear_error():
    with pytest.raises(AnalyzerError, match="unknown analyser 'porter'"):
        create_analyzer("porter")


def _chunk(cid: str, text: str, lang: str = "fi") -> Chunk:
    return Chunk(id=cid, text=text, citation=Citation(doc_id="d", doc_title="T", kind="laki", lang=lang, label=cid))


# Sentences from 531/2017 (72 §, 62 §) and 1214/2020 (22 §).
CHUNKS = [
    _chunk("ohjaaja", "Koulutuksen järjestäjän on varmistettava, että opiskelijalle nimetään työpaikkaohjaaja."),
    _chunk("tuki", "Opiskelijalla on oikeus erityiseen tukeen, jos hän tarvitsee oppimisvaikeuksien vuoksi tukea."),
    _chunk("sakko", "Huoltaja on tuomittava oppivelvollisen valvonnan laiminlyönnistä sakkoon."),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ohjaajan nimeäminen", ["ohjaaja"]),  # compound part of työpaikkaohjaaja, inflected
        ("erityinen tuki", ["tuki"]),  # base forms of erityiseen tukeen
        ("uhkasakko", ["sakko"]),  # a compound that is not in the text, through its part
    ],
)
def test_voikko_lexical_index_matches_inflections_and_compound_parts(query: str, expected: list[str]):
    lex = LexicalIndex.build(CHUNKS, "voikko")
    assert [CHUNKS[i].id for i, _s in lex.search(lex.query_terms(query, "fi"), 3)] == expected


def test_surface_forms_alone_miss_them():
    lex = LexicalIndex.build(CHUNKS, "surface")
    assert lex.search(lex.query_terms("ohjaajan nimeäminen", "fi"), 3) == []
    assert lex.search(lex.query_terms("erityinen tuki", "fi"), 3) == []


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("voiko opiskelijan laittaa työpaikalle ilman palkkaa?", "fi"),
        ("vem godkänner PUK:en, räcker det att läraren skriver under?", "sv"),
        ("får en 16-åring jobba", "sv"),
        ("tuva kesto", None),
        ("läroavtal lön", None),
    ],
)
def test_guess_lang(query: str, lang: str | None):
    assert guess_lang(query) == lang
