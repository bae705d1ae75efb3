"""Consolidation's rules on small cases: targets, refusals without guessing, temporary acts, citation phrases."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.amendment_targets import Target, expand_numbers, parse_targets
from ingest.consolidation import consolidate_all
from ingest.consolidation_model import as_amended
from ingest.consolidation_report import format_consolidation
from ingest.finlex import Section, Statute, Subsection, read_statute
from tests.paths import FINLEX, finlex_file
from tests.servers import lahde_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("part", "targets"),
    [
        (None, []),
        ("1, 2 ja 4 momentti", [Target("momentti", 1), Target("momentti", 2), Target("momentti", 4)]),
        ("1–3 momentti", [Target("momentti", 1), Target("momentti", 2), Target("momentti", 3)]),
        ("otsikko ja 3 ja 4 momentti", [Target("heading"), Target("momentti", 3), Target("momentti", 4)]),
        ("1 momentin johdantokappale ja 4 momentti", [Target("lead", 1), Target("momentti", 4)]),
        ("3 momentin 1 kohta", [Target("kohta", 3, "1")]),
        ("1, 4 ja 6 kohta", [Target("kohta", 1, "1"), Target("kohta", 1, "4"), Target("kohta", 1, "6")]),
        ("1 momenttiin uusi 7 a kohta", [Target("kohta", 1, "7 a")]),
        ("otsikko ja 2 momentin 5 kohta", [Target("heading"), Target("kohta", 2, "5")]),
        ("johdantokappale ja 2 kohta", [Target("lead", 1), Target("kohta", 1, "2")]),
        # Words not understood: the section is left apart, never guessed.
        ("tulevat kuitenkin voimaan", None),
        ("2 momentti, jolloin nykyinen", None),
    ],
)
def test_preamble_parts_become_exact_targets(part, targets):
    assert parse_targets(part) == targets


def test_number_lists_and_ranges():
    assert expand_numbers("1, 2 ja 4") == ["1", "2", "4"]
    assert expand_numbers("111–113") == ["111", "112", "113"]
    assert expand_numbers("7 a ja 8") == ["7 a", "8"]


def test_citation_phrases_in_both_languages():
    assert as_amended(("718/2022",), "531/2017", "laki", "fi") == "sellaisena kuin se on laissa 718/2022"
    assert as_amended(("531/2017", "1218/2020", "1078/2024"), "531/2017", "laki", "fi") == (
        "sellaisena kuin se on osaksi laeissa 1218/2020 ja 1078/2024"
    )
    assert as_amended(("125/2021",), "673/2017", "asetus", "fi") == "sellaisena kuin se on asetuksessa 125/2021"
    assert as_amended(("718/2022",), "531/2017", "laki", "sv") == "i den lydelse den har i lag 718/2022"
    assert as_amended(("673/2017", "125/2021", "1062/2022"), "673/2017", "asetus", "sv") == (
        "sådan den lyder delvis i förordningarna 125/2021 och 1062/2022"
    )
    assert as_amended(("531/2017",), "531/2017", "laki", "fi") == ""


def _histories(*names: str, lang: str = "fi"):
    return {(h.statute, h.lang): h for h in consolidate_all([read_statute(finlex_file(n, lang)) for n in names])}


def test_an_act_missing_from_the_corpus_is_simply_not_applied_and_a_temporary_act_ends():
    """673/2017 19 § with 1150/2021 (in force 1.1.2022 to the end of 2024): the enacted text returns on 1.1.2025."""
    h = _histories("asd20170673.xml", "asd20211150.xml")[("673/2017", "fi")]
    s19 = next(s for s in h.sections if s.section == "19")
    assert [(w.valid_from, w.valid_to, w.acts) for w in s19.wordings] == [
        ("2018-01-01", "2021-12-31", ("673/2017",)),
        ("2022-01-01", "2024-12-31", ("1150/2021",)),
        ("2025-01-01", None, ("673/2017",)),
    ]


def test_an_entry_into_force_replaced_by_a_later_act_moves_the_date():
    """584/2021 replaced 125/2021's entry-into-force provision: 9 § 1 mom. 7 a kohta starts 1.8.2022, not 1.8.2021."""
    with_584 = _histories("asd20170673.xml", "asd20210125.xml", "asd20210584.xml")[("673/2017", "fi")]
    without = _histories("asd20170673.xml", "asd20210125.xml")[("673/2017", "fi")]
    assert [w.valid_from for w in next(s for s in with_584.sections if s.section == "9").wordings] == [
        "2018-01-01",
        "2022-08-01",
    ]
    assert [w.valid_from for w in next(s for s in without.sections if s.section == "9").wordings] == [
        "2018-01-01",
        "2021-08-01",
        "2022-08-01",
    ]


