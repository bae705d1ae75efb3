"""How /api/ask ranks the sentences of its passages: a linear score over a few features per sentence.

Features (``FEATURES``, in this order) of one candidate sentence for one question:

- ``cosine``: the sentence's vector against the query's (the e5 model, passage prefix);
- ``bank``: the best query cosine of the question-bank questions whose answer phrase lies in this
  sentence (0 when none does): the bank's answer phrases say which sentence settles which question;
- ``overlap``: the share of the query's analysed terms that occur in the sentence;
- ``rank``: 1 / the rank of the sentence's passage in the search;
- ``passage``: the passage's own cosine to the query.

Score = features · weights + bias + bank_bonus · max(0, bank − cosine): with the bonus, a sentence
that holds a bank question's answer phrase scores up to that question's similarity to the query.

``COSINE_ONLY`` is the scorer before the bank. ``BANK_BONUS`` (the default) adds half the bank
question's lead: chosen on the dev set's evidence phrases by ``bench/draft_quality.py``; a logistic
regression over all five features, 5-fold cross-validated on the dev set by
``bench/sentence_scorer.py``, quoted the evidence less often and separated unanswerable questions
worse (docs/retrieval.md), so it is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = ("cosine", "bank", "overlap", "rank", "passage")


@dataclass(frozen=True)
class SentenceScorer:
    """Weights per feature (``FEATURES`` order) and a bias; score = features · weights + bias."""

    weights: tuple[float, ...]
    bias: float = 0.0
    bank_bonus: float = 0.0
    name: str = "custom"

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a sentence scorer needs {len(FEATURES)} weights ({', '.join(FEATURES)})")

    def uses(self, feature: str) -> bool:
        """Whether a feature counts in the score (the drafter computes only those; the others are 0)."""
        return self.weights[FEATURES.index(feature)] != 0 or (feature in ("bank", "cosine") and self.bank_bonus != 0)

    def score(self, features: np.ndarray) -> np.ndarray:
        """Scores of a (sentences × features) matrix."""
        if features.size == 0:
            return np.zeros(len(features), dtype=np.float32)
        out = features @ np.asarray(self.weights, dtype=np.float32) + self.bias
        if self.bank_bonus:
            cosine, bank = features[:, FEATURES.index("cosine")], features[:, FEATURES.index("bank")]
            out = out + self.bank_bonus * np.maximum(0.0, bank - cosine)
        return out.astype(np.float32)


COSINE_ONLY = SentenceScorer((1.0, 0.0, 0.0, 0.0, 0.0), 0.0, 0.0, "cosine")
BANK_BONUS = SentenceScorer((1.0, 0.0, 0.0, 0.0, 0.0), 0.0, 0.5, "bank")


def term_overlap(query_terms: frozenset[str], sentence_terms: frozenset[str]) -> float:
    """The share of the query's terms found in the sentence (0 for a query without terms)."""
    if not query_terms:
        return 0.0
    return len(query_terms & sentence_terms) / len(query_terms)
