"""Plain data the index stage hands upwards: what an index holds, what a re-index did and changed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.models import Document

from .ann import HNSW_THRESHOLD


@dataclass(frozen=True)
class Manifest:
    """What an index directory holds and how it was made."""

    format_version: int
    model_id: str
    backend: str
    dim: int
    chunk_count: int
    built_at: str
    build_seconds: float
    embedded_count: int
    index_type: str = "flat"

    def to_dict(self) -> dict:
        """Return JSON-ready data."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DocumentRecord:
    """What a generation remembers about one source document."""

    id: str
    title: str
    kind: str
    lang: str
    source_path: str
    content_hash: str
    chunk_ids: tuple[str, ...]

    @classmethod
    def of(cls, doc: Document) -> "DocumentRecord":
        """Summarise a freshly ingested document."""
        return cls(
            doc.id, doc.title, doc.kind, doc.lang, doc.source_path, doc.content_hash, tuple(c.id for c in doc.chunks)
        )

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return {**self.__dict__, "chunk_ids": list(self.chunk_ids)}

    @classmethod
    def from_dict(cls, data: dict) -> "DocumentRecord":
        """Rebuild from :meth:`to_dict` output."""
        return cls(**{**data, "chunk_ids": tuple(data["chunk_ids"])})


@dataclass(frozen=True)
class ChunkChange:
    """One chunk that was added, changed or removed, with the text on each side for a diff."""

    id: str
    label: str
    old_text: str | None
    new_text: str | None

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return dict(self.__dict__)

    def diff(self) -> str:
        """Unified diff of the old and new text."""
        old = (self.old_text or "").splitlines(keepends=True)
        new = (self.new_text or "").splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"{self.id} (old)", f"{self.id} (new)", lineterm="\n"))


@dataclass(frozen=True)
class DocumentChange:
    """A changed document: which of its chunks were added, changed or removed."""

    id: str
    title: str
    added: tuple[ChunkChange, ...] = ()
    changed: tuple[ChunkChange, ...] = ()
    removed: tuple[ChunkChange, ...] = ()
    unchanged_count: int = 0

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return {
            "id": self.id,
            "title": self.title,
            "added": [c.to_dict() for c in self.added],
            "changed": [c.to_dict() for c in self.changed],
            "removed": [c.to_dict() for c in self.removed],
            "unchanged_count": self.unchanged_count,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DocumentChange":
        """Rebuild from :meth:`to_dict` output."""
        cc = lambda items: tuple(ChunkChange(**c) for c in items)  # noqa: E731
        return cls(d["id"], d["title"], cc(d["added"]), cc(d["changed"]), cc(d["removed"]), d["unchanged_count"])


@dataclass
class ChangeReport:
    """Differences between the previous generation and the new one."""

    generation: str | None
    previous: str | None
    built_at: str = ""
    documents_added: list[dict] = field(default_factory=list)  # {id, title, chunks}
    documents_removed: list[dict] = field(default_factory=list)
    documents_changed: list[DocumentChange] = field(default_factory=list)
    documents_unchanged: int = 0
    documents_failed: list[dict] = field(default_factory=list)  # {path, error, kept: doc id or None}
    chunks: dict[str, int] = field(default_factory=dict)  # added/changed/unchanged/removed → count
    embedded: int = 0
    stats: dict = field(default_factory=dict)
    # Amended sections whose wording (in force, or enacted for later) differs from the previous
    # generation's: {statute, lang, section, status, in_force_changed, acts} (index.wordings).
    wordings_changed: list[dict] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """True when any document or chunk differs from the previous generation."""
        return bool(self.documents_added or self.documents_removed or self.documents_changed)

    def to_dict(self) -> dict:
        """JSON-ready data (stored as changes.json in the generation)."""
        return {
            "generation": self.generation,
            "previous": self.previous,
            "built_at": self.built_at,
            "documents": {
                "added": self.documents_added,
                "removed": self.documents_removed,
                "changed": [d.to_dict() for d in self.documents_changed],
                "unchanged": self.documents_unchanged,
                "failed": self.documents_failed,
            },
            "chunks": self.chunks,
            "embedded": self.embedded,
            "stats": self.stats,
            "wordings_changed": self.wordings_changed,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ChangeReport":
        """Rebuild from :meth:`to_dict` output."""
        docs = d["documents"]
        return cls(
            generation=d["generation"],
            previous=d["previous"],
            built_at=d.get("built_at", ""),
            documents_added=docs["added"],
            documents_removed=docs["removed"],
            documents_changed=[DocumentChange.from_dict(x) for x in docs["changed"]],
            documents_unchanged=docs["unchanged"],
            documents_failed=docs.get("failed", []),
            chunks=d["chunks"],
            embedded=d.get("embedded", 0),
            stats=d.get("stats", {}),
            wordings_changed=d.get("wordings_changed", []),
        )


@dataclass(frozen=True)
class ReindexOptions:
    """How a re-index runs."""

    full: bool = False  # write a new generation even when nothing changed; do not reuse old vectors
    keep: int = 3  # generations kept on disk, the current one included
    index_type: str = "auto"
    hnsw_threshold: int = HNSW_THRESHOLD
    wait: bool = False  # wait for another re-index's lock instead of refusing


@dataclass
class ReindexResult:
    """What a re-index did."""

    report: ChangeReport
    manifest: Manifest
    current_dir: Path
    switched: bool
    pruned: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def generation(self) -> str:
        """Name of the generation now current."""
        return self.current_dir.name
