"""The lexical half of an index: BM25 (bm25s) over analysed terms, stored in ``<index>/lexical/``.

Every chunk is indexed under its own language's analysis of its context line and text (headings
matter: a coach's word is often in the section heading). Scores are computed for all chunks at
once (a sparse dot product, well under a millisecond for a few thousand chunks), so filters are a
plain boolean mask and never cut recall.

BM25's statistics (document frequencies, average length) are kept per collection: the tutkinnon
perusteet apart from the statutes and guides. Thousands of criteria chunks saying "opiskelija",
"työ" and "arviointi" would otherwise lower those words' weight in every statute's score, and the
statutes' ranking would depend on whether perusteet are indexed at all (docs/ingest.md has the
figures). Each collection is its own bm25s index in ``lexical/<collection>/``; a query is scored
in each and the scores land at the chunks' positions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.models import Chunk, text_hash

from .analysis import Analyzer, analyze_query, create_analyzer
from .errors import AnalyzerError, LexicalIndexError
from .files import make_dir, set_tree_modes, write_file_durably

logger = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"
LEXICAL_META = "lexical.json"
LEXICAL_FORMAT = 2
#: The formats ``load`` reads: 1 is one BM25 over every chunk (indexes built before collections).
READABLE_FORMATS = (1, 2)
#: Collections in the order their folders are listed; a chunk's collection comes from its kind.
COLLECTIONS = ("texts", "perusteet")
#: Chosen by measurement on the dev set (docs/retrieval.md).
DEFAULT_ANALYZER = "voikko"
DEFAULT_K1 = 1.2
DEFAULT_B = 0.75


def _ids_hash(chunks: Sequence[Chunk]) -> str:
    return text_hash("\n".join(c.id for c in chunks))


def collection_of(chunk: Chunk) -> str:
    """The collection whose BM25 statistics score a chunk: perusteet apart from statutes and guides."""
    return "perusteet" if chunk.citation.kind == "peruste" else "texts"


def collection_positions(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    """Chunk positions per collection, in COLLECTIONS order, empty collections left out."""
    names = [collection_of(c) for c in chunks]
    out = {name: np.array([i for i, n in enumerate(names) if n == name], dtype=np.int64) for name in COLLECTIONS}
    return {name: pos for name, pos in out.items() if pos.size}


def _new_bm25(terms: Sequence[list[str]], k1: float, b: float) -> object:
    import bm25s

    bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
    # bm25s cannot index an empty document: a chunk without terms gets one no query can produce.
    bm25.index([t or ["\x00"] for t in terms], show_progress=False)
    return bm25


class LexicalIndex:
    """BM25 over the analysed chunks of one index, aligned with the index's chunk order."""

    def __init__(
        self, analyzer: Analyzer, parts: Sequence[tuple[str, np.ndarray, object]], chunk_count: int, meta: dict
    ) -> None:
        self.analyzer = analyzer
        self._parts = list(parts)  # (collection, chunk positions, bm25s index)
        self.chunk_count = chunk_count
        self.meta = meta

    @classmethod
    def build(
        cls,
        chunks: Sequence[Chunk],
        analyzer: str | Analyzer = DEFAULT_ANALYZER,
        *,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
    ) -> "LexicalIndex":
        """Analyse and index the chunks (in their order)."""
        an = create_analyzer(analyzer) if isinstance(analyzer, str) else analyzer
        corpus = [an.analyze(c.embed_text, c.citation.lang) for c in chunks]
        return cls.from_terms(chunks, corpus, an, k1=k1, b=b)

    @classmethod
    def from_terms(
        cls,
        chunks: Sequence[Chunk],
        corpus: Sequence[list[str]],
        analyzer: Analyzer,
        *,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
    ) -> "LexicalIndex":
        """Index already analysed term lists, one per chunk (the question bank's field is one of these)."""
        parts = [
            (name, pos, _new_bm25([corpus[i] for i in pos], k1, b))
            for name, pos in collection_positions(chunks).items()
        ]
        meta = {
            "format": LEXICAL_FORMAT,
            "analyzer": analyzer.name,
            "k1": k1,
            "b": b,
            "chunk_count": len(chunks),
            "chunk_ids_hash": _ids_hash(chunks),
            "collections": {name: int(pos.size) for name, pos, _ in parts},
        }
        return cls(analyzer, parts, len(chunks), meta)

    def save(self, directory: str | Path) -> None:
        """Write the BM25 matrices and a metadata file into ``directory`` (a staging dir)."""
        directory = Path(directory)
        make_dir(directory)
        for name, _pos, bm25 in self._parts:
            make_dir(directory / name)
            bm25.save(str(directory / name), show_progress=False)  # type: ignore[attr-defined]
        write_file_durably(directory / LEXICAL_META, json.dumps(self.meta, indent=2).encode("utf-8"))
        set_tree_modes(directory)  # bm25s writes with the umask

    @classmethod
    def load(cls, index_dir: str | Path, chunks: Sequence[Chunk], subdir: str = LEXICAL_DIR) -> "LexicalIndex":
        """Load ``<index_dir>/lexical`` (or another BM25 folder); refuse one that does not match the index's chunks."""
        import bm25s

        directory = Path(index_dir) / subdir
        meta_path = directory / LEXICAL_META
        if not meta_path.exists():
            raise LexicalIndexError(f"index {index_dir} has no lexical index ({LEXICAL_DIR}/{LEXICAL_META})")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LexicalIndexError(f"{meta_path}: unreadable: {exc}") from exc
        if meta.get("format") not in READABLE_FORMATS:
            raise LexicalIndexError(f"{meta_path}: lexical format {meta.get('format')}, expected {LEXICAL_FORMAT}")
        if meta.get("chunk_count") != len(chunks) or meta.get("chunk_ids_hash") != _ids_hash(chunks):
            raise LexicalIndexError(f"{meta_path}: lexical index does not match the index's chunks")
        analyzer = create_analyzer(meta["analyzer"])
        if not chunks:
            return cls(analyzer, [], 0, meta)
        if meta["format"] == 1:
            places = [("all", np.arange(len(chunks), dtype=np.int64), directory)]
        else:
            positions = collection_positions(chunks)
            if meta.get("collections") != {name: int(pos.size) for name, pos in positions.items()}:
                raise LexicalIndexError(f"{meta_path}: lexical collections do not match the index's chunks")
            places = [(name, pos, directory / name) for name, pos in positions.items()]
        parts = []
        for name, pos, where in places:
            try:
                parts.append((name, pos, bm25s.BM25.load(str(where), show_progress=False)))
            except (OSError, ValueError, KeyError) as exc:
                raise LexicalIndexError(f"lexical index {where} is damaged: {exc}") from exc
        return cls(analyzer, parts, len(chunks), meta)

    def query_terms(self, query: str, lang: str | None = None) -> list[str]:
        """The analysed terms of a query (both languages unless ``lang`` is given)."""
        return analyze_query(self.analyzer, query, lang)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for already analysed query terms."""
        out = np.zeros(self.chunk_count, dtype=np.float32)
        for _name, pos, bm25 in self._parts:
            ids = bm25.get_tokens_ids(list(terms))  # type: ignore[attr-defined]
            if ids:
                out[pos] = np.asarray(bm25.get_scores_from_ids(ids), dtype=np.float32)  # type: ignore[attr-defined]
        return out

    def search(self, terms: Sequence[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (chunk position, score) pairs with a positive score, restricted to ``mask``."""
        return top_k(self.scores(terms), k, mask)


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The k best positive entries of a score vector as (position, score), ties in position order."""
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    return [(i, float(scores[i])) for i in best_of(scores, np.flatnonzero(scores > 0), k)]


def best_of(scores: np.ndarray, candidates: np.ndarray, k: int) -> list[int]:
    """The k candidate positions with the highest scores, best first, ties in position order."""
    if candidates.size == 0 or k <= 0:
        return []
    if candidates.size > k:
        candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
    return sorted(candidates.tolist(), key=lambda i: (-float(scores[i]), i))


def write_lexical_index(chunks: Sequence[Chunk], index_dir: str | Path, analyzer: str = DEFAULT_ANALYZER) -> Analyzer:
    """Build-time hook: write the lexical index into an index (staging) directory; returns the analyser used.

    Without Voikko (the Debian packages are missing) the build goes on with Snowball and says so;
    the analyser used is recorded, so queries are analysed the same way.
    """
    try:
        an = create_analyzer(analyzer)
    except AnalyzerError as exc:
        logger.warning("%s; the lexical index falls back to the snowball analyser", exc)
        an = create_analyzer("snowball")
    LexicalIndex.build(chunks, an).save(Path(index_dir) / LEXICAL_DIR)
    return an
