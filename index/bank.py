"""The question bank inside an index: ``<index>/bank/`` holds the questions, their vectors and a BM25 field.

Each bank question points at one chunk (the one holding its answer phrase). Two views serve search:

- **dense** (multi-vector): every question has its own vector; a chunk's bank score is the best
  cosine of its questions (``dense_scores``), which retrieval combines with the chunk's own cosine;
- **lexical field**: a chunk's questions, concatenated, are a second BM25 document aligned with the
  chunks (``field``), scored beside the text's BM25 rather than mixed into it.

Files: ``questions.jsonl`` (one question per line, in vector order), ``vectors.npy`` (float32,
normalised), ``meta.json`` (count, hash, how the questions were embedded) and ``lexical/``.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.models import BankQuestion, Chunk
from ingest.questions import bank_hash

from .analysis import Analyzer
from .errors import CorruptIndexError, LexicalIndexError
from .files import make_dir, write_atomic
from .lexical import LexicalIndex

logger = logging.getLogger(__name__)

BANK_DIR = "bank"
BANK_QUESTIONS = "questions.jsonl"
BANK_VECTORS = "vectors.npy"
BANK_META = "meta.json"
BANK_FORMAT = 1
#: How stored questions are embedded: e5's "query: " prefix (question-to-question similarity is
#: symmetric) or "passage: " like the chunks; measured in docs/retrieval.md.
PREFIXES = ("query", "passage")


def write_bank(
    out_dir: Path,
    chunks: Sequence[Chunk],
    questions: Sequence[BankQuestion],
    vectors: np.ndarray,
    analyzer: Analyzer,
    *,
    prefix: str,
) -> None:
    """Write ``<out_dir>/bank/`` (a staging directory): questions, vectors, the BM25 field, meta last."""
    positions = {c.id: i for i, c in enumerate(chunks)}
    missing = [q.source for q in questions if q.chunk_id not in positions]
    if missing:
        raise ValueError(f"bank questions point at chunks not in the index: {missing[:3]}")
    directory = out_dir / BANK_DIR
    make_dir(directory)
    lines = "".join(json.dumps(q.to_dict(), ensure_ascii=False) + "\n" for q in questions)
    write_atomic(directory / BANK_QUESTIONS, lines.encode("utf-8"))
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    write_atomic(directory / BANK_VECTORS, buf.getvalue())
    per_chunk: list[list[str]] = [[] for _ in chunks]
    for q in questions:
        per_chunk[positions[q.chunk_id]].extend(analyzer.analyze(q.text, q.lang))
    LexicalIndex.from_terms(chunks, per_chunk, analyzer).save(directory / "lexical")
    meta = {"format": BANK_FORMAT, "count": len(questions), "hash": bank_hash(questions), "prefix": prefix}
    write_atomic(directory / BANK_META, json.dumps(meta, indent=2).encode("utf-8"))


def read_bank_meta(index_dir: str | Path) -> dict | None:
    """The bank's meta.json of an index, or None when the index has no bank."""
    path = Path(index_dir) / BANK_DIR / BANK_META
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CorruptIndexError(f"{path}: unreadable: {exc}") from exc


class BankIndex:
    """A loaded bank: questions aligned with their vectors and chunk positions, plus the BM25 field."""

    def __init__(
        self, questions: list[BankQuestion], positions: np.ndarray, vectors: np.ndarray, field: LexicalIndex, meta: dict
    ) -> None:
        self.questions = questions
        self.positions = positions
        self.vectors = vectors
        self.field = field
        self.meta = meta
        self.chunk_count = field.chunk_count
        self.by_chunk: dict[int, list[int]] = {}
        for qi, pos in enumerate(positions.tolist()):
            self.by_chunk.setdefault(pos, []).append(qi)

    @classmethod
    def load(cls, index_dir: str | Path, chunks: Sequence[Chunk]) -> "BankIndex | None":
        """Load ``<index_dir>/bank``; None when the index was built without a bank."""
        meta = read_bank_meta(index_dir)
        if meta is None:
            return None
        directory = Path(index_dir) / BANK_DIR
        if meta.get("format") != BANK_FORMAT:
            raise CorruptIndexError(f"{directory}: bank format {meta.get('format')}, expected {BANK_FORMAT}")
        try:
            with open(directory / BANK_QUESTIONS, encoding="utf-8") as fh:
                questions = [BankQuestion.from_dict(json.loads(line)) for line in fh if line.strip()]
            vectors = np.load(directory / BANK_VECTORS, allow_pickle=False)
            field = LexicalIndex.load(directory, chunks, subdir="lexical")
        except (OSError, ValueError, TypeError, json.JSONDecodeError, LexicalIndexError) as exc:
            raise CorruptIndexError(f"question bank in {directory} is damaged: {exc}") from exc
        by_id = {c.id: i for i, c in enumerate(chunks)}
        if len(questions) != meta.get("count") or vectors.shape[0] != len(questions):
            raise CorruptIndexError(f"question bank in {directory} is inconsistent with its meta.json")
        try:
            positions = np.array([by_id[q.chunk_id] for q in questions], dtype=np.int64)
        except KeyError as exc:
            raise CorruptIndexError(f"question bank in {directory} points at a chunk not in the index: {exc}") from exc
        return cls(questions, positions, vectors.astype(np.float32, copy=False), field, meta)

    def __len__(self) -> int:
        return len(self.questions)

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Per chunk, the best cosine of its questions to a normalised query vector (-inf for chunks without any)."""
        out = np.full(self.chunk_count, -np.inf, dtype=np.float32)
        if len(self.questions):
            np.maximum.at(out, self.positions, self.vectors @ vector.astype(np.float32))
        return out

    def best_question(self, position: int, vector: np.ndarray) -> BankQuestion | None:
        """The question of a chunk closest to a query vector (why a hit matched), or None."""
        ids = self.by_chunk.get(position)
        if not ids:
            return None
        sims = self.vectors[ids] @ vector.astype(np.float32)
        return self.questions[ids[int(np.argmax(sims))]]

    def field_scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of each chunk's questions for analysed query terms."""
        return self.field.scores(terms)
