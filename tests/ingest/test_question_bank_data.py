"""The question bank as committed (corpus/questions/): it matches the real corpus and covers every section.

The same check `lahde build` runs (every answer phrase in its section's text, in its language)
over the whole Finlex corpus, plus coverage: at least three Finnish questions for every numbered
section of the nine statutes (sections added by amending acts included, sections repealed as a
whole left out) and a Swedish one for every section of the four core statutes. No bank question
may repeat a question of an evaluation set. About two seconds, no model.
"""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from ingest.amendments import parse_amendment
from ingest.corpus import ingest_files
from ingest.finlex import read_statute
from ingest.questions import DEFAULT_BANK, attach_bank, bank_files, load_bank
from tests.paths import FINLEX, REPO

STATUTES = [
    "531/2017",
    "673/2017",
    "1214/2020",
    "1215/2020",
    "434/2003",
    "738/2002",
    "998/1993",
    "1287/2013",
    "884/2017",
]
CORE = {"531/2017", "673/2017", "1214/2020", "1215/2020"}
EVAL_SETS = ["tests/eval", "tests/eval/heldout", "tests/eval/blind"]


def _file(statute: str, lang: str = "fi") -> Path:
    number, year = statute.split("/")
    return FINLEX / lang / f"asd{year}{int(number):04d}.xml"


@pytest.fixture(scope="module")
def corpus():
    if not FINLEX.exists():
        pytest.skip(f"shared Finlex corpus not found at {FINLEX}")
    report = ingest_files(sorted(FINLEX.glob("*/*.xml")))
    assert not report.errors
    return report.documents


@pytest.fixture(scope="module")
def entries():
    return load_bank(DEFAULT_BANK)


def _expected_sections(statute: str) -> set[str]:
    """Numbered sections of the enacted text, plus those amending acts add, minus those they repeal whole."""
    sections = {s.number for s in read_statute(_file(statute)).sections if s.number}
    for path in sorted((FINLEX / "fi").glob("*.xml")):
        for change in parse_amendment(read_statute(path)):
            if change.statute != statute or not change.section or change.part is not None:
                continue
            if change.change == "add":
                sections.add(change.section)
            elif change.change == "repeal":
                sections.discard(change.section)
    return sections


def test_one_file_per_statute_named_for_it():
    names = {p.name: tomllib.loads(p.read_text(encoding="utf-8"))["statute"] for p in bank_files(DEFAULT_BANK)}
    assert names == {s.replace("/", "-") + ".toml": s for s in STATUTES}


def test_every_answer_phrase_is_in_its_section(corpus, entries):
    report = attach_bank(entries, corpus)  # raises QuestionBankError naming every bad entry
    assert len(report.questions) == len(entries) and report.skipped == 0
    # Each phrase is in the wording in force, never only in a superseded one ("…s97@2018-01-01").
    assert [q.source for q in report.questions if "@" in q.chunk_id] == []


@pytest.mark.parametrize("statute", STATUTES)
def test_every_section_has_its_questions(entries, statute):
    fi = Counter(e.section for e in entries if e.statute == statute and e.lang == "fi")
    sv = Counter(e.section for e in entries if e.statute == statute and e.lang == "sv")
    expected = _expected_sections(statute)
    assert sorted(s for s in expected if fi[s] < 3) == []
    if statute in CORE:
        assert sorted(s for s in expected if sv[s] < 1) == []
    assert sorted((set(fi) | set(sv)) - expected) == []  # no questions for repealed or unknown sections


def test_no_bank_question_repeats_an_eval_question(entries):
    asked: set[str] = set()
    for folder in EVAL_SETS:
        for name in ("questions.tsv", "unanswerable.tsv"):
            path = REPO / folder / name
            if path.exists():
                with path.open(encoding="utf-8", newline="") as fh:
                    asked |= {" ".join(r["question"].lower().split()) for r in csv.DictReader(fh, delimiter="\t")}
    assert [e.source for e in entries if e.text.lower() in asked] == []


def test_questions_are_not_repeated(entries):
    counts = Counter((e.statute, e.lang, e.text.lower()) for e in entries)
    assert [k for k, n in counts.items() if n > 1] == []
