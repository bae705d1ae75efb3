"""Print a statute's numbered sections as plain text, for people writing eval questions and the question bank.

    python corpus/tools/sections.py 531/2017            # every section, Finnish
    python corpus/tools/sections.py 531/2017 97 --lang sv
    python corpus/tools/sections.py --amending 531/2017  # the amending acts of 531/2017 and the sections each gives

Reads ../shared/corpus/finlex (or --corpus). A reading aid only: nothing in the product imports it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.amendments import parse_amendment  # noqa: E402
from ingest.finlex import read_statute  # noqa: E402
from retrieval.references import normalise_section  # noqa: E402


def statute_path(corpus: Path, lang: str, statute: str) -> Path:
    """The Finlex file of ``statute`` ("531/2017") in ``lang``."""
    number, year = statute.split("/")
    return corpus / lang / f"asd{year}{int(number):04d}.xml"


def main() -> int:
    """Print sections of one statute, or the amending acts of one statute."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("statute")
    p.add_argument("sections", nargs="*", help="section numbers, e.g. 97 '52 a' (default: all)")
    p.add_argument("--lang", default="fi", choices=["fi", "sv"])
    p.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "finlex")
    p.add_argument("--amending", action="store_true", help="list the acts that amend STATUTE and what they change")
    args = p.parse_args()
    if args.amending:
        for path in sorted((args.corpus / args.lang).glob("*.xml")):
            st = read_statute(path)
            changes = [c for c in parse_amendment(st) if c.statute == args.statute]
            for c in changes:
                print(f"{st.number}\t{c.change}\t{c.section} §\t{c.part or 'whole section'}\tin force {c.date}")
        return 0
    st = read_statute(statute_path(args.corpus, args.lang, args.statute))
    wanted = {normalise_section(s) for s in args.sections}
    print(f"# {st.number} {st.title}\n")
    for sec in st.sections:
        if sec.number is None or (wanted and normalise_section(sec.number) not in wanted):
            continue
        chapter = f"{sec.chapter} luku {sec.chapter_heading or ''} · " if sec.chapter else ""
        print(
            f"## {chapter}{sec.number} § {sec.heading or ''}{'  (partial: – – – marks omitted momentit)' if sec.partial else ''}"
        )
        for i, sub in enumerate(sec.subsections, start=1):
            print(f"[{i} mom.] {sub.text}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
