"""Does the search learn from answered questions? Retrieval with and without the published UKK answers in the bank.

Takes a statutes index built without any UKK (the baseline), publishes the sample entries of
corpus/ukk (written by reading the statutes, never from an eval set) into a fresh UKK database,
builds a second index whose question bank also holds those entries' questions (the ones shared
with the network, tied to the passages they cite), and scores both on the dev, held-out and blind
sets. Only the dev set may steer a change; the other two are reported beside it.

Usage: python bench/ukk_bank.py --index /tmp/idx-s --out /tmp/idx-s-ukk
  (build the baseline first: LAHDE_SOURCES=corpus/statutes.toml lahde build --index /tmp/idx-s)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.generations import IndexRoot  # noqa: E402
from index.store import read_chunks  # noqa: E402
from lahde.service import build, make_embedder, open_searcher  # noqa: E402
from lahde.settings import Settings  # noqa: E402
from retrieval.evaluate import evaluate_searcher  # noqa: E402
from ukk import accounts  # noqa: E402
from ukk.samples import load_samples, read_samples  # noqa: E402
from ukk.store import UkkStore  # noqa: E402

SETS = {
    "dev": ("tests/eval/questions.tsv", "tests/eval/qrels.tsv"),
    "held-out": ("tests/eval/heldout/questions.tsv", "tests/eval/heldout/qrels.tsv"),
    "blind": ("tests/eval/blind/questions.tsv", "tests/eval/blind/qrels.tsv"),
}


def scores(settings: Settings, embedder: object) -> dict[tuple[str, str], tuple[float, float]]:
    """(set, mode) → (R@5, nDCG@10) for one index."""
    searcher = open_searcher(settings, embedder)  # type: ignore[arg-type]
    out = {}
    for name, (questions, qrels) in SETS.items():
        results, _table = evaluate_searcher(searcher, REPO / questions, REPO / qrels, ("lexical", "dense", "hybrid"))
        for r in results:
            out[(name, r.name)] = (r.means["R@5"], r.means["nDCG@10"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="Baseline statutes index (no UKK).")
    parser.add_argument("--out", type=Path, required=True, help="Where the index with the UKK bank is built.")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/embcache.sqlite"), help="Embedding cache.")
    parser.add_argument("--in-force-on", default="2026-12-03")
    args = parser.parse_args()

    db = args.out.parent / f"{args.out.name}-ukk.sqlite"
    db.unlink(missing_ok=True)
    base = Settings(
        sources=REPO / "corpus" / "statutes.toml",
        index_dir=args.index,
        cache_path=args.cache,
        in_force_on=args.in_force_on,
        ukk_db=args.out.parent / "no-ukk-here.sqlite",
    )
    embedder = make_embedder(base)
    before = scores(base, embedder)

    store = UkkStore(db)
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    coach = accounts.add_user(store, "bench", "Bench", "valmentaja", "esimerkkiopisto", "bench-password-1")
    generation = IndexRoot(args.index).current_name() or args.index.name
    made = load_samples(store, coach, read_samples(REPO / "corpus" / "ukk"), read_chunks(args.index), generation)
    store.close()
    started = time.perf_counter()
    with_ukk = base.model_copy(update={"index_dir": args.out, "ukk_db": db})
    outcome = build(with_ukk, embedder)  # type: ignore[arg-type]
    bank = outcome.bank.questions if outcome.bank else ()
    from_ukk = sum(1 for q in bank if q.source.startswith("ukk:"))
    print(
        f"published {len(made)} sample entries; {from_ukk} bank questions from the UKK "
        f"({len(bank)} in all); built in {time.perf_counter() - started:.0f} s"
    )
    after = scores(with_ukk, embedder)

    print("\n| set | mode | R@5 without | R@5 with UKK | nDCG@10 without | nDCG@10 with UKK |")
    print("|---|---|---|---|---|---|")
    for name in SETS:
        for mode in ("lexical", "dense", "hybrid"):
            (r0, n0), (r1, n1) = before[(name, mode)], after[(name, mode)]
            print(f"| {name} | {mode} | {r0:.3f} | {r1:.3f} | {n0:.3f} | {n1:.3f} |")


if __name__ == "__main__":
    main()
