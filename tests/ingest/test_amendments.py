"""Amendment links, checked against the amending acts' own preambles and entry-into-force provisions."""

from __future__ import annotations

import pytest

from ingest.amendments import entry_into_force, parse_amendment, section_refs
from ingest.corpus import ingest_files
from ingest.finlex import read_statute
from ingest.models import Amendment, Chunk
from tests.paths import finlex_file


def changes(name: str, lang: str = "fi") -> list[tuple[str, str, str | None, str | None]]:
    act = read_statute(finlex_file(name, lang))
    return [(c.section, c.change, c.part, c.date) for c in parse_amendment(act)]


def test_1218_2020_amends_531_2017_with_two_dates():
    got = changes("asd20201218.xml")
    assert len(got) == 25
    assert got[0] == ("7", "amend", None, "2022-08-01")
    assert ("15", "amend", "3 momentti", "2021-08-01") in got
    assert ("16", "amend", "otsikko ja 1 momentti", "2022-08-01") in got
    assert ("38", "amend", None, "2021-08-01") in got
    assert ("97", "amend", None, "2021-08-01") in got
    assert ("111", "amend", "1 kohta", "2022-08-01") in got
    assert got[-1] == ("44", "add", "5 momentti", "2021-08-01")
    # "sellaisena kuin niistä on 23 §:n 1 momentti laissa 547/2018" names no section of this act.
    assert [g for g in got if g[0] == "23"] == [("23", "amend", "1 momentti", "2022-08-01")]
    act = read_statute(finlex_file("asd20201218.xml"))
    assert {c.statute for c in parse_amendment(act)} == {"531/2017"}


def test_164_2022_repeals_amends_and_adds():
    assert changes("asd20220164.xml") == [
        ("88", "repeal", None, "2022-08-01"),
        ("2", "amend", "2 momentti", "2022-08-01"),
        ("85", "amend", "4 momentti", "2022-08-01"),
        ("93", "amend", "1, 2, 4 ja 5 momentti", "2022-08-01"),
        ("94", "amend", "2 momentti", "2022-08-01"),
        ("80", "add", "6 momentti", "2022-08-01"),
        ("109", "add", "6 momentti", "2022-08-01"),
    ]


def test_1078_2024_gives_three_entry_into_force_dates():
    got = {(s, ch): d for s, ch, _, d in changes("asd20241078.xml")}
    assert got[("9", "repeal")] == "2026-01-01"
    assert got[("44", "repeal")] == "2026-01-01"
    assert got[("19", "amend")] == "2025-01-01"
    assert got[("77", "amend")] == "2025-01-01"
    assert got[("8", "amend")] == "2026-01-01"
    assert got[("63", "amend")] == "2026-08-01"
    assert got[("48", "amend")] == "2026-08-01"
    assert len(got) == 18


def test_1118_2021_adds_sections_and_dates_one_kohta_later():
    got = changes("asd20211118.xml")
    assert ("15 a", "add", None, "2022-01-01") in got
    assert ("121 a", "add", None, "2022-01-01") in got
    assert ("111", "add", "2 momentti", "2022-01-01") in got
    assert ("31", "amend", None, "2022-01-01") in got
    assert ("31", "amend", "3 kohta", "2022-08-01") in got


def test_1048_2020_and_547_2018():
    assert changes("asd20201048.xml")[:2] == [
        ("107", "repeal", "5 momentti", "2021-01-01"),
        ("117", "repeal", None, "2021-01-01"),
    ]
    assert ("111", "amend", None, "2021-01-01") in changes("asd20201048.xml")
    assert ("113", "amend", None, "2021-01-01") in changes("asd20201048.xml")  # from "111–113 §"
    assert [(s, d) for s, _, _, d in changes("asd20180547.xml")] == [
        ("6", "2018-08-01"),
        ("23", "2018-08-01"),
        ("40", "2018-08-01"),
        ("41", "2018-08-01"),
        ("81", "2018-08-01"),
    ]


@pytest.mark.parametrize(
    "name", ["asd20201218.xml", "asd20220164.xml", "asd20241078.xml", "asd20211118.xml", "asd20201048.xml"]
)
def test_swedish_texts_name_the_same_sections_and_dates(name: str):
    fi = {(s, ch, d) for s, ch, _, d in changes(name, "fi")}
    sv = {(s, ch, d) for s, ch, _, d in changes(name, "sv")}
    assert sv == fi


