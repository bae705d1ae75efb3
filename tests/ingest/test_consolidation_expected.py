"""Consolidated wordings against texts written by hand from the acts (tests/ingest/data/consolidated/).

The expected files were written by readers who applied the amending acts by hand, never running
the project's code; each case names a statute, section, language and date, and gives the heading,
the momentit as rendered text and the acts whose text each momentti holds.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ingest.consolidation import consolidate_all
from ingest.consolidation_model import SectionHistory, StatuteHistory
from ingest.finlex import read_statute
from tests.paths import FINLEX

DATA = Path(__file__).parent / "data" / "consolidated"
# Cases the product leaves apart on purpose, with the reason it gives: the act's text does not
# say unambiguously where it goes, so the enacted text and the amending act are shown side by side.
EXPECTED_APART = {
    # 56/2022 names "7 §:n 1 momentin 2 kohta" but numbers its new kohta "1)" (both languages);
    # the base fi file also codes 7 §'s 2–4 momentit as kohdat of its 1 momentti.
    ("1214/2020", "7"): "56/2022 names 1 momentin 2 kohta but gives no text for it",
}


def _cases() -> list[dict]:
    cases = []
    for path in sorted(DATA.glob("*.toml")):
        for i, case in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["case"]):
            case["id"] = f"{path.stem}#{i + 1}:{case['statute']}:{case['section']}:{case['lang']}:{case['date']}"
            cases.append(case)
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def histories() -> dict[tuple[str, str], StatuteHistory]:
    if not FINLEX.is_dir():
        pytest.skip(f"shared Finlex corpus not found at {FINLEX}")
    statutes = [read_statute(p) for p in sorted(FINLEX.glob("*/*.xml"))]
    return {(h.statute, h.lang): h for h in consolidate_all(statutes)}


def _section(histories: dict[tuple[str, str], StatuteHistory], case: dict) -> SectionHistory:
    history = histories[(case["statute"], case["lang"])]
    found = [s for s in history.sections if s.section == case["section"]]
    assert len(found) == 1, f"{case['section']} § not among the amended sections of {case['statute']}"
    return found[0]


def test_the_cases_cover_what_the_issue_asks():
    statutes = {c["statute"] for c in CASES}
    assert statutes == {"531/2017", "673/2017", "1214/2020", "1215/2020"}
    assert {c["lang"] for c in CASES} == {"fi", "sv"}
    amended = {(c["statute"], c["section"]) for c in CASES}
    assert len(amended) >= 15
    dates_97 = {c["date"] for c in CASES if (c["statute"], c["section"], c["lang"]) == ("531/2017", "97", "fi")}
    assert {"2021-07-31", "2021-08-01", "2022-08-01"} <= dates_97
    assert any(c.get("repealed_by") for c in CASES)
    assert any(c.get("absent") for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_wording_on_date_matches_the_hand_check(histories, case):
    section = _section(histories, case)
    apart = EXPECTED_APART.get((case["statute"], case["section"]))
    if apart is not None:
        assert (section.status, section.reason) == ("apart", apart)
        assert section.at(case["date"]) is None
        return
    assert section.status == "consolidated", section.reason
    wording = section.at(case["date"])
    if case.get("absent"):
        assert wording is None
        return
    assert wording is not None, f"no wording on {case['date']}"
    if case.get("repealed_by"):
        assert wording.repealed_by == case["repealed_by"]
        assert wording.momentit == ()
        assert wording.valid_from == case["since"]
        return
    assert wording.repealed_by is None
    assert wording.texts(case["lang"]) == case["momentit"]
    assert (wording.heading.text if wording.heading else "") == case["heading"]
    assert [list(m.acts) for m in wording.momentit] == case["acts"]
    assert wording.valid_from == case["since"]


def _act_text(path: Path) -> str:
    """All the text of an act's XML file, whitespace collapsed: read with ElementTree, not the product's reader."""
    return " ".join("".join(ET.parse(path).getroot().itertext()).split())


def test_every_consolidated_piece_is_verbatim_from_its_act(histories):
    """No consolidated text is written by the product: each piece occurs in the act it names.

    A piece is one element's text (a momentti, a lead-in, a kohta with its sub-items, a heading),
    so it must occur whole in the act's file; the check reads the file with ElementTree alone.
    """
    cache: dict[tuple[str, str], str] = {}
    checked = 0
    for history in histories.values():
        for section in history.sections:
            for wording in section.wordings:
                pieces = [wording.heading] if wording.heading else []
                pieces += [p for m in wording.momentit for p in m.pieces]
                for piece in pieces:
                    if piece.repealed:
                        assert piece.text == ""
                        continue
                    number, year = piece.act.split("/")
                    key = (piece.act, history.lang)
                    if key not in cache:
                        cache[key] = _act_text(FINLEX / history.lang / f"asd{year}{int(number):04d}.xml")
                    text = " ".join(piece.text.split())
                    assert text in cache[key], f"{history.statute} {section.section} §: not in {piece.act}: {text[:80]}"
                    checked += 1
    assert checked > 1000
