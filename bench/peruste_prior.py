"""The perusteet's prior in the hybrid ranking (RetrievalConfig.peruste_weight), chosen on the dev sets only.

With all seven perusteet in the index (corpus/perusteet.toml), the statute questions lose top ranks
to peruste chunks. This scores a grid of weights on the two dev sets — the statute dev set
(tests/eval/) and the perusteet dev set (tests/eval/perusteet/) — and, for the weights named with
--report, the statutes' held-out and blind sets beside them (never used to choose).

Usage: python bench/peruste_prior.py --index /tmp/idx-pe [--grid 1,0.9,0.8,0.7,0.6,0.5] [--report 1,0.7]
  (the index: LAHDE_SOURCES=corpus/perusteet.toml lahde build --index /tmp/idx-pe)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lahde.service import open_searcher  # noqa: E402
from lahde.settings import Settings  # noqa: E402
from retrieval.evaluate import evaluate_searcher  # noqa: E402

DEV = {
    "statutes dev": ("tests/eval/questions.tsv", "tests/eval/qrels.tsv"),
    "perusteet dev": ("tests/eval/perusteet/questions.tsv", "tests/eval/perusteet/qrels.tsv"),
}
UNTOUCHED = {
    "statutes held-out": ("tests/eval/heldout/questions.tsv", "tests/eval/heldout/qrels.tsv"),
    "statutes blind": ("tests/eval/blind/questions.tsv", "tests/eval/blind/qrels.tsv"),
}


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--grid", default="1,0.9,0.8,0.7,0.6,0.5,0.4")
    parser.add_argument("--cues", default="0.9", help="peruste_cue values (a query about the perusteet is left alone).")
    parser.add_argument("--report", default="", help="weight:cue pairs to score on the held-out and blind sets too.")
    args = parser.parse_args()
    base = open_searcher(Settings(index_dir=args.index))
    report = {tuple(float(x) for x in pair.split(":")) for pair in args.report.split(",") if pair.strip()}
    print("| weight | cue | set | R@5 | nDCG@10 |")
    print("|---|---|---|---|---|")
    for cue in _floats(args.cues):
        for w in _floats(args.grid):
            searcher = base.with_config(replace(base.config, peruste_weight=w, peruste_cue=cue))
            sets = {**DEV, **(UNTOUCHED if (w, cue) in report else {})}
            for name, (questions, qrels) in sets.items():
                results, _ = evaluate_searcher(searcher, REPO / questions, REPO / qrels, ("hybrid",))
                m = results[0].means
                print(f"| {w:.2f} | {cue:.2f} | {name} | {m['R@5']:.3f} | {m['nDCG@10']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
