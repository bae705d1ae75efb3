"""How to search the question bank: a BM25 field against concatenation, query: against passage: vectors, weights.

    LAHDE_SOURCES=corpus/statutes.toml lahde build --index I
    python bench/bank_variants.py --index I [--cache embeddings.sqlite] [--sets dev,heldout,blind]

Choices are made on the dev set (tests/eval/) only; the held-out and blind sets are printed beside
it for reporting and never used to choose. Query vectors are computed once and reused.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import MemoEmbedder  # noqa: E402

from embedding.cache import EmbeddingCache, embed_with_cache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from index.bank import BankIndex  # noqa: E402
from index.lexical import LexicalIndex  # noqa: E402
from retrieval.evaluate import METRICS, evaluate, load_qrels, load_questions, version_map  # noqa: E402
from retrieval.glossary import DEFAULT_GLOSSARY  # noqa: E402
from retrieval.search import Searcher  # noqa: E402

SETS = {
    "dev": (REPO / "tests/eval/questions.tsv", REPO / "tests/eval/qrels.tsv"),
    "heldout": (REPO / "tests/eval/heldout/questions.tsv", REPO / "tests/eval/heldout/qrels.tsv"),
    "blind": (REPO / "tests/eval/blind/questions.tsv", REPO / "tests/eval/blind/qrels.tsv"),
}


def concatenated(searcher: Searcher) -> LexicalIndex:
    """BM25 over each chunk's text with its bank questions appended (the alternative to a field)."""
    assert searcher.lexical is not None and searcher.bank is not None
    an = searcher.lexical.analyzer
    extra: dict[int, list[str]] = {}
    for q, pos in zip(searcher.bank.questions, searcher.bank.positions.tolist()):
        extra.setdefault(pos, []).extend(an.analyze(q.text, q.lang))
    terms = [an.analyze(c.embed_text, c.citation.lang) + extra.get(i, []) for i, c in enumerate(searcher.index.chunks)]
    return LexicalIndex.from_terms(searcher.index.chunks, terms, an)


def passage_bank(searcher: Searcher, cache: EmbeddingCache | None) -> BankIndex:
    """The same bank with its questions embedded as passages."""
    bank = searcher.bank
    assert bank is not None
    emb = searcher.embedder
    vectors, _n = embed_with_cache([q.text for q in bank.questions], emb.model_id, emb.dim, emb.embed_passages, cache)
    return BankIndex(bank.questions, bank.positions, vectors, bank.field, {**bank.meta, "prefix": "passage"})


