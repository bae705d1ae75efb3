"""The Akoma Ntoso reader on real Finlex open-data API responses (../shared/corpus/finlex-akn)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.akn import amended_by, is_akn, read_akn, section_versions
from ingest.amendments import parse_amendment
from ingest.chunking import statute_to_document
from ingest.corpus import ingest_files
from ingest.errors import SourceFormatError
from ingest.finlex import read_statute
from tests.paths import REPO, finlex_file

AKN = REPO.parent / "shared" / "corpus" / "finlex-akn"


def akn_file(*parts: str) -> Path:
    path = AKN.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"Akoma Ntoso samples not found at {AKN}")
    return path


@pytest.mark.parametrize(
    ("akn_name", "finlex_name", "lang", "sections"),
    [
        ("2003_434_fin.xml", "asd20030434.xml", "fi", 71),
        ("2003_434_swe.xml", "asd20030434.xml", "sv", 71),
        ("2002_738_fin.xml", "asd20020738.xml", "fi", 68),
        ("2002_738_swe.xml", "asd20020738.xml", "sv", 68),
    ],
)
def test_both_readers_yield_the_same_sections(akn_name: str, finlex_name: str, lang: str, sections: int):
    akn = read_akn(akn_file("original", akn_name))
    old = read_statute(finlex_file(finlex_name, lang))
    assert (akn.number, akn.title, akn.kind, akn.lang, akn.issuer) == (
        old.number,
        old.title,
        old.kind,
        old.lang,
        old.issuer,
    )
    assert len(akn.sections) == len(old.sections) == sections
    for a, b in zip(akn.sections, old.sections):
        assert (a.number, a.heading, a.chapter, a.chapter_heading) == (
            b.number,
            b.heading,
            b.chapter,
            b.chapter_heading,
        )
        assert len(a.subsections) == len(b.subsections), a.number
        assert [len(s.items) for s in a.subsections] == [len(s.items) for s in b.subsections], a.number
        assert a.text == b.text, a.number
    # So the chunks, ids and citations are the same too.
    assert [c.to_dict() for c in statute_to_document(akn).chunks] == [
        c.to_dict() for c in statute_to_document(old).chunks
    ]


def test_hallintolaki_parts_and_chapters():
    law = read_akn(akn_file("original", "2003_434_fin.xml"))
    first = law.sections[0]
    assert (first.number, first.heading, first.chapter, first.chapter_heading) == (
        "1",
        "Lain tarkoitus",
        "1",
        "Lain tarkoitus ja soveltamisala",
    )
    assert law.sections[1].subsections[1].text.endswith("tasavallan presidentin kansliassa (viranomainen).")


def test_amending_act_in_akn_links_like_finlex_xml():
    act = read_akn(akn_file("original", "2005_1014_fin.xml"))
    assert [s.number for s in act.sections] == ["1", "43 a", "48", None]
    assert act.sections[0].partial  # "omission" marks unchanged momentit
    assert act.entry_into_force[0] == "Tämä laki tulee voimaan 1 päivänä tammikuuta 2006."
    got = [(c.statute, c.section, c.change, c.part, c.date) for c in parse_amendment(act)]
    assert got == [
        ("635/1998", "1", "amend", "4 momentti", "2006-01-01"),
        ("635/1998", "48", "amend", "1 momentti", "2006-01-01"),
        ("635/1998", "43 a", "add", None, "2006-01-01"),
    ]


def test_consolidated_version_keeps_new_wording_only():
    law = read_akn(akn_file("consolidated", "2018_1050_fin_latest.xml"))
    sections = {s.number: s for s in law.sections}
    # 4 § 1 mom. 2 kohta: new wording by 380/2026; the "Aiempi sanamuoto" note and old text dropped.
    items = sections["4"].subsections[0].items
    assert len(items) == 4
    assert items[1] == (
        "2) käsittely on tarpeen ja oikeasuhtaista viranomaisen yleistä etua koskevan tehtävän suorittamiseksi "
        "tai viranomaiselle kuuluvan julkisen vallan käyttämiseksi;"
    )
    assert "Aiempi sanamuoto" not in sections["4"].text
    # A repealed momentti keeps its place as a stub, so later momentit keep their numbers.
    fourteen = sections["14"].subsections
    assert len(fourteen) == 5
    assert fourteen[3].text == "4 momentti on kumottu L:lla 22.5.2026/380, joka tulee voimaan 1.9.2026."
    assert fourteen[4].text.startswith("Tietosuojavaltuutettu laatii vuosittain")
    assert "36 a" in sections


def test_consolidated_amendment_metadata():
    path = akn_file("consolidated", "2018_1050_fin_latest.xml")
    from xml.etree import ElementTree as ET

    acts = amended_by(ET.parse(path).getroot())
    assert ("380/2026", "2026-09-01") in [(a.act, a.date) for a in acts]
    assert len(acts) == 8
    versions = section_versions(path)
    assert versions["7"] == ("1225/2023", "380/2026")
    assert versions["18 a"] == ("902/2020",)
    assert versions["1"] == ()


def test_attachment_table_and_decree_kind():
    decree = read_akn(akn_file("consolidated", "2025_51_fin.xml"))
    assert decree.kind == "asetus"
    attachment = decree.sections[-1]
    assert (attachment.kind, attachment.heading) == ("Liite", "Liite")
    assert " | " in attachment.text


def test_bad_akn_inputs_name_the_file_and_reason(tmp_path: Path):
    with pytest.raises(SourceFormatError, match="2005_45_fin_contentabsent.xml: no statute text"):
        read_akn(akn_file("consolidated", "2005_45_fin_contentabsent.xml"))
    with pytest.raises(SourceFormatError, match="not an Akoma Ntoso act"):
        read_akn(akn_file("list", "statute-consolidated-list.xml"))
    truncated = tmp_path / "2003_434_fin.xml"
    truncated.write_bytes(akn_file("original", "2003_434_fin.xml").read_bytes()[:5000])
    assert is_akn(truncated)
    report = ingest_files([truncated, akn_file("original", "2002_738_fin.xml")])
    assert [d.id for d in report.documents] == ["fi.738-2002"]
    assert len(report.errors) == 1 and "2003_434_fin.xml: malformed XML" in str(report.errors[0])