def test_a_kohta_numbered_unlike_the_preamble_is_left_apart_with_the_reason():
    h = _histories("asd20201214.xml", "asd20220056.xml")[("1214/2020", "fi")]
    s7 = next(s for s in h.sections if s.section == "7")
    assert (s7.status, s7.reason, s7.wordings) == (
        "apart",
        "56/2022 names 1 momentin 2 kohta but gives no text for it",
        (),
    )
    assert "7 § ei koottu automaattisesti (left apart): 56/2022 names 1 momentin 2 kohta" in format_consolidation([h])


def test_lahde_consolidation_reports_the_statutes_corpus():
    if not FINLEX.is_dir():
        pytest.skip("shared Finlex corpus not found")
    run = lahde_cli("consolidation", env={"LAHDE_SOURCES": str(REPO / "corpus" / "statutes.toml")})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert (
        "531/2017 Laki ammatillisesta koulutuksesta (fi): 141 sections, 67 amended: 67 consolidated, 0 left apart"
        in lines
    )
    assert "1214/2020 Läropliktslag (sv): 26 sections, 14 amended: 13 consolidated, 1 left apart" in lines
    assert lines[-1] == "In all: 202 amended sections, 200 consolidated automatically, 2 left apart"


def _base(*subs: Subsection) -> Statute:
    entry = Section("9", "Voimaantulo", None, None, (Subsection("Tämä laki tulee voimaan 1 päivänä tammikuuta 2020."),))
    return Statute("1/2020", "Testilaki", "laki", "fi", (), (Section("5", "Otsikko", None, None, subs), entry))


def _act(preamble: str, *subs: Subsection, partial: bool = False) -> Statute:
    section = Section("5", "Otsikko", None, None, subs, partial=partial)
    return Statute(
        "2/2021",
        "Laki testilain muuttamisesta",
        "laki",
        "fi",
        (f"Eduskunnan päätöksen mukaisesti {preamble} seuraavasti:",),
        (section,),
        entry_into_force=("Tämä laki tulee voimaan 1 päivänä tammikuuta 2022.",),
    )


LIST = Subsection("Luettelo:\n1) yksi;\n2) kaksi.", ("1) yksi;", "2) kaksi."), "Luettelo:")


@pytest.mark.parametrize(
    ("act", "reason"),
    [
        (
            _act("muutetaan testilain (1/2020) 5 §:n 2 momentti", Subsection("Uusi B."), Subsection("Uusi C.")),
            "2/2021 gives more momentit than it names",
        ),
        (
            _act("lisätään testilain (1/2020) 5 §:ään uusi 4 momentti", Subsection("Uusi D."), partial=True),
            "2/2021: 4 momentti named; the section has 2",
        ),
        (
            _act(
                "muutetaan testilain (1/2020) 5 §:n 1 momentti",
                Subsection("Luettelo:\n1) uusi yksi;", ("1) uusi yksi;",), "Luettelo:", partial=True),
                partial=True,
            ),
            "2/2021 gives 1 momentti in part (– – –)",
        ),
        (
            _act("muutetaan testilain (1/2020) 5 §:n 1 momentin 3 kohta", LIST, partial=True),
            "2/2021 names 1 momentin 3 kohta but gives no text for it",
        ),
    ],
)
def test_an_act_that_does_not_match_its_preamble_is_left_apart(act, reason):
    (history,) = consolidate_all([_base(LIST, Subsection("B.")), act])
    (section,) = history.sections
    assert (section.status, section.reason) == ("apart", reason)


def test_a_kohta_change_keeps_the_rest_of_the_momentti():
    act = _act(
        "muutetaan testilain (1/2020) 5 §:n 1 momentin 2 kohta",
        Subsection("Luettelo:\n2) uusi kaksi.", ("2) uusi kaksi.",), "Luettelo:", partial=True),
        partial=True,
    )
    (history,) = consolidate_all([_base(LIST, Subsection("B.")), act])
    (section,) = history.sections
    now = section.at("2022-01-01")
    assert now is not None and now.texts("fi") == ["Luettelo:\n1) yksi;\n2) uusi kaksi.", "B."]
    assert [p.act for p in now.momentit[0].pieces] == ["1/2020", "1/2020", "2/2021"]
    assert section.at("2021-12-31").texts("fi") == ["Luettelo:\n1) yksi;\n2) kaksi.", "B."]
