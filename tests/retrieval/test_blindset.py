"""The blind set (tests/eval/blind/): well-formed, its sizes as the issue asks, every gold's evidence in the law.

Every qrel carries a verbatim evidence phrase; it must occur in that section's text as the
product reads it (ingest.finlex), in the question's language. An amendment question's evidence
must come from an amending act and must not occur in the base statute's original section: the
answer is only in the amending act's wording. No model, about a second.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import pytest

from ingest.amendments import parse_amendment
from ingest.finlex import Statute, read_statute
from retrieval.references import normalise_section

BLIND = Path(__file__).resolve().parents[1] / "eval" / "blind"
EVAL = BLIND.parent
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "finlex"
QID_RE = re.compile(r"^bl-(fi|sv)-\d{3}$")
UN_RE = re.compile(r"^bl-un-\d{3}$")
STYLES = {"situation", "direct", "keywords"}


def _rows(path: Path, header: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows and rows[0] == header, f"{path.name}: header must be {header}"
    for i, r in enumerate(rows[1:], start=2):
        assert len(r) == len(header), f"{path.name}:{i}: {len(r)} columns"
        assert all(c and c == c.strip() for c in r), f"{path.name}:{i}: empty or padded cell"
    return [dict(zip(header, r)) for r in rows[1:]]


def _norm(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=None)
def _statute(lang: str, statute: str) -> Statute | None:
    number, year = statute.split("/")
    path = CORPUS / lang / f"asd{year}{int(number):04d}.xml"
    return read_statute(path) if path.exists() else None


def _section_text(lang: str, statute: str, section: str) -> str | None:
    st = _statute(lang, statute)
    if st is None:
        return None
    for sec in st.sections:
        if sec.number and normalise_section(sec.number) == normalise_section(section):
            return _norm(sec.text)
    return None


@pytest.fixture(scope="module")
def questions() -> list[dict[str, str]]:
    return _rows(BLIND / "questions.tsv", ["qid", "lang", "style", "amendment", "question"])


@pytest.fixture(scope="module")
def qrels() -> list[dict[str, str]]:
    return _rows(BLIND / "qrels.tsv", ["qid", "statute", "section", "grade", "evidence"])


@pytest.fixture(scope="module")
def unanswerable() -> list[dict[str, str]]:
    return _rows(BLIND / "unanswerable.tsv", ["qid", "lang", "question", "near"])


def test_sizes_as_the_issue_asks(questions, unanswerable):
    assert len(questions) + len(unanswerable) == 80
    assert len(unanswerable) == 30
    assert sum(q["lang"] == "sv" for q in questions + unanswerable) >= 12
    assert sum(q["style"] == "situation" for q in questions) >= 30
    assert sum(q["amendment"] == "1" for q in questions) >= 10


def test_questions_well_formed(questions, unanswerable):
    qids = [q["qid"] for q in questions + unanswerable]
    assert len(qids) == len(set(qids))
    for q in questions:
        m = QID_RE.match(q["qid"])
        assert m and m.group(1) == q["lang"], q["qid"]
        assert q["style"] in STYLES and q["amendment"] in {"0", "1"}, q["qid"]
    for q in unanswerable:
        assert UN_RE.match(q["qid"]) and q["lang"] in {"fi", "sv"}, q["qid"]


def test_no_question_repeats_another_set(questions, unanswerable):
    other = set()
    for path in (EVAL / "questions.tsv", EVAL / "heldout" / "questions.tsv", EVAL / "unanswerable.tsv"):
        other |= {_norm(r["question"]).lower() for r in _rows(path, ["qid", "lang", "question"])}
    repeated = [q["qid"] for q in questions + unanswerable if _norm(q["question"]).lower() in other]
    assert repeated == []


def test_every_question_has_a_settling_gold(questions, qrels):
    by_qid: dict[str, list[dict[str, str]]] = {}
    for r in qrels:
        by_qid.setdefault(r["qid"], []).append(r)
    assert set(by_qid) == {q["qid"] for q in questions}
    for qid, rows in by_qid.items():
        assert 1 <= len(rows) <= 4, qid
        assert {r["grade"] for r in rows} <= {"1", "2"} and any(r["grade"] == "2" for r in rows), qid
        assert len({(r["statute"], normalise_section(r["section"])) for r in rows}) == len(rows), qid


def test_every_evidence_phrase_is_in_its_section(questions, qrels):
    lang = {q["qid"]: q["lang"] for q in questions}
    missing = []
    for r in qrels:
        text = _section_text(lang[r["qid"]], r["statute"], r["section"])
        if text is None or _norm(r["evidence"]) not in text:
            missing.append((r["qid"], r["statute"], r["section"], "no section" if text is None else r["evidence"]))
    assert missing == []


def test_amendment_answers_are_only_in_the_amending_act(questions, qrels):
    lang = {q["qid"]: q["lang"] for q in questions}
    wrong = []
    for q in (q for q in questions if q["amendment"] == "1"):
        ok = False
        for r in (r for r in qrels if r["qid"] == q["qid"] and r["grade"] == "2"):
            act = _statute(lang[r["qid"]], r["statute"])
            assert act is not None
            bases = {c.statute for c in parse_amendment(act)}
            if not bases:
                continue  # an original act, not an amending one
            base_texts = [_section_text(lang[r["qid"]], b, r["section"]) or "" for b in bases]
            if all(_norm(r["evidence"]) not in t for t in base_texts):
                ok = True
        if not ok:
            wrong.append(q["qid"])
    assert wrong == []
