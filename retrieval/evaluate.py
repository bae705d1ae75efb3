"""Retrieval evaluation: Recall@5, Recall@10, nDCG@10 and MRR@10 over (statute, section) judgements.

Hits are mapped to the section they cite (``citation.statute`` + ``citation.section``) and
de-duplicated before scoring, so a section split into several chunks (momentti runs) or present
in both languages counts once, at its best rank. Gains for nDCG are ``2^grade - 1`` (grade 2 → 3,
grade 1 → 1); recall and MRR count every judged section (grade ≥ 1) as relevant. S@5 is the
coach's view: the share of questions with a section that settles them (grade 2) in the top 5.

Versions: the corpus holds each statute as enacted plus its amending acts, and an amending act's
section is a new wording of the base statute's section (``718/2022 97 §`` rewrites
``531/2017 97 §``). By default such a section is scored as the section it rewrites, in the hits
and in the judgements alike (the best grade wins), because the citation a coach gives is
"531/2017 97 §" whichever wording the hit showed. ``fold_versions=False`` scores every act's
section separately, as the dev set's qrels list them (docs/retrieval.md has both figures).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ingest.models import Chunk

from .errors import EvalDataError
from .references import normalise_section
from .search import Searcher
from .types import EvalResult, Question

Key = tuple[str, str]  # (statute, section)
METRICS = ("R@5", "R@10", "nDCG@10", "MRR@10", "S@5")


def _rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise EvalDataError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(columns)})")
            return list(reader)
    except OSError as exc:
        raise EvalDataError(f"{path}: cannot read: {exc}") from exc


def load_questions(path: str | Path) -> list[Question]:
    """Read questions.tsv (qid, lang, question)."""
    rows = _rows(Path(path), ("qid", "lang", "question"))
    return [Question(r["qid"], r["lang"], r["question"]) for r in rows]


def load_qrels(path: str | Path) -> dict[str, dict[Key, int]]:
    """Read qrels.tsv into qid → {(statute, section): grade}.

    Columns ``qid statute section grade``, or for perusteet ``qid peruste unit grade`` (the
    diaarinumero and the tutkinnon osa's or koulutuksen osa's code).
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split("\t")
    except OSError as exc:
        raise EvalDataError(f"{path}: cannot read: {exc}") from exc
    doc, part = ("peruste", "unit") if "peruste" in header else ("statute", "section")
    out: dict[str, dict[Key, int]] = {}
    for n, r in enumerate(_rows(path, ("qid", doc, part, "grade")), start=2):
        try:
            grade = int(r["grade"])
        except (TypeError, ValueError) as exc:
            raise EvalDataError(f"{path}:{n}: grade {r['grade']!r} is not an integer") from exc
        out.setdefault(r["qid"], {})[(r[doc], normalise_section(r[part]))] = grade
    return out


def section_key(chunk: Chunk) -> Key | None:
    """The (statute, section) a chunk cites — for a peruste (diaarinumero, unit) — or None outside either."""
    c = chunk.citation
    peruste, unit = getattr(c, "peruste", None), getattr(c, "unit", None)
    if peruste and unit:
        return (peruste, normalise_section(unit))
    if c.statute is None or c.section is None:
        return None
    return (c.statute, normalise_section(c.section))


def version_map(chunks: Sequence[Chunk]) -> dict[Key, Key]:
    """Amending acts' sections → the base (statute, section) each rewrites, read from the citations."""
    out: dict[Key, Key] = {}
    for ch in chunks:
        key = section_key(ch)
        if key is not None and ch.citation.amends_statute and ch.citation.amends_statute != key[0]:
            out[key] = (ch.citation.amends_statute, key[1])
    return out


def fold_judgements(judged: dict[Key, int], versions: dict[Key, Key]) -> dict[Key, int]:
    """Judgements with amending acts' sections merged into the section they rewrite (best grade wins)."""
    out: dict[Key, int] = {}
    for key, grade in judged.items():
        base = versions.get(key, key)
        out[base] = max(out.get(base, grade), grade)
    return out


def dedupe_keys(chunks: Sequence[Chunk], versions: dict[Key, Key] | None = None) -> list[Key]:
    """Sections in first-seen order (versions folded when a map is given); chunks without a section keep a unique key."""
    seen: dict[Key, None] = {}
    for ch in chunks:
        key = section_key(ch)
        key = ("", ch.id) if key is None else (versions or {}).get(key, key)
        seen.setdefault(key, None)
    return list(seen)


