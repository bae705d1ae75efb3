"""A fast, deterministic stand-in embedder for unit tests of logic around the model."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from lahde.service import Wiring


class HashingEmbedder:
    """Bag-of-words vectors from hashed lowercase words: texts sharing words score higher."""

    backend = "test-hashing"

    def __init__(self, dim: int = 64, model_id: str = "test/hashing-64") -> None:
        self.dim = dim
        self.model_id = model_id
        self.passage_calls = 0
        self.passages_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self.dim] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls += 1
        self.passages_embedded += len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def fake_wiring(dim: int = 64, model_id: str = "test/hashing-64") -> Wiring:
    """The real wiring (lahde.service.Wiring) with the hashing embedder instead of the model."""
    return Wiring(embedder_factory=lambda _settings: HashingEmbedder(dim=dim, model_id=model_id))
