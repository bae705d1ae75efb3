"""Compare analysers, glossary expansion and fusion settings on the retrieval dev set.

    python bench/tune_retrieval.py --index /work/.shared-cache/eval-index
    python bench/tune_retrieval.py --lexical-only      # analysers only; no model needed

Prints one Markdown table per experiment (R@5, R@10, nDCG@10, MRR@10 over (statute, section)).
Query vectors are computed once and reused by every configuration.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.analysis import ANALYZERS, create_analyzer  # noqa: E402
from index.lexical import LexicalIndex  # noqa: E402
from index.store import VectorIndex  # noqa: E402
from retrieval.evaluate import EvalResult, evaluate, format_table, load_qrels, load_questions  # noqa: E402
from retrieval.glossary import DEFAULT_GLOSSARY, Glossary  # noqa: E402
from retrieval.search import (
    RetrievalConfig,
    Searcher,  # noqa: E402
)

sys.path.insert(0, str(REPO / "bench"))
from benchlib import MemoEmbedder  # noqa: E402


def run(searcher: Searcher, name: str, mode: str, questions, qrels, depth: int) -> EvalResult:  # type: ignore[no-untyped-def]
    return evaluate(
        name, questions, qrels, lambda q: [h.chunk for h in searcher.search(q.text, k=depth, mode=mode).hits]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="A full index (all statutes, fi + sv) built with the real model.")
    ap.add_argument("--lexical-only", action="store_true", help="Ingest the corpus and compare analysers only.")
    ap.add_argument("--questions", type=Path, default=REPO / "tests/eval/questions.tsv")
    ap.add_argument("--qrels", type=Path, default=REPO / "tests/eval/qrels.tsv")
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--analyzers", default=",".join(ANALYZERS))
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    questions, qrels = load_questions(args.questions), load_qrels(args.qrels)
    subsets: dict[str, list[str]] = {}
    for q in questions:
        subsets.setdefault(q.lang, []).append(q.qid)

    if args.lexical_only:
        from index.reindex import build_from_chunks
        from ingest.corpus import ingest_corpus, load_sources
        from tests.fakes import HashingEmbedder

        report = ingest_corpus(load_sources(REPO / "corpus/sources.toml"))
        chunks = [c for d in report.documents for c in d.chunks]
        tmp = Path(tempfile.mkdtemp()) / "index"
        embedder = MemoEmbedder(HashingEmbedder())
        build_from_chunks(tmp, chunks, embedder)  # type: ignore[arg-type]
        index = VectorIndex.load(tmp)
    else:
        from embedding.embedders import create_embedder

        index = VectorIndex.load(args.index)
        embedder = MemoEmbedder(create_embedder(index.manifest.backend))
    print(f"index: {len(index)} chunks; {len(questions)} questions\n")

    base = RetrievalConfig()
    results: list[EvalResult] = []
    searchers: dict[str, Searcher] = {}
    for name in args.analyzers.split(","):
        started = time.perf_counter()
        an = create_analyzer(name)
        lex = LexicalIndex.build(index.chunks, an)
        built = time.perf_counter() - started
        glossary = Glossary.load(DEFAULT_GLOSSARY, an)
        s = Searcher(embedder, index, lex, glossary, replace(base, use_glossary=False))  # type: ignore[arg-type]
        searchers[name] = s
        results.append(run(s, f"lexical {name}", "lexical", questions, qrels, args.depth))
        print(f"analyser {name}: analysed + indexed in {built:.1f} s", file=sys.stderr)
    print("### Analysers (lexical only, no glossary)\n")
    print(format_table(results, subsets) + "\n")

    best = max(results, key=lambda r: r.means["nDCG@10"]).name.split()[-1]
    s = searchers[best]
    print(f"### Glossary expansion ({best}, lexical only)\n")
    rows = []
    for w in (0.0, 0.25, 0.5, 1.0):
        s.config = replace(base, use_glossary=w > 0, glossary_weight=w)
        rows.append(run(s, f"lexical glossary w={w}", "lexical", questions, qrels, args.depth))
    print(format_table(rows, subsets) + "\n")

    print(f"### BM25 parameters ({best}, glossary on, lexical only)\n")
    rows = []
    for k1 in (0.9, 1.2, 1.5):
        for b in (0.5, 0.75, 0.9):
            lex = LexicalIndex.build(index.chunks, s.lexical.analyzer, k1=k1, b=b)  # type: ignore[union-attr]
            trial = Searcher(embedder, index, lex, s.glossary, base)  # type: ignore[arg-type]
            rows.append(run(trial, f"k1={k1} b={b}", "lexical", questions, qrels, args.depth))
    print(format_table(rows) + "\n")
    if args.lexical_only:
        return

    print(f"### Fusion ({best} analyser, glossary on)\n")
    rows = [run(s, "dense", "dense", questions, qrels, args.depth)]
    for k in (10, 30, 60):
        for lw in (1.0, 1.5, 2.0, 3.0):
            s.config = replace(base, fusion="rrf", rrf_k=k, lexical_weight=lw)
            rows.append(run(s, f"rrf k={k} lex={lw}", "hybrid", questions, qrels, args.depth))
    for lw in (0.5, 1.0, 1.5, 2.0, 3.0):
        s.config = replace(base, fusion="weighted", lexical_weight=lw, dense_weight=1.0)
        rows.append(run(s, f"weighted lex={lw}", "hybrid", questions, qrels, args.depth))
    print(format_table(rows) + "\n")
    print("### Glossary and query-language guess in hybrid (default fusion)\n")
    rows = []
    for use in (False, True):
        s.config = replace(base, use_glossary=use)
        rows.append(run(s, f"hybrid glossary={'on' if use else 'off'}", "hybrid", questions, qrels, args.depth))
    s.config = replace(base, guess_query_lang=False)
    rows.append(run(s, "hybrid, no language guess", "hybrid", questions, qrels, args.depth))
    print(format_table(rows, subsets))


if __name__ == "__main__":
    main()
