"""Do /api/ask drafts quote the sentence that settles the question, and do they abstain when nothing does?

    python bench/draft_quality.py --index I [--cache embeddings.sqlite] [--sets dev,blind]

For every answerable question of a set whose qrels carry evidence phrases (tests/eval/qrels.tsv
and tests/eval/blind/qrels.tsv), a draft is made with no threshold; it *quotes the evidence* when
one of its sentences holds a grade-2 evidence phrase (or lies inside one), *first* when its first
sentence does. Unanswerable questions (the sets' unanswerable.tsv) give the abstention figures:
AUROC of the draft's evidence score, and the threshold with at most 5 % false abstentions on the
dev set, applied unchanged to the other sets. Variants: the bank bonus weight and sentence order.
Choose on the dev set only; the blind set is printed for reporting.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import MemoEmbedder, auroc, threshold_for, tsv_rows  # noqa: E402

from embedding.cache import EmbeddingCache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from retrieval.answer import AnswerDrafter  # noqa: E402
from retrieval.glossary import DEFAULT_GLOSSARY  # noqa: E402
from retrieval.search import Searcher  # noqa: E402
from retrieval.sentence_scoring import SentenceScorer  # noqa: E402

SETS = {"dev": REPO / "tests/eval", "heldout": REPO / "tests/eval/heldout", "blind": REPO / "tests/eval/blind"}


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def quotes(sentence: str, evidence: list[str]) -> bool:
    """Whether a draft sentence holds an evidence phrase (or is a part of one)."""
    s = _norm(sentence)
    return any(e in s or (len(s) > 40 and s in e) for e in evidence)


def measure(drafter: AnswerDrafter, folder: Path, k: int) -> dict[str, list]:
    """Per answerable question (anywhere, first, score) and per unanswerable question its score."""
    evidence: dict[str, list[str]] = {}
    for r in tsv_rows(folder / "qrels.tsv"):
        if r.get("evidence") and r["grade"] == "2":
            evidence.setdefault(r["qid"], []).append(_norm(r["evidence"]))
    answerable = []
    for q in tsv_rows(folder / "questions.tsv"):
        if q["qid"] not in evidence:
            continue
        a = drafter.ask(q["question"], k=k)
        texts = [s.text for s in a.sentences]
        hit = [quotes(t, evidence[q["qid"]]) for t in texts]
        answerable.append((any(hit), bool(hit and hit[0]), a.best_sentence_score))
    unanswerable = [drafter.ask(q["question"], k=k).best_sentence_score for q in tsv_rows(folder / "unanswerable.tsv")]
    return {"answerable": answerable, "unanswerable": unanswerable}


def main() -> None:
    """Print one row per variant and set."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--adapter", type=Path, help="the LoRA adapter the index was built with (lahde adapt)")
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--sets", default="dev,blind")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--weights", default="0,0.5,1")
    args = ap.parse_args()
    embedder = MemoEmbedder(create_embedder("onnx", **({"adapter": args.adapter} if args.adapter else {})))
    searcher = Searcher.open(args.index, embedder, glossary_path=DEFAULT_GLOSSARY)  # type: ignore[arg-type]
    cache = EmbeddingCache(args.cache) if args.cache else None
    names = args.sets.split(",")
    print(
        "| bank weight | order | set | questions | quotes evidence | quoted first | AUROC | threshold | abstains (unanswerable) | false abstentions |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for w in (float(x) for x in args.weights.split(",")):
        for order in ("source", "score"):
            scorer = SentenceScorer((1.0, 0.0, 0.0, 0.0, 0.0), 0.0, w, f"bank bonus {w}")
            drafter = AnswerDrafter(searcher, min_score=-1.0, cache=cache, scorer=scorer, order=order)
            results = {name: measure(drafter, SETS[name], args.k) for name in names}
            dev = results.get("dev") or next(iter(results.values()))
            thr = threshold_for([s for *_x, s in dev["answerable"]])
            for name, r in results.items():
                ans, un = r["answerable"], r["unanswerable"]
                n = len(ans) or 1
                pos = [s for *_x, s in ans]
                abstain = sum(s < thr for s in un) / (len(un) or 1)
                false = sum(s < thr for s in pos) / n
                print(
                    f"| {w} | {order} | {name} | {len(ans)} | {sum(a for a, _f, _s in ans) / n:.3f} | "
                    f"{sum(f for _a, f, _s in ans) / n:.3f} | {auroc(pos, un):.3f} | {thr:.3f} | "
                    f"{abstain:.3f} ({len(un)}) | {false:.3f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