def score_ranking(ranked: Sequence[Key], judged: dict[Key, int]) -> dict[str, float]:
    """The four metrics for one ranked list of section keys against its judgements."""
    relevant = {k for k, g in judged.items() if g > 0}
    if not relevant:
        raise ValueError("a question without relevant sections cannot be scored")
    out = {
        "R@5": len(relevant & set(ranked[:5])) / len(relevant),
        "R@10": len(relevant & set(ranked[:10])) / len(relevant),
    }
    dcg = sum((2 ** judged.get(k, 0) - 1) / math.log2(i + 2) for i, k in enumerate(ranked[:10]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    out["nDCG@10"] = dcg / idcg if idcg else 0.0
    out["MRR@10"] = next((1.0 / (i + 1) for i, k in enumerate(ranked[:10]) if k in relevant), 0.0)
    settling = {k for k, g in judged.items() if g >= 2} or relevant
    out["S@5"] = 1.0 if settling & set(ranked[:5]) else 0.0
    return out


def evaluate(
    name: str,
    questions: Sequence[Question],
    qrels: dict[str, dict[Key, int]],
    retrieve: Callable[[Question], Sequence[Chunk]],
    versions: dict[Key, Key] | None = None,
) -> EvalResult:
    """Run ``retrieve`` for every judged question and average the metrics (versions folded when a map is given)."""
    per: dict[str, dict[str, float]] = {}
    for q in questions:
        judged = qrels.get(q.qid)
        if not judged:
            continue
        if versions:
            judged = fold_judgements(judged, versions)
        per[q.qid] = score_ranking(dedupe_keys(retrieve(q), versions), judged)
    if not per:
        raise EvalDataError("no question has judgements: check that the questions and qrels files match")
    means = {m: sum(p[m] for p in per.values()) / len(per) for m in METRICS}
    return EvalResult(name, means, per)


def format_table(results: Sequence[EvalResult], subsets: Mapping[str, Sequence[str]] | None = None) -> str:
    """A Markdown table: one row per mode (and per subset of question ids when given)."""
    head = "| mode | questions | " + " | ".join(METRICS) + " |"
    lines = [head, "|" + "---|" * (len(METRICS) + 2)]
    groups = {"all": None, **(subsets or {})}
    for label, ids in groups.items():
        for r in results:
            per = r.per_question if ids is None else {q: r.per_question[q] for q in ids if q in r.per_question}
            if not per:
                continue
            means = {m: sum(p[m] for p in per.values()) / len(per) for m in METRICS}
            name = r.name if label == "all" else f"{r.name} ({label})"
            lines.append(f"| {name} | {len(per)} | " + " | ".join(f"{means[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines)


def evaluate_searcher(
    searcher: Searcher,
    questions_path: str | Path,
    qrels_path: str | Path,
    modes: Sequence[str] = ("lexical", "dense", "hybrid"),
    depth: int = 50,
    fold_versions: bool = True,
    compare_bank: bool = False,
) -> tuple[list[EvalResult], str]:
    """Evaluate a searcher in each mode; returns the results and a Markdown table (all, fi, sv).

    ``compare_bank`` also scores each mode with the question bank off (rows ``mode −bank``), when
    the index has a bank.
    """
    questions = load_questions(questions_path)
    qrels = load_qrels(qrels_path)
    versions = version_map(searcher.index.chunks) if fold_versions else None

    def retriever(s: Searcher, mode: str) -> Callable[[Question], list[Chunk]]:
        return lambda q: [h.chunk for h in s.search(q.text, k=depth, mode=mode).hits]

    variants: list[tuple[str, Searcher]] = [("", searcher)]
    if compare_bank and searcher.bank is not None and searcher.config.use_bank:
        variants.append((" −bank", searcher.with_config(replace(searcher.config, use_bank=False))))
    results = [
        evaluate(mode + suffix, questions, qrels, retriever(s, mode), versions)
        for mode in modes
        for suffix, s in variants
    ]
    by_lang: dict[str, list[str]] = {}
    for q in questions:
        by_lang.setdefault(q.lang, []).append(q.qid)
    return results, format_table(results, by_lang if len(by_lang) > 1 else None)
