"""The Finlex XML reader and section chunking, on the real statutes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import statute_to_document
from ingest.corpus import ingest_files
from ingest.errors import SourceFormatError
from ingest.finlex import read_statute
from tests.paths import finlex_file


@pytest.fixture(scope="module")
def vocational_act():
    return read_statute(finlex_file("asd20170531.xml"))


def test_531_2017_has_its_142_sections_in_order(vocational_act):
    assert vocational_act.number == "531/2017"
    assert vocational_act.title == "Laki ammatillisesta koulutuksesta"
    assert vocational_act.kind == "laki"
    assert vocational_act.lang == "fi"
    numbers = [s.number for s in vocational_act.sections]
    assert numbers == [str(n) for n in range(1, 143)]
    assert all(s.heading for s in vocational_act.sections)
    assert all(s.subsections for s in vocational_act.sections)


def test_sections_know_their_chapter(vocational_act):
    by_number = {s.number: s for s in vocational_act.sections}
    assert (by_number["1"].chapter, by_number["1"].chapter_heading) == ("1", "Yleiset säännökset")
    assert by_number["44"].heading == "Henkilökohtainen osaamisen kehittämissuunnitelma"
    assert (by_number["44"].chapter, by_number["44"].chapter_heading) == ("5", "Henkilökohtaistaminen")
    assert by_number["97"].heading == "Opiskelijan eronneeksi katsominen"


def test_list_subsections_keep_their_items(vocational_act):
    definitions = next(s for s in vocational_act.sections if s.number == "3")
    (subsection,) = definitions.subsections
    assert len(subsection.items) == 5
    assert subsection.text.startswith("Tässä laissa tarkoitetaan:\n1) henkilöstökoulutuksella")
    assert subsection.text.splitlines()[-1].startswith("5) opiskelijalla henkilöä")


def test_chunks_carry_exact_citations(vocational_act):
    doc = statute_to_document(vocational_act)
    chunks = {c.id: c for c in doc.chunks}
    assert len({c.citation.section_key for c in chunks.values()}) == 142
    hoks = chunks["fi.531-2017.s44"]
    assert hoks.citation.label == "Laki ammatillisesta koulutuksesta (531/2017) 44 §"
    assert hoks.citation.section == "44"
    assert hoks.citation.statute == "531/2017"
    assert hoks.citation.url == "https://www.finlex.fi/fi/laki/alkup/2017/20170531"
    assert hoks.citation.section_key == "531-2017.s44"
    assert hoks.text.startswith("Koulutuksen aloittavalle opiskelijalle laaditaan henkilökohtainen")
    assert hoks.context == (
        "Laki ammatillisesta koulutuksesta (531/2017) – 5 luku Henkilökohtaistaminen – "
        "44 § Henkilökohtainen osaamisen kehittämissuunnitelma"
    )
    resign = chunks["fi.531-2017.s97"]
    assert resign.citation.label == "Laki ammatillisesta koulutuksesta (531/2017) 97 §"
    assert resign.text.startswith("Opiskelija katsotaan eronneeksi, jos on ilmeisestä")
    assert len(resign.text.split("\n\n")) == 2


def test_chunk_ids_are_stable_across_runs():
    path = finlex_file("asd20170531.xml")
    first = [c.id for c in statute_to_document(read_statute(path)).chunks]
    second = [c.id for c in statute_to_document(read_statute(path)).chunks]
    assert first == second


def test_swedish_text_shares_section_keys_with_finnish():
    fi = statute_to_document(read_statute(finlex_file("asd20170531.xml")))
    sv = statute_to_document(read_statute(finlex_file("asd20170531.xml", "sv")))
    assert sv.title == "Lag om yrkesutbildning"
    assert sv.lang == "sv"
    keys = lambda doc: list(dict.fromkeys(c.citation.section_key for c in doc.chunks))  # noqa: E731
    assert keys(sv) == keys(fi)
    assert (
        next(c for c in sv.chunks if c.id == "sv.531-2017.s44").citation.label
        == "Lag om yrkesutbildning (531/2017) 44 §"
    )


def test_decree_is_kind_asetus():
    decree = read_statute(finlex_file("asd20170673.xml"))
    assert decree.kind == "asetus"
    assert decree.title == "Valtioneuvoston asetus ammatillisesta koulutuksesta"


def test_unnumbered_entry_into_force_provision_gets_its_own_chunk():
    doc = statute_to_document(read_statute(finlex_file("asd20201218.xml")))
    last = doc.chunks[-1]
    assert last.id == "fi.1218-2020.svoimaantulo"
    assert last.citation.section is None
    assert last.citation.label.endswith("(1218/2020) voimaantulosäännös")
    assert last.text.startswith("Tämä laki tulee voimaan 1 päivänä elokuuta 2021.")


def test_malformed_xml_names_the_file_and_the_rest_goes_on(tmp_path: Path):
    broken = tmp_path / "asd20990001.xml"
    broken.write_text("<vah:VahvistettavaLaki><unclosed>", encoding="utf-8")
    empty = tmp_path / "asd20990002.xml"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="asd20990001.xml: malformed XML"):
        read_statute(broken)
    report = ingest_files([broken, finlex_file("asd20201215.xml"), empty])
    assert [d.id for d in report.documents] == ["fi.1215-2020"]
    assert [Path(e.path).name for e in report.errors] == ["asd20990001.xml"]
    assert [(Path(e.path).name, e.reason) for e in report.skipped] == [("asd20990002.xml", "empty file")]


def test_xml_that_is_not_a_statute_is_refused(tmp_path: Path):
    other = tmp_path / "asd20990003.xml"
    other.write_text("<root><child/></root>", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not a Finlex statute"):
        read_statute(other)


def test_statute_numbered_per_chapter_gets_chapter_qualified_ids_and_labels():
    doc = statute_to_document(read_statute(finlex_file("asd20010055.xml")))
    ids = [c.id for c in doc.chunks]
    assert len(ids) == len(set(ids))
    first = doc.chunks[0]
    assert first.id == "fi.55-2001.c1.s1"
    assert first.citation.label == "Työsopimuslaki (55/2001) 1 luku 1 §"
    assert "55-2001.c2.s4" in {c.citation.section_key for c in doc.chunks}
