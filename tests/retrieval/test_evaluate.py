"""The evaluation harness: section mapping, de-duplication and the four metrics, exactly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ingest.models import Chunk, Citation
from retrieval.evaluate import (
    EvalDataError,
    Question,
    dedupe_keys,
    evaluate,
    fold_judgements,
    format_table,
    load_qrels,
    load_questions,
    normalise_section,
    score_ranking,
    version_map,
)

REPO = Path(__file__).resolve().parents[2]


def _chunk(cid: str, statute: str | None, section: str | None, lang: str = "fi", amends: str | None = None) -> Chunk:
    cit = Citation(
        doc_id="d",
        doc_title="T",
        kind="laki",
        lang=lang,
        label=cid,
        statute=statute,
        section=section,
        amends_statute=amends,
    )
    return Chunk(id=cid, text="", citation=cit)


def test_amending_acts_sections_fold_into_the_section_they_rewrite():
    chunks = [
        _chunk("fi.718-2022.s97", "718/2022", "97", amends="531/2017"),
        _chunk("fi.531-2017.s96", "531/2017", "96"),
        _chunk("fi.531-2017.s97", "531/2017", "97"),
        _chunk("fi.1218-2020.s97", "1218/2020", "97", amends="531/2017"),
        _chunk("fi.718-2022.svoimaantulo", "718/2022", None, amends="531/2017"),
    ]
    versions = version_map(chunks)
    assert versions == {("718/2022", "97"): ("531/2017", "97"), ("1218/2020", "97"): ("531/2017", "97")}
    assert dedupe_keys(chunks, versions) == [("531/2017", "97"), ("531/2017", "96"), ("", "fi.718-2022.svoimaantulo")]
    assert dedupe_keys(chunks) == [
        ("718/2022", "97"),
        ("531/2017", "96"),
        ("531/2017", "97"),
        ("1218/2020", "97"),
        ("", "fi.718-2022.svoimaantulo"),
    ]
    judged = {("531/2017", "97"): 1, ("718/2022", "97"): 2, ("1214/2020", "13"): 1}
    assert fold_judgements(judged, versions) == {("531/2017", "97"): 2, ("1214/2020", "13"): 1}
    # Folded, the amending act's hit at rank 1 finds the one judged section; per act, recall is 1/3.
    q = Question("q", "fi", "ero")
    folded = evaluate("f", [q], {"q": judged}, lambda _q: chunks[:1], versions)
    per_act = evaluate("p", [q], {"q": judged}, lambda _q: chunks[:1])
    assert folded.means["R@5"] == pytest.approx(1 / 2) and per_act.means["R@5"] == pytest.approx(1 / 3)


def test_sections_are_normalised():
    assert normalise_section("52a") == normalise_section("52 A") == "52 a"
    assert normalise_section("44") == "44"


def test_dedupe_merges_momentti_chunks_and_languages():
    chunks = [
        _chunk("fi.531-2017.s45.m2-3", "531/2017", "45"),
        _chunk("sv.531-2017.s45", "531/2017", "45", "sv"),
        _chunk("fi.531-2017.s44", "531/2017", "44"),
        _chunk("fi.531-2017.s45.m1", "531/2017", "45"),
        _chunk("guide.1", None, None),
    ]
    assert dedupe_keys(chunks) == [("531/2017", "45"), ("531/2017", "44"), ("", "guide.1")]


def test_score_ranking_exact_values():
    judged = {("A", "1"): 2, ("A", "2"): 1}
    ranked = [("B", "9"), ("A", "2"), ("A", "1")]
    m = score_ranking(ranked, judged)
    assert m["R@5"] == 1.0 and m["R@10"] == 1.0
    assert m["MRR@10"] == 0.5
    dcg = 1 / math.log2(3) + 3 / math.log2(4)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert m["nDCG@10"] == pytest.approx(dcg / idcg)
    assert score_ranking([("X", "1")] * 1, judged) == {
        "R@5": 0.0,
        "R@10": 0.0,
        "nDCG@10": 0.0,
        "MRR@10": 0.0,
        "S@5": 0.0,
    }
    # S@5 needs the settling (grade-2) section in the top 5; a related (grade-1) one is not enough.
    assert score_ranking([("A", "2")], judged)["S@5"] == 0.0 and m["S@5"] == 1.0


def test_recall_at_5_ignores_hits_below_rank_5():
    judged = {("A", "1"): 2}
    ranked = [("B", str(i)) for i in range(5)] + [("A", "1")]
    m = score_ranking(ranked, judged)
    assert (m["R@5"], m["R@10"], m["MRR@10"]) == (0.0, 1.0, pytest.approx(1 / 6))


def test_evaluate_averages_over_judged_questions_and_formats_a_table():
    qs = [Question("q1", "fi", "a"), Question("q2", "sv", "b"), Question("q3", "fi", "unjudged")]
    qrels = {"q1": {("S", "1"): 2}, "q2": {("S", "2"): 2}}
    answers = {"a": [_chunk("c1", "S", "1")], "b": [_chunk("c3", "S", "3"), _chunk("c2", "S", "2")]}
    result = evaluate("test", qs, qrels, lambda q: answers[q.text])
    assert set(result.per_question) == {"q1", "q2"}
    assert result.means["MRR@10"] == pytest.approx((1.0 + 0.5) / 2)
    table = format_table([result], {"fi": ["q1"], "sv": ["q2"]})
    assert "| test | 2 | 1.000 | 1.000 |" in table
    assert "| test (sv) | 1 | 1.000 | 1.000 | 0.631 | 0.500 |" in table


def test_the_dev_set_loads():
    questions = load_questions(REPO / "tests/eval/questions.tsv")
    qrels = load_qrels(REPO / "tests/eval/qrels.tsv")
    assert len(questions) == 109 and len(qrels) == 109
    assert qrels["fi-001"] == {("531/2017", "45"): 2, ("531/2017", "44"): 1}


def test_malformed_files_name_the_file_and_field(tmp_path: Path):
    bad = tmp_path / "qrels.tsv"
    bad.write_text("qid\tstatute\tsection\tgrade\nq1\t531/2017\t44\tkaksi\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"qrels.tsv:2: grade 'kaksi'"):
        load_qrels(bad)
    cols = tmp_path / "questions.tsv"
    cols.write_text("id\ttext\nq1\tx\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"questions.tsv: missing column\(s\) qid, lang, question"):
        load_questions(cols)
