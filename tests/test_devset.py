"""Well-formedness checks for the retrieval dev set in tests/eval/ (no model, fast).

Checks headers, unique qids, languages, grades, that every question has a grade-2
qrel, and that every qrel's (statute, section) exists as a numbered ``saa:Pykala`` in
the Finlex XML under ``<repo parent>/shared/corpus/finlex`` (Finnish file for every
qrel, and also the Swedish file for questions asked in Swedish).
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

EVAL_DIR = Path(__file__).resolve().parent / "eval"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "finlex"
NS = "{http://www.vn.fi/skeemat/saadoskooste/2010/04/27}"

QID_RE = {"fi": re.compile(r"^fi-\d{3}$"), "sv": re.compile(r"^sv-\d{3}$")}
UN_QID_RE = re.compile(r"^un-\d{3}$")
STATUTE_RE = re.compile(r"^(\d{1,4})/(\d{4})$")
SECTION_RE = re.compile(r"^\d+( [a-z])?$")


def _read_tsv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    path = EVAL_DIR / name
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = [r for r in reader]
    assert rows, f"{name} is empty"
    header, body = rows[0], rows[1:]
    for i, r in enumerate(body, start=2):
        assert len(r) == len(header), f"{name}:{i}: expected {len(header)} columns, got {len(r)}: {r!r}"
        assert all(c == c.strip() and c for c in r), f"{name}:{i}: empty or padded cell: {r!r}"
    return header, [dict(zip(header, r)) for r in body]


def _norm_section(text: str) -> str:
    """'52\u00a0a §' / ' 91 §' / '15\u2009§' -> '52 a' / '91' / '15'."""
    return re.sub(r"\s+", " ", text).replace("§", "").strip()


@lru_cache(maxsize=None)
def _sections(lang: str, statute: str) -> frozenset[str]:
    m = STATUTE_RE.match(statute)
    assert m, statute
    number, year = int(m.group(1)), m.group(2)
    path = CORPUS / lang / f"asd{year}{number:04d}.xml"
    if not path.exists():
        return frozenset()
    found = set()
    for pykala in ET.parse(path).getroot().iter(NS + "Pykala"):
        tunnus = pykala.find(NS + "PykalaTunnusKooste")
        if tunnus is None:  # entry-into-force provision has no number
            continue
        found.add(_norm_section("".join(tunnus.itertext())))
    return frozenset(found)


@pytest.fixture(scope="module")
def questions():
    header, rows = _read_tsv("questions.tsv")
    assert header == ["qid", "lang", "question"]
    return rows


@pytest.fixture(scope="module")
def qrels():
    header, rows = _read_tsv("qrels.tsv")
    assert header == ["qid", "statute", "section", "grade"]
    return rows


@pytest.fixture(scope="module")
def unanswerable():
    header, rows = _read_tsv("unanswerable.tsv")
    assert header == ["qid", "lang", "question"]
    return rows


def test_questions_well_formed(questions):
    qids = [q["qid"] for q in questions]
    dupes = [k for k, v in Counter(qids).items() if v > 1]
    assert not dupes, f"duplicate qids: {dupes}"
    for q in questions:
        assert q["lang"] in ("fi", "sv"), q
        assert QID_RE[q["lang"]].match(q["qid"]), f"qid does not match lang: {q}"
    langs = Counter(q["lang"] for q in questions)
    assert len(questions) >= 70
    assert langs["sv"] >= 10
    texts = [q["question"].casefold() for q in questions]
    assert len(set(texts)) == len(texts), "duplicate question texts"


def test_qrels_well_formed(questions, qrels):
    qids = {q["qid"] for q in questions}
    seen = set()
    for r in qrels:
        assert r["qid"] in qids, f"qrel for unknown qid: {r}"
        assert r["grade"] in ("1", "2"), f"grade must be 1 or 2: {r}"
        assert STATUTE_RE.match(r["statute"]), f"bad statute id: {r}"
        assert SECTION_RE.match(r["section"]), f"bad section (no '§', e.g. '44' or '52 a'): {r}"
        key = (r["qid"], r["statute"], r["section"])
        assert key not in seen, f"duplicate qrel: {key}"
        seen.add(key)


def test_every_question_has_grade2(questions, qrels):
    with_gold = {r["qid"] for r in qrels if r["grade"] == "2"}
    missing = sorted(q["qid"] for q in questions if q["qid"] not in with_gold)
    assert not missing, f"questions without a grade-2 qrel: {missing}"


def test_corpus_present():
    assert (CORPUS / "fi").is_dir() and (CORPUS / "sv").is_dir(), f"Finlex corpus not found at {CORPUS}"


def test_qrel_sections_exist_in_finlex(questions, qrels):
    if not CORPUS.is_dir():
        pytest.fail(f"Finlex corpus not found at {CORPUS}")
    lang_of = {q["qid"]: q["lang"] for q in questions}
    missing = []
    for r in qrels:
        langs = {"fi", lang_of[r["qid"]]}
        for lang in sorted(langs):
            if r["section"] not in _sections(lang, r["statute"]):
                missing.append(f"{r['qid']}: {r['statute']} {r['section']} § not in {lang}/")
    assert not missing, "qrels pointing at sections absent from the corpus:\n" + "\n".join(missing)


def test_unanswerable_well_formed(questions, unanswerable):
    qids = [u["qid"] for u in unanswerable]
    assert len(set(qids)) == len(qids), "duplicate unanswerable qids"
    assert 15 <= len(unanswerable) <= 20
    answerable = {q["question"].casefold() for q in questions}
    for u in unanswerable:
        assert UN_QID_RE.match(u["qid"]), u
        assert u["lang"] in ("fi", "sv"), u
        assert u["question"].casefold() not in answerable, f"also listed as answerable: {u}"