def main() -> None:
    """Print one row per variant and set."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--adapter", type=Path, help="the LoRA adapter the index was built with (lahde adapt)")
    ap.add_argument("--cache", type=Path, help="Embedding cache (for the passage-prefixed bank vectors).")
    ap.add_argument("--sets", default="dev,heldout,blind")
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument(
        "--grid",
        action="store_true",
        help="Tune the hybrid's bank field weight, dense margin, fusion lexical weight and glossary weight jointly, "
        "printing the dev set only (the other sets are for reporting the chosen point, not for choosing it).",
    )
    ap.add_argument(
        "--steps",
        action="store_true",
        help="The chosen configuration taken apart: no bank, the BM25 field only, the vectors only, both (every mode).",
    )
    args = ap.parse_args()
    if args.grid:
        args.sets = "dev"
    embedder = MemoEmbedder(create_embedder("onnx", **({"adapter": args.adapter} if args.adapter else {})))
    base = Searcher.open(args.index, embedder, glossary_path=DEFAULT_GLOSSARY)  # type: ignore[arg-type]
    if base.bank is None:
        raise SystemExit(f"{args.index} has no question bank: build it with the bank on")
    cache = EmbeddingCache(args.cache) if args.cache else None
    versions = version_map(base.index.chunks)
    sets = {name: (load_questions(SETS[name][0]), load_qrels(SETS[name][1])) for name in args.sets.split(",")}
    c = base.config
    concat = concatenated(base)
    by_passage = passage_bank(base, cache)
    variants: list[tuple[str, str, Searcher]] = [
        ("no bank", "lexical", base.with_config(replace(c, use_bank=False))),
        ("no bank", "dense", base.with_config(replace(c, use_bank=False))),
        ("no bank", "hybrid", base.with_config(replace(c, use_bank=False))),
    ]
    for w in (0.5, 1.0, 2.0):
        variants.append((f"field w={w}", "lexical", base.with_config(replace(c, bank_field_weight=w))))
    concat_searcher = Searcher(embedder, base.index, concat, base.glossary, replace(c, bank_field_weight=0), base.bank)  # type: ignore[arg-type]
    variants.append(("concatenated", "lexical", concat_searcher))
    for margin in (0.0, 0.02, 0.05):
        variants.append((f"query: margin={margin}", "dense", base.with_config(replace(c, bank_dense_margin=margin))))
    passage = Searcher(embedder, base.index, base.lexical, base.glossary, c, by_passage)  # type: ignore[arg-type]
    variants.append(("passage: margin=0.0", "dense", passage))
    for w in (0.5, 1.0):
        variants.append(
            (f"query: list w={w}", "dense", base.with_config(replace(c, bank_dense="list", bank_dense_weight=w)))
        )
        variants.append(
            (
                f"field w=1, query: list w={w}",
                "hybrid",
                base.with_config(replace(c, bank_dense="list", bank_dense_weight=w)),
            )
        )
    variants.append(("field w=1, dense off", "hybrid", base.with_config(replace(c, bank_dense="off"))))
    variants.append(
        ("field w=2, dense off", "hybrid", base.with_config(replace(c, bank_dense="off", bank_field_weight=2.0)))
    )
    for w in (0.5, 1.0, 2.0):
        for margin in (0.0, 0.02):
            variants.append(
                (
                    f"field w={w}, query: margin={margin}",
                    "hybrid",
                    base.with_config(replace(c, bank_field_weight=w, bank_dense_margin=margin)),
                )
            )
    variants.append(("concatenated, query:", "hybrid", concat_searcher.with_config(replace(c, bank_field_weight=0))))
    if args.grid:
        variants = [
            (
                f"field w={w}, margin={m}, lexical×{lw}, glossary {gw}",
                "hybrid",
                base.with_config(
                    replace(c, bank_field_weight=w, bank_dense_margin=m, lexical_weight=lw, glossary_weight=gw)
                ),
            )
            for w in (0.5, 0.75, 1.0)
            for m in (0.01, 0.02, 0.03)
            for lw in (1.0, 1.5, 2.0)
            for gw in (0.25, 0.5)
        ]
    if args.steps:
        steps = {
            "no bank": replace(c, use_bank=False),
            "bank: BM25 field only": replace(c, bank_dense="off"),
            "bank: vectors only": replace(c, bank_field_weight=0.0),
            "bank: field + vectors (default)": c,
        }
        variants = [
            (name, mode, base.with_config(cfg))
            for name, cfg in steps.items()
            for mode in ("lexical", "dense", "hybrid")
        ]
    head = "| variant | mode | " + " | ".join(f"{s} {m}" for s in sets for m in ("R@5", "nDCG@10", "S@5")) + " |"
    print(head)
    print("|" + "---|" * (2 + 3 * len(sets)))
    for name, mode, searcher in variants:
        cells = []
        for qs, qrels in sets.values():
            r = evaluate(
                name,
                qs,
                qrels,
                lambda q, s=searcher, m=mode: [h.chunk for h in s.search(q.text, k=args.depth, mode=m).hits],
                versions,
            )
            cells += [f"{r.means[m]:.3f}" for m in ("R@5", "nDCG@10", "S@5")]
        print(f"| {name} | {mode} | " + " | ".join(cells) + " |", flush=True)
    assert set(METRICS) >= {"R@5", "nDCG@10", "S@5"}


if __name__ == "__main__":
    main()
