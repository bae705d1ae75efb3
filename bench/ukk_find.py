"""Finding an earlier answer again: the UKK search ("Aiemmin vastattu") on paraphrased questions, and its threshold.

Publishes the 32 sample entries of corpus/ukk into a fresh UKK database on a statutes index, then
asks the two paraphrases per entry in tests/eval/ukk/paraphrases.tsv (written by reading each
entry, other words, part of the dev data) and the dev set's unanswerable near-misses
(tests/eval/unanswerable.tsv: no earlier answer should be shown for them). For each cosine threshold
(LAHDE_UKK_MIN_SCORE) it prints how often the right entry is the first shown, among the three shown,
and how often an unanswerable question is shown any entry.

Usage: python bench/ukk_find.py --index /tmp/idx-s [--thresholds 0.80,0.82,0.84,0.86,0.88,0.90]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.generations import IndexRoot  # noqa: E402
from index.store import read_chunks  # noqa: E402
from lahde.service import open_searcher  # noqa: E402
from lahde.settings import Settings  # noqa: E402
from ukk import accounts  # noqa: E402
from ukk.samples import load_samples, read_samples  # noqa: E402
from ukk.search import UkkSearch  # noqa: E402
from ukk.store import UkkStore  # noqa: E402


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--thresholds", default="0.80,0.82,0.84,0.86,0.88,0.90")
    args = parser.parse_args()
    searcher = open_searcher(Settings(index_dir=args.index))
    with tempfile.TemporaryDirectory() as tmp:
        store = UkkStore(Path(tmp) / "ukk.sqlite")
        store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
        coach = accounts.add_user(store, "bench", "Bench", "valmentaja", "esimerkkiopisto", "bench-password-1")
        generation = IndexRoot(args.index).current_name() or ""
        ids = load_samples(store, coach, read_samples(REPO / "corpus" / "ukk"), read_chunks(args.index), generation)
        everything = UkkSearch(store, min_score=-1.0)  # every entry with its cosine; thresholds applied below
        paraphrases = _rows(REPO / "tests" / "eval" / "ukk" / "paraphrases.tsv")
        found = [(ids[int(r["entry"]) - 1], everything.search(searcher, coach, r["question"], 3)) for r in paraphrases]
        near_misses = [
            everything.search(searcher, coach, r["question"], 3)
            for r in _rows(REPO / "tests" / "eval" / "unanswerable.tsv")
        ]
        store.close()
    print(f"{len(paraphrases)} paraphrases of {len(ids)} entries; {len(near_misses)} unanswerable near-misses")
    print(
        "| min cosine | right entry first | right entry in the 3 shown | nothing shown | near-misses shown an entry |"
    )
    print("|---|---|---|---|---|")
    for t in (float(x) for x in args.thresholds.split(",")):
        first = in3 = none = 0
        for want, hits in found:
            shown = [h for h in hits if h.cosine >= t]
            first += bool(shown) and shown[0].entry.id == want
            in3 += any(h.entry.id == want for h in shown)
            none += not shown
        false = sum(any(h.cosine >= t for h in hits) for hits in near_misses)
        n, m = len(found), len(near_misses)
        print(f"| {t:.2f} | {first / n:.3f} | {in3 / n:.3f} | {none / n:.3f} | {false / m:.3f} ({false}/{m}) |")


if __name__ == "__main__":
    main()
