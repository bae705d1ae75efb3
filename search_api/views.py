"""Data the web pages show, assembled from the library: highlights, sections, amendment notes, ask drafts.

These are small seams: each works with today's index data and can later be pointed at the
API's own functions (section assembly, highlights, ``index/answer.py``) without touching the pages.
"""

from __future__ import annotations

import logging
import re
import weakref
from dataclasses import dataclass, field

from index import highlight, sections
from index.search import Searcher
from index.store import Filters, Hit, VectorIndex
from ingest.models import Chunk
from lahde.settings import Settings

logger = logging.getLogger(__name__)

def highlight_spans(text: str, query: str) -> list[tuple[str, bool]]:
    """Split text into (segment, matched) pieces, marking what index.highlight matches."""
    if not text:
        return []
    pieces: list[tuple[str, bool]] = []
    last = 0
    for span in highlight.highlight_spans(text, query):
        if span.start > last:
            pieces.append((text[last : span.start], False))
        pieces.append((text[span.start : span.end], True))
        last = span.end
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def highlight_paragraphs(text: str, query: str) -> list[list[tuple[str, bool]]]:
    """Highlight pieces per paragraph (momentit are separated by blank lines)."""
    return [highlight_spans(p.strip(), query) for p in re.split(r"\n\s*\n", text) if p.strip()]


def amendment_notes(chunk: Chunk, lang: str = "fi") -> list[str]:
    """Human notes such as 'muutettu: 1218/2020 (voimaan 1.8.2021)', worded in the UI language."""
    return [note.note for note in sections.amendment_notes(chunk.citation, lang)]


@dataclass
class SectionView:
    """A whole section (§) as the page shows it: chunks, neighbours and counterpart as chunks."""

    chunk: Chunk  # the first chunk of the section; its citation describes the section
    text: str
    label: str  # the whole section's citation, without a momentti span
    chunk_ids: list[str]
    prev: Chunk | None = None
    next: Chunk | None = None
    counterpart: Chunk | None = None
    amendments: list[str] = field(default_factory=list)


def section_view(index: VectorIndex, chunk_id: str, lang: str = "fi") -> SectionView | None:
    """The section holding chunk_id, assembled by index.sections (the same view /api/sections uses)."""
    view = sections.corpus_view(index).section(chunk_id)
    if view is None:
        return None
    notes: dict[str, None] = {}
    for member in view.chunks:
        notes.update(dict.fromkeys(amendment_notes(member, lang)))
    return SectionView(
        chunk=view.chunks[0],
        text=view.text,
        label=view.label,
        chunk_ids=[c.id for c in view.chunks],
        prev=index.get(view.previous_id) if view.previous_id else None,
        next=index.get(view.next_id) if view.next_id else None,
        counterpart=view.other_languages[0] if view.other_languages else None,
        amendments=list(notes),
    )


@dataclass(frozen=True)
class SourceFilters(Filters):
    """Filters plus one source document (a guide or instruction has no statute number to filter by)."""

    doc: str | None = None

    def accepts(self, chunk: Chunk) -> bool:
        """True when the chunk passes every set filter."""
        return super().accepts(chunk) and (self.doc is None or chunk.citation.doc_id == self.doc)

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return super().active or self.doc is not None


_DOCUMENTS: "weakref.WeakKeyDictionary[VectorIndex, list[tuple[str, dict[str, str]]]]" = weakref.WeakKeyDictionary()


def documents(index: VectorIndex) -> list[tuple[str, dict[str, str]]]:
    """Sources for the statute/guide filter: (statute number or guide doc_id, {lang: title}); statutes first, oldest first."""
    cached = _DOCUMENTS.get(index)
    if cached is None:
        statutes: dict[str, dict[str, str]] = {}
        guides: dict[str, dict[str, str]] = {}
        for chunk in index.chunks:
            c = chunk.citation
            if c.statute:
                statutes.setdefault(c.statute, {}).setdefault(c.lang, c.doc_title)
            else:
                guides.setdefault(c.doc_id, {}).setdefault(c.lang, c.doc_title)
        ordered = sorted(statutes.items(), key=lambda item: (item[0].split("/")[-1], item[0].split("/")[0].zfill(6)))
        cached = ordered + sorted(guides.items(), key=lambda item: next(iter(item[1].values())).lower())
        _DOCUMENTS[index] = cached
    return cached


def source_filters(kind: str | None, lang: str | None, source: str | None) -> Filters:
    """Filters for the page's choices; ``source`` is a statute number or a guide's doc_id."""
    # Statute numbers are "531/2017"; document ids ("fi.opas-hoks") never hold a slash.
    if source is not None and "/" in source:
        return Filters(kind=kind, lang=lang, statute=source)
    return SourceFilters(kind=kind, lang=lang, doc=source)


def in_scope(index: VectorIndex, filters: Filters) -> int:
    """How many passages the filters leave to search."""
    if not filters.active:
        return len(index)
    return sum(1 for c in index.chunks if filters.accepts(c))


@dataclass
class AskSentence:
    """One sentence of an answer draft and the number of the source it rests on (1-based)."""

    text: str
    source_no: int | None


@dataclass
class AskDraft:
    """An answer draft: sentences citing numbered sources, or an abstention with a message."""

    sentences: list[AskSentence]
    sources: list[Hit]
    abstained: bool
    message: str


def ask_draft(searcher: Searcher, query: str, filters: Filters | None, settings: Settings) -> AskDraft:
    """Draft an answer with the same drafter (and sentence-vector cache) that /api/ask uses."""
    from .routes_more import get_drafter

    answer = get_drafter(settings, searcher).ask(query, settings.ask_default_k, filters)
    return AskDraft(
        sentences=[AskSentence(text=s.text, source_no=s.source) for s in answer.sentences],
        sources=list(answer.sources),
        abstained=not answer.answered,
        message=answer.message or "",
    )
