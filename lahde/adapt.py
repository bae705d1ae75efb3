"""`lahde adapt`: the question bank's (question → passage) pairs, BM25 hard negatives, and the adapter training."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from embedding.adapter_train import TrainingPair, TrainReport, train_adapter
from index.analysis import create_analyzer
from index.errors import AnalyzerError
from index.lexical import LexicalIndex
from ingest.models import Chunk
from ingest.questions import bank_hash

from . import service
from .settings import Settings

logger = logging.getLogger(__name__)


def _section_of(chunk: Chunk) -> tuple[str, str]:
    """The (base statute, section) a chunk is a wording of; the chunk id for chunks outside sections."""
    c = chunk.citation
    if c.statute is None or c.section is None:
        return ("", chunk.id)
    return (c.amends_statute or c.statute, c.section)


def training_pairs(settings: Settings, negatives: bool = True) -> tuple[list[TrainingPair], str]:
    """Every bank question with the passage holding its answer (and a BM25 hard negative); the bank's hash."""
    report = service.ingest(settings)
    bank = service.question_bank(settings, report.documents).questions
    chunks = [c for d in report.documents for c in d.chunks]
    by_id = {c.id: c for c in chunks}
    lexical = None
    if negatives:
        try:
            analyzer = create_analyzer("voikko")
        except AnalyzerError:
            analyzer = create_analyzer("snowball")
        lexical = LexicalIndex.build(chunks, analyzer)
    pairs = []
    for q in bank:
        positive = by_id[q.chunk_id]
        negative = None
        if lexical is not None:
            own = _section_of(positive)
            for i, _score in lexical.search(lexical.analyzer.analyze(q.text, q.lang), 10):
                if _section_of(chunks[i]) != own and chunks[i].citation.lang == q.lang:
                    negative = "passage: " + chunks[i].embed_text
                    break
        pairs.append(TrainingPair("query: " + q.text, "passage: " + positive.embed_text, q.chunk_id, negative))
    return pairs, bank_hash(bank)


def adapt(
    settings: Settings,
    out: Path,
    *,
    negatives: bool = True,
    progress: Callable[[int, int, float], None] | None = None,
    **options: Any,
) -> tuple[TrainReport, int]:
    """Train the adapter on the settings' corpus and bank; returns the report and the number of pairs."""
    pairs, digest = training_pairs(settings, negatives)
    report = train_adapter(
        pairs, out, meta={"bank_hash": digest, "hard_negatives": negatives}, progress=progress, **options
    )
    return report, len(pairs)
