"""What changed between two generations: documents and chunks added, changed, unchanged, removed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from ingest.models import Chunk, Document

from .errors import IndexNotFoundError
from .generations import IndexRoot, generation_number, parse_generation
from .types import ChangeReport, ChunkChange, DocumentChange, DocumentRecord

CHANGES = "changes.json"
DOCUMENTS = "documents.json"


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
    for change in report.documents_changed:
        lines.append(f"  ~ {change.id}  {change.title}")
        for mark, items in (("+", change.added), ("~", change.changed), ("-", change.removed)):
            for ch in items:
                lines.append(f"      {mark} {ch.id}  {ch.label}")
                if diff and mark == "~":
                    lines.extend("        " + line for line in ch.diff().splitlines())
    for w in report.wordings_changed:
        what = "wording in force changed" if w.get("in_force_changed") else "wordings over time changed"
        acts = ", ".join(w.get("acts") or [])
        lines.append(f"  § {w['statute']} {w['section']} § ({w['lang']}): {what} [{w['status']}] {acts}".rstrip())
    for f in report.documents_failed:
        kept = f"; kept {f['kept']} from the previous generation" if f.get("kept") else ""
        lines.append(f"  ! {f['path']}: {f['error']}{kept}")
    return "\n".join(lines)


def reports_since(root: str | Path, since: str | None = None) -> list[ChangeReport]:
    """Change reports of the current generation, or of every generation after ``since`` up to the current one."""
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
