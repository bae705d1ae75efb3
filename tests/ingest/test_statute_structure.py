"""Exact structure of real statutes: momentit, kohdat, tables, ``52 a``-style sections, splits."""

from __future__ import annotations

import pytest

from ingest.amendments import parse_amendment
from ingest.chunking import statute_to_document
from ingest.finlex import read_statute
from ingest.tokens import estimate_tokens
from tests.paths import finlex_file

# (section, heading, momentit, kohdat in each momentti) checked against the statute text.
STRUCTURE_531 = {
    "3": ("Määritelmät", "Definitioner", [5]),
    "44": ("Henkilökohtainen osaamisen kehittämissuunnitelma", "Personlig utvecklingsplan för kunnandet", [0, 0, 0, 0]),
    "52": ("Osaamisen osoittaminen", "Påvisande av kunnandet", [0, 0, 0, 0, 0, 0]),
    "84": ("Huumausainetestaus", "Narkotikatest", [4, 0, 0, 0, 0]),
    "109": (
        "Tietojensaantioikeus opiskelijaa koskevissa asioissa",
        "Rätt att få uppgifter i ärenden som gäller studerande",
        [0, 0, 0, 5, 0],
    ),
    "133": (
        "Järjestämislupien muuttamista koskevat siirtymäsäännökset",
        "Övergångsbestämmelser om ändring av tillstånd att ordna utbildning",
        [0, 0, 6, 0],
    ),
}


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_531_2017_sections_have_their_momentit_and_kohdat(lang: str):
    statute = read_statute(finlex_file("asd20170531.xml", lang))
    sections = {s.number: s for s in statute.sections}
    assert len(statute.sections) == 142
    for number, (heading_fi, heading_sv, kohdat) in STRUCTURE_531.items():
        section = sections[number]
        assert section.heading == (heading_fi if lang == "fi" else heading_sv), number
        assert [len(m.items) for m in section.subsections] == kohdat, number
    assert sections["84"].subsections[0].items[0].startswith("1) ")
    assert sections["133"].subsections[2].items[-1].startswith("6) ")


def test_52_a_style_sections_keep_their_letter():
    act = read_statute(finlex_file("asd20211118.xml"))
    assert [s.number for s in act.sections if s.number] == ["15 a", "15 b", "31", "111", "114", "116", "121 a"]
    doc = statute_to_document(act, amends=parse_amendment(act))
    chunk = next(c for c in doc.chunks if c.citation.section == "121 a")
    assert chunk.id == "fi.1118-2021.s121a"
    assert chunk.citation.label == "Laki ammatillisesta koulutuksesta annetun lain muuttamisesta (1118/2021) 121 a §"
    assert chunk.citation.amends == "531-2017.s121a"


def test_table_stays_readable_in_its_momentti():
    decree = read_statute(finlex_file("asd20170699.xml"))
    section = next(s for s in decree.sections if s.number == "8")
    assert len(section.subsections) == 5
    table = section.subsections[2].text.splitlines()
    assert table[0] == "Koulumenestyksen perusteella annetaan pisteitä seuraavasti:"
    assert table[1] == "Keskiarvo | Pisteitä"
    assert table[2] == "5,50–5,74 | 1"
    assert table[-1] == "9,25–10,00 | 16"
    assert len(table) == 2 + 16


def test_long_section_splits_into_runs_of_whole_momentit():
    act = read_statute(finlex_file("asd20170531.xml"))
    doc = statute_to_document(act, max_tokens=300, count_tokens=estimate_tokens)
    parts = [c for c in doc.chunks if c.citation.section == "45"]
    # Context 157 chars, momentit 285/432/479/420 chars: 1+2 make 222 estimated tokens, 1+2+3 would
    # make 342, so the run closes after 2; 3+4 make 267.
    assert [c.id for c in parts] == ["fi.531-2017.s45.m1-2", "fi.531-2017.s45.m3-4"]
    assert [c.citation.subsections for c in parts] == [(1, 2), (3, 4)]
    assert parts[0].citation.label == "Laki ammatillisesta koulutuksesta (531/2017) 45 § 1–2 mom."
    assert parts[1].citation.label == "Laki ammatillisesta koulutuksesta (531/2017) 45 § 3–4 mom."
    section = next(s for s in act.sections if s.number == "45")
    # The parts hold exactly the section's momentit, none cut, none lost.
    assert "\n\n".join(c.text for c in parts) == section.text
    assert all(c.context == parts[0].context for c in parts)
    assert parts[0].context.endswith("45 § Henkilökohtaisen osaamisen kehittämissuunnitelman laadinta ja hyväksyminen")
    assert all(c.tokens <= 300 for c in parts)
    assert {c.citation.section_key for c in parts} == {"531-2017.s45"}
    assert parts[0].citation.momentti_count == 4


def test_a_momentti_over_the_limit_stays_whole():
    act = read_statute(finlex_file("asd20170531.xml"))
    doc = statute_to_document(act, max_tokens=40, count_tokens=estimate_tokens)
    parts = [c for c in doc.chunks if c.citation.section == "44"]
    assert [c.citation.subsections for c in parts] == [(1,), (2,), (3,), (4,)]
    assert all(c.tokens > 40 for c in parts)


def test_short_sections_keep_their_plain_ids_and_order():
    doc = statute_to_document(read_statute(finlex_file("asd20170531.xml")), max_tokens=512)
    ids = [c.id for c in doc.chunks]
    assert ids[:3] == ["fi.531-2017.s1", "fi.531-2017.s2", "fi.531-2017.s3"]
    orders = [c.citation.order for c in doc.chunks]
    assert orders == sorted(orders) and orders[0] == 0


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_an_over_long_list_momentti_splits_into_runs_of_whole_kohdat(lang: str):
    from embedding.embedders import model_token_counter

    act = read_statute(finlex_file("asd19990621.xml", lang))
    section = next(s for s in act.sections if s.number == "24")
    assert [len(m.items) for m in section.subsections] == [32, 0]
    doc = statute_to_document(act, max_tokens=512, count_tokens=model_token_counter())
    parts = [c for c in doc.chunks if c.citation.section == "24"]
    lead = section.subsections[0].text.split("\n")[0]
    runs = [c for c in parts if c.citation.kohdat]
    # Every kohta exactly once, in order; each run starts with the momentti's lead-in and fits.
    assert [k for c in runs for k in c.citation.kohdat] == [str(n) for n in range(1, 33)]
    assert all(c.text.split("\n")[0] == lead and c.tokens <= 512 for c in runs)
    assert all(c.citation.subsections == (1,) for c in runs)
    first = runs[0]
    word = "kohta" if lang == "fi" else "punkten"
    span = f"{first.citation.kohdat[0]}–{first.citation.kohdat[-1]}"
    assert first.id == f"{lang}.621-1999.s24.m1.k1-{first.citation.kohdat[-1]}"
    assert first.citation.label.endswith(f"(621/1999) 24 § 1 mom. {span} {word}")
    assert parts[-1].id == f"{lang}.621-1999.s24.m2" and parts[-1].citation.label.endswith("24 § 2 mom.")
    assert "\n".join(c.text.split("\n", 1)[1] for c in runs) == "\n".join(section.subsections[0].text.split("\n")[1:])
