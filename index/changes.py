"""What changed between two generations: documents and chunks added, changed, unchanged, removed."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.models import Chunk, Document

CHANGES = "changes.json"
DOCUMENTS = "documents.json"


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
        return cls(doc.id, doc.title, doc.kind, doc.lang, doc.source_path, doc.content_hash, tuple(c.id for c in doc.chunks))

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
        )


def compare(
    old_docs: Sequence[DocumentRecord], old_chunks: Iterable[Chunk], new_docs: Sequence[Document]
) -> ChangeReport:
    """Classify documents and chunks of the new corpus against the previous generation."""
    old_by_id = {d.id: d for d in old_docs}
    old_chunk = {c.id: c for c in old_chunks}
    report = ChangeReport(generation=None, previous=None)
    counts = {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
    new_ids = set()
    for doc in new_docs:
        new_ids.add(doc.id)
        before = old_by_id.get(doc.id)
        if before is None:
            report.documents_added.append({"id": doc.id, "title": doc.title, "chunks": len(doc.chunks)})
            counts["added"] += len(doc.chunks)
            continue
        if before.content_hash == doc.content_hash:
            report.documents_unchanged += 1
            counts["unchanged"] += len(doc.chunks)
            continue
        added, changed, removed, same = [], [], [], 0
        for chunk in doc.chunks:
            prev = old_chunk.get(chunk.id)
            if prev is None:
                added.append(ChunkChange(chunk.id, chunk.citation.label, None, chunk.text))
            elif prev.content_hash != chunk.content_hash:
                changed.append(ChunkChange(chunk.id, chunk.citation.label, prev.text, chunk.text))
            else:
                same += 1
        kept = {c.id for c in doc.chunks}
        for cid in before.chunk_ids:
            if cid not in kept and cid in old_chunk:
                prev = old_chunk[cid]
                removed.append(ChunkChange(cid, prev.citation.label, prev.text, None))
        counts["added"] += len(added)
        counts["changed"] += len(changed)
        counts["removed"] += len(removed)
        counts["unchanged"] += same
        report.documents_changed.append(
            DocumentChange(doc.id, doc.title, tuple(added), tuple(changed), tuple(removed), same)
        )
    for before in old_docs:
        if before.id not in new_ids:
            report.documents_removed.append({"id": before.id, "title": before.title, "chunks": len(before.chunk_ids)})
            counts["removed"] += len(before.chunk_ids)
    report.chunks = counts
    return report


def read_documents(gen_dir: Path) -> list[DocumentRecord]:
    """The document records stored with a generation ([] when absent, e.g. a legacy index)."""
    path = gen_dir / DOCUMENTS
    if not path.exists():
        return []
    return [DocumentRecord.from_dict(d) for d in json.loads(path.read_text(encoding="utf-8"))]


def documents_json(docs: Iterable[DocumentRecord]) -> bytes:
    """Serialise document records for documents.json."""
    return json.dumps([d.to_dict() for d in docs], ensure_ascii=False, indent=1).encode("utf-8")


def read_report(gen_dir: Path) -> ChangeReport | None:
    """The change report stored with a generation, or None."""
    path = gen_dir / CHANGES
    if not path.exists():
        return None
    return ChangeReport.from_dict(json.loads(path.read_text(encoding="utf-8")))


def format_report(report: ChangeReport, *, diff: bool = False) -> str:
    """Human-readable summary of a change report (and unified diffs of changed chunks with ``diff``)."""
    since = f" (previous: {report.previous})" if report.previous else " (first generation)"
    if report.generation is None:
        title = f"No changes since {report.previous}"
    else:
        title = f"Generation {report.generation}{since}" + (f", built {report.built_at}" if report.built_at else "")
    c = report.chunks
    lines = [
        title,
        f"  documents: {len(report.documents_added)} added, {len(report.documents_changed)} changed, "
        f"{len(report.documents_removed)} removed, {report.documents_unchanged} unchanged"
        + (f", {len(report.documents_failed)} failed" if report.documents_failed else ""),
        f"  chunks: {c.get('added', 0)} added, {c.get('changed', 0)} changed, {c.get('removed', 0)} removed, "
        f"{c.get('unchanged', 0)} unchanged; {report.embedded} embedded",
    ]
    st = report.stats
    if st.get("file_bytes"):
        lines.append(
            f"  index: {st['index_type']}, {st['chunk_count']} chunks; vectors {st['vector_memory_bytes'] / 1e6:.1f} MB "
            f"in memory, generation {sum(st['file_bytes'].values()) / 1e6:.1f} MB on disk"
        )
    for d in report.documents_added:
        lines.append(f"  + {d['id']}  {d['title']} ({d['chunks']} chunks)")
    for d in report.documents_removed:
        lines.append(f"  - {d['id']}  {d['title']} ({d['chunks']} chunks)")
    for d in report.documents_changed:
        lines.append(f"  ~ {d.id}  {d.title}")
        for mark, items in (("+", d.added), ("~", d.changed), ("-", d.removed)):
            for ch in items:
                lines.append(f"      {mark} {ch.id}  {ch.label}")
                if diff and mark == "~":
                    lines.extend("        " + line for line in ch.diff().splitlines())
    for f in report.documents_failed:
        kept = f"; kept {f['kept']} from the previous generation" if f.get("kept") else ""
        lines.append(f"  ! {f['path']}: {f['error']}{kept}")
    return "\n".join(lines)


def reports_since(root: str | Path, since: str | None = None) -> list[ChangeReport]:
    """Change reports of the current generation, or of every generation after ``since`` up to the current one."""
    from .errors import IndexNotFoundError
    from .generations import IndexRoot, generation_number, parse_generation

    index_root = IndexRoot(root)
    current = index_root.current_name()
    if current is None:
        raise IndexNotFoundError(f"no index generations at {root}; build one with `lahde build`")
    if since is None:
        names = [current]
    else:
        start = generation_number(parse_generation(since)) or 0
        stop = generation_number(current) or 0
        names = [n for n in index_root.generations() if start < (generation_number(n) or 0) <= stop]
    reports = []
    for name in names:
        report = read_report(index_root.path / name)
        if report is not None:
            reports.append(report)
    return reports