def test_decree_amendment_and_an_act_that_changes_no_statute():
    assert changes("asd20210125.xml")[-1] == ("9", "add", "1 momenttiin uusi 7 a kohta", "2021-08-01")
    assert changes("asd20170531.xml") == []


def test_section_refs_and_entry_into_force_parsing():
    assert section_refs("7, 11 ja 14 §, 15 §:n 3 momentti") == [
        ("7", None),
        ("11", None),
        ("14", None),
        ("15", "3 momentti"),
    ]
    assert section_refs("111–113 §") == [("111", None), ("112", None), ("113", None)]
    assert entry_into_force(["Denna lag träder i kraft den 1 augusti 2018."]) == ("2018-08-01", [])


@pytest.fixture(scope="module")
def linked() -> dict[str, Chunk]:
    names = ["asd20170531.xml", "asd20201218.xml", "asd20220164.xml", "asd20241078.xml", "asd20240708.xml"]
    report = ingest_files([finlex_file(n) for n in names] + [finlex_file(n, "sv") for n in names])
    assert not report.errors
    return {c.id: c for d in report.documents for c in d.chunks}


def test_base_sections_know_their_amendments(linked: dict[str, Chunk]):
    hoks = linked["fi.531-2017.s44"].citation
    assert hoks.amendments == (
        Amendment("1218/2020", "2021-08-01", "add", "5 momentti"),
        Amendment("708/2024", "2025-01-01", "amend", "5 momentti"),
        Amendment("1078/2024", "2026-01-01", "repeal", "4 momentti"),
    )
    assert hoks.amendments[0].label() == "lisätty: 1218/2020 (voimaan 1.8.2021)"
    assert linked["fi.531-2017.s38"].citation.amendments[0].label() == "muutettu: 1218/2020 (voimaan 1.8.2021)"
    assert linked["sv.531-2017.s88"].citation.amendments[0].label("sv") == "upphävd: 164/2022 (i kraft 1.8.2022)"
    assert linked["fi.531-2017.s1"].citation.amendments == ()


def test_amending_sections_know_the_base_section_they_rewrite(linked: dict[str, Chunk]):
    rewrite = linked["fi.1218-2020.s38"].citation
    assert (rewrite.amends, rewrite.amends_statute, rewrite.in_force) == ("531-2017.s38", "531/2017", "2021-08-01")
    assert linked["fi.1218-2020.s7"].citation.in_force == "2022-08-01"
    assert linked["sv.164-2022.s93"].citation.amends == "531-2017.s93"
    assert linked["fi.1218-2020.svoimaantulo"].citation.amends is None


def test_amendments_survive_chunks_jsonl(linked: dict[str, Chunk]):
    chunk = linked["fi.531-2017.s44"]
    assert Chunk.from_dict(chunk.to_dict()) == chunk
    old = chunk.to_dict()
    for key in ("amendments", "amends", "amends_statute", "in_force", "order", "issuer", "page_end", "momentti_count"):
        del old["citation"][key]
    del old["tokens"]
    assert Chunk.from_dict(old).citation.amendments == ()  # chunks.jsonl from before issue 7 still loads


def test_act_changing_another_acts_entry_into_force_provision():
    names = ["asd20210125.xml", "asd20210584.xml"]
    report = ingest_files([finlex_file(n) for n in names] + [finlex_file(n, "sv") for n in names])
    chunks = {c.id: c for d in report.documents for c in d.chunks}
    assert chunks["fi.125-2021.svoimaantulo"].citation.amendments == (
        Amendment("584/2021", "2021-06-23", "amend", "voimaantulosäännös"),
    )
    assert (
        chunks["sv.125-2021.svoimaantulo"].citation.amendments[0].label("sv") == "ändrad: 584/2021 (i kraft 23.6.2021)"
    )
    rewrite = chunks["fi.584-2021.svoimaantulo"].citation  # the new wording it gives
    assert (rewrite.amends, rewrite.in_force) == ("125-2021.svoimaantulo", "2021-06-23")
    assert chunks["fi.584-2021.svoimaantulo-2"].citation.amends is None  # its own entry into force
