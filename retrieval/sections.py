"""Whole sections, documents and amendment notes assembled from an index's chunks.

The one place where chunk data (momentti-level chunks, amendment links, guide pages) becomes what
the API and the pages show. Fields that a given index does not have yet are read with ``getattr``
and come back empty.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence

from index.store import VectorIndex
from ingest.consolidation_model import act_key, as_amended
from ingest.models import Chunk, Citation

from .types import AmendmentNote, DocumentView, SectionView

_MOM_SUFFIX_RE = re.compile(
    r"\s+\d+(?:[–-]\d+)?\s+mom\.(?:\s+\d+(?:\s?[a-z])?(?:[–-]\d+(?:\s?[a-z])?)?\s+(?:kohta|punkten))?$"
)
_PHRASE_RE = re.compile(r"\s+\((?:sellaisena kuin se on|i den lydelse den har|sådan den lyder)[^()]*\)$")


def plain_label(label: str) -> str:
    """A section label without its "sellaisena kuin se on …" phrase and momentti span: ``… (531/2017) 97 §``."""
    return _MOM_SUFFIX_RE.sub("", _PHRASE_RE.sub("", label))


def amendment_notes(citation: Citation, lang: str | None = None) -> list[AmendmentNote]:
    """Amendment notes of a citation (worded in ``lang``, default the citation's); empty before links existed."""
    lang = lang or citation.lang
    notes: list[AmendmentNote] = []
    for a in getattr(citation, "amendments", ()) or ():
        act = str(getattr(a, "act", "") or "")
        if not act:
            continue
        date, change, part = getattr(a, "date", None), str(getattr(a, "change", "amend")), getattr(a, "part", None)
        label = getattr(a, "label", None)
        note = label(lang) if callable(label) else f"{change}: {act}" + (f" ({date})" if date else "")
        notes.append(AmendmentNote(act=act, date=date, change=change, part=part, note=note))
    return notes


def subsections(citation: Citation) -> tuple[int, ...]:
    """Momentit a chunk holds; () means the whole section."""
    return tuple(getattr(citation, "subsections", ()) or ())


def section_group(chunk: Chunk) -> tuple[str, str]:
    """(lang, key) shared by every chunk of the same section (or guide page/heading)."""
    c = chunk.citation
    if c.section_key:
        return c.lang, c.section_key
    if c.section is not None:
        return c.lang, f"{c.doc_id}:{c.chapter or ''}:{c.section}"
    return c.lang, f"{c.doc_id}:{chunk.id}"


def common_heading_path(chunks: Sequence[Chunk]) -> list[str]:
    """The heading path all the chunks share (a peruste's unit, above its parts)."""
    common = list(chunks[0].citation.heading_path)
    for other in chunks[1:]:
        path = list(other.citation.heading_path)
        while common and path[: len(common)] != common:
            common.pop()
    return common


def whole_section_label(chunks: Sequence[Chunk]) -> str:
    """Citation string for the whole section: the chunk label without a momentti span.

    A consolidated section's label names the acts whose wording the whole section holds
    ("sellaisena kuin se on osaksi laeissa …"), gathered over its chunks.
    """
    c = chunks[0].citation
    if getattr(c, "kind", None) == "peruste" and len(chunks) > 1:
        # The unit, not one of its parts: "Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708)".
        return " › ".join([c.label.split(" › ")[0], *common_heading_path(chunks)])
    if len(chunks) == 1 and not subsections(c):
        return c.label
    base = plain_label(c.label)
    acts = tuple(sorted({a for ch in chunks for a in getattr(ch.citation, "wording_acts", ())}, key=act_key))
    if getattr(c, "consolidation", None) != "consolidated" or getattr(c, "repealed_by", None) or not c.statute:
        return base
    phrase = as_amended(acts, c.statute, c.kind, c.lang)
    return f"{base} ({phrase})" if phrase else base


class CorpusView:
    """Sections and documents of one loaded index, computed once from its chunks."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = list(chunks)
        self._position = {c.id: i for i, c in enumerate(self._chunks)}
        groups: dict[tuple[str, str], list[Chunk]] = {}
        order: dict[str, list[tuple[str, str]]] = {}  # doc_id → section groups in document order
        self._home: dict[str, tuple[str, str]] = {}  # chunk of another wording → its section's group
        for chunk in self._chunks:
            group = section_group(chunk)
            if "@" in group[1]:
                # A wording not in force at build time ("…s97@2021-08-01"): it belongs to its section.
                self._home[chunk.id] = (group[0], group[1].split("@", 1)[0])
                continue
            if group not in groups:
                groups[group] = []
                order.setdefault(chunk.citation.doc_id, []).append(group)
            groups[group].append(chunk)
        for members in groups.values():
            # Momentti-level chunks: whole-section chunks first, then by first momentti.
            members.sort(key=lambda c: (subsections(c.citation)[:1] or (0,), self._position[c.id]))
        self._groups = groups
        self._by_key: dict[str, list[tuple[str, str]]] = {}
        for group in groups:
            self._by_key.setdefault(group[1], []).append(group)
        self._doc_order = order
        self._documents = self._make_documents()
        self._sources = self._make_sources()

    def _make_sources(self) -> list[tuple[str, dict[str, str]]]:
        statutes: dict[str, dict[str, str]] = {}
        guides: dict[str, dict[str, str]] = {}
        for chunk in self._chunks:
            c = chunk.citation
            if c.statute:
                statutes.setdefault(c.statute, {}).setdefault(c.lang, c.doc_title)
            else:
                guides.setdefault(c.doc_id, {}).setdefault(c.lang, c.doc_title)
        ordered = sorted(statutes.items(), key=lambda item: (item[0].split("/")[-1], item[0].split("/")[0].zfill(6)))
        return ordered + sorted(guides.items(), key=lambda item: next(iter(item[1].values())).lower())

    def _make_documents(self) -> dict[str, DocumentView]:
        docs: dict[str, DocumentView] = {}
        by_statute: dict[str, list[str]] = {}
        for doc_id, sections in self._doc_order.items():
            members = [c for g in sections for c in self._groups[g]]
            c = members[0].citation
            if c.statute:
                by_statute.setdefault(c.statute, []).append(doc_id)
            docs[doc_id] = DocumentView(
                id=doc_id,
                title=c.doc_title,
                kind=c.kind,
                lang=c.lang,
                statute=c.statute,
                url=c.url,
                chunk_count=len(members),
                section_count=len(sections),
                first_chunk_id=members[0].id,
                other_languages=[],
                institution=c.institution,
            )
        for doc_id, doc in docs.items():
            if doc.statute:
                others = [d for d in by_statute[doc.statute] if d != doc_id]
                docs[doc_id] = DocumentView(**{**doc.__dict__, "other_languages": others})
        return docs

    def documents(self) -> list[DocumentView]:
        """Every document, in index order."""
        return list(self._documents.values())

    def document(self, doc_id: str) -> DocumentView | None:
        """One document by id."""
        return self._documents.get(doc_id)

    def sources(self) -> list[tuple[str, dict[str, str]]]:
        """Sources for a statute/guide filter: (statute number or guide doc_id, {lang: title}); statutes first, oldest first."""
        return self._sources

    def wording_date(self, chunk_id: str) -> str | None:
        """For a chunk of a wording not in force at build time, the date that wording took effect."""
        if chunk_id not in self._home:
            return None
        return getattr(self._chunks[self._position[chunk_id]].citation, "wording_since", None)

    def section_ids(self, doc_id: str) -> list[str]:
        """The first chunk id of each section of a document, in document order."""
        return [self._groups[g][0].id for g in self._doc_order.get(doc_id, [])]

    def section(self, chunk_id: str) -> SectionView | None:
        """The whole section that holds a chunk, or None for an unknown id."""
        home = self._home.get(chunk_id)
        if home is not None:
            members = self._groups.get(home)
            return self.section(members[0].id) if members else None
        i = self._position.get(chunk_id)
        if i is None:
            return None
        chunk = self._chunks[i]
        group = section_group(chunk)
        members = self._groups[group]
        doc_sections = self._doc_order[chunk.citation.doc_id]
        at = doc_sections.index(group)
        previous = self._groups[doc_sections[at - 1]][0] if at > 0 else None
        following = self._groups[doc_sections[at + 1]][0] if at + 1 < len(doc_sections) else None
        notes: dict[tuple[str, str, str | None], AmendmentNote] = {}
        for member in members:
            for note in amendment_notes(member.citation):
                notes.setdefault((note.act, note.change, note.part), note)
        lang, key = group
        # Only a language-independent section_key links languages; fallback keys hold a doc id.
        linked = self._by_key.get(key, []) if chunk.citation.section_key else []
        others = [self._groups[g][0] for g in linked if g[0] != lang]
        return SectionView(
            chunk_id=chunk_id,
            lang=lang,
            key=key,
            label=whole_section_label(members),
            chunks=members,
            previous=previous,
            next=following,
            amendments=list(notes.values()),
            other_languages=sorted(others, key=lambda c: c.citation.lang),
        )


_VIEWS: "weakref.WeakKeyDictionary[VectorIndex, CorpusView]" = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def corpus_view(index: VectorIndex) -> CorpusView:
    """The (cached) view of a loaded index; a swapped-in index gets its own view."""
    with _VIEWS_LOCK:
        view = _VIEWS.get(index)
        if view is None:
            view = _VIEWS[index] = CorpusView(index.chunks)
        return view
