"""The perusteet' part of the dev set (tests/eval/perusteet/): well-formed, every judgement's evidence in its unit."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from ingest.eperusteet import read_peruste
from ingest.peruste_chunks import peruste_to_documents
from retrieval.evaluate import load_qrels, load_questions
from tests.paths import REPO

DATA = REPO / "tests" / "eval" / "perusteet"
PERUSTE = REPO.parent / "shared" / "corpus" / "eperusteet" / "peruste"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_shape_of_the_set():
    questions = load_questions(DATA / "questions.tsv")
    qrels = load_qrels(DATA / "qrels.tsv")
    assert len(questions) >= 25
    assert {q.lang for q in questions} == {"fi", "sv"}
    assert [q.qid for q in questions] == [f"pe-{n:03d}" for n in range(1, len(questions) + 1)]
    assert set(qrels) == {q.qid for q in questions}
    grade_two = Counter(r["qid"] for r in _rows("qrels.tsv") if r["grade"] == "2")
    assert all(grade_two[q.qid] == 1 for q in questions)
    assert len({r["peruste"] for r in _rows("qrels.tsv")}) == 7


def test_every_evidence_phrase_is_in_its_unit_in_the_question_language():
    if not PERUSTE.is_dir():
        pytest.skip("shared ePerusteet corpus not found")
    texts: dict[tuple[str, str, str], str] = {}
    for path in sorted(PERUSTE.glob("*.json")):
        for doc in peruste_to_documents(read_peruste(path)):
            for chunk in doc.chunks:
                c = chunk.citation
                key = (c.peruste or "", c.unit or "", c.lang)
                texts[key] = texts.get(key, "") + "\n" + " ".join(chunk.text.split())
    langs = {q.qid: q.lang for q in load_questions(DATA / "questions.tsv")}
    missing = [
        (r["qid"], r["unit"])
        for r in _rows("qrels.tsv")
        if " ".join(r["evidence"].split()) not in texts.get((r["peruste"], r["unit"], langs[r["qid"]]), "")
    ]
    assert missing == []
