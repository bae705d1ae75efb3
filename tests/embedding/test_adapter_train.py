"""Adapter training (embedding.adapter_train): batches without repeated passages; a tiny real run (torch, peft)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedding.adapter import load_adapter
from embedding.adapter_train import TrainingPair, batches, train_adapter


def _pair(n: int, passage: str) -> TrainingPair:
    return TrainingPair(f"query: kysymys {n}", f"passage: {passage}", passage)


def test_a_batch_never_holds_one_passage_twice():
    pairs = [_pair(n, p) for n, p in enumerate("aaabbc")]
    plan = batches(pairs, 3, seed=1)
    assert sorted(p.query for b in plan for p in b) == sorted(p.query for p in pairs)
    assert all(len({p.positive_id for p in b}) == len(b) for b in plan)
    assert [len(b) for b in plan] == [3, 2, 1]  # the third "a" waits until the batch after the second


@pytest.mark.slow
def test_a_short_training_run_writes_an_adapter_for_every_attention_projection(tmp_path: Path):
    pytest.importorskip("peft")
    pairs = [
        TrainingPair("query: kuka hyväksyy hoksin", "passage: Koulutuksen järjestäjä hyväksyy suunnitelman.", "a",
                     "passage: Opiskelija saa palkkaa."),
        TrainingPair("query: saako koso-opiskelija palkkaa", "passage: Koulutussopimuksen aikana ei makseta palkkaa.", "b"),
    ]  # fmt: skip
    report = train_adapter(pairs, tmp_path / "a.npz", batch_size=2, max_seq_length=32, meta={"bank_hash": "x"})
    assert report.steps == 1 and report.first_loss > 0
    adapter = load_adapter(tmp_path / "a.npz")
    assert sorted(adapter.factors) == sorted(f"l{i}.{m}.w" for i in range(12) for m in "qkv")
    assert adapter.scale == 2.0 and adapter.meta["bank_hash"] == "x" and adapter.meta["pairs"] == 2
    a, b = adapter.factors["l0.q.w"]
    assert a.shape == (8, 384) and b.shape == (384, 8)
