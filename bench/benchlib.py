"""Helpers shared by the retrieval benchmarks (not part of the package)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Largest share of answerable questions an abstention threshold may abstain on.
MAX_FALSE_ABSTAIN = 0.05


def auroc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Probability that an answerable question scores above an unanswerable one (ties count half)."""
    p, n = np.asarray(pos, dtype=np.float64), np.asarray(neg, dtype=np.float64)
    if not p.size or not n.size:
        return float("nan")
    return float(((p[:, None] > n[None, :]) + 0.5 * (p[:, None] == n[None, :])).mean())


def threshold_for(scores: Sequence[float]) -> float:
    """The highest threshold that abstains on at most MAX_FALSE_ABSTAIN of these answerable scores (0 for none)."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    return float(ordered[int(MAX_FALSE_ABSTAIN * len(ordered))]) if ordered.size else 0.0


def tsv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an eval TSV file (tab-separated, no quoting) as dicts; [] when the file is absent."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


class MemoEmbedder:
    """Wraps an embedder so that each query is embedded once, however many configurations use it."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.model_id = inner.model_id  # type: ignore[attr-defined]
        self.backend = inner.backend  # type: ignore[attr-defined]
        self.dim = inner.dim  # type: ignore[attr-defined]
        self.memo: dict[str, np.ndarray] = {}

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages are not memoised (the embedding cache does that)."""
        return self.inner.embed_passages(texts)  # type: ignore[attr-defined]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed only the queries not seen before."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            for t, v in zip(missing, self.inner.embed_queries(missing)):  # type: ignore[attr-defined]
                self.memo[t] = v
        return np.stack([self.memo[t] for t in texts])


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, int(np.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]
