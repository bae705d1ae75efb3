"""Turn parsed statutes into cited chunks."""

from __future__ import annotations

import logging
import re

from .finlex import Section, Statute
from .models import Chunk, Citation, Document

logger = logging.getLogger(__name__)

_LABELS = {
    "fi": {"chapter": "luku", "in_force": "voimaantulosäännös", "mom": "mom."},
    "sv": {"chapter": "kap.", "in_force": "ikraftträdandebestämmelse", "mom": "mom."},
}


def statute_slug(number: str) -> str:
    """``531/2017`` → ``531-2017`` (URL- and file-safe)."""
    return number.replace("/", "-")


def section_slug(number: str | None) -> str:
    """``52 a`` → ``52a``; None (entry-into-force provision) → ``voimaantulo``."""
    if number is None:
        return "voimaantulo"
    return re.sub(r"\s+", "", number).lower()


def finlex_url(number: str, lang: str) -> str:
    """Link to the original enacted text on Finlex."""
    num, year = number.split("/")
    return f"https://www.finlex.fi/{'sv' if lang == 'sv' else 'fi'}/laki/alkup/{year}/{year}{int(num):04d}"


def numbered_per_chapter(statute: Statute) -> bool:
    """True when section numbers restart in each chapter (e.g. Työsopimuslaki 55/2001)."""
    numbers = [s.number for s in statute.sections if s.number is not None]
    return len(numbers) != len(set(numbers))


def section_label(
    statute: Statute, section: Section, subsections: tuple[int, ...] = (), *, with_chapter: bool = False
) -> str:
    """Human citation string, e.g. ``Laki ammatillisesta koulutuksesta (531/2017) 44 § 2 mom.``."""
    words = _LABELS.get(statute.lang, _LABELS["fi"])
    head = f"{statute.title} ({statute.number})"
    if section.number is None:
        return f"{head} {words['in_force']}"
    if with_chapter and section.chapter:
        head = f"{head} {section.chapter} {words['chapter']}"
    label = f"{head} {section.number} §"
    if subsections:
        first, last = subsections[0], subsections[-1]
        span = f"{first}" if first == last else f"{first}–{last}"
        label += f" {span} {words['mom']}"
    return label


def _context(statute: Statute, section: Section) -> str:
    words = _LABELS.get(statute.lang, _LABELS["fi"])
    parts = [f"{statute.title} ({statute.number})"]
    if section.chapter:
        chapter = f"{section.chapter} {words['chapter']}"
        parts.append(f"{chapter} {section.chapter_heading}" if section.chapter_heading else chapter)
    if section.number is not None:
        heading = f"{section.number} §"
        parts.append(f"{heading} {section.heading}" if section.heading else heading)
    elif section.heading:
        parts.append(section.heading)
    return " – ".join(parts)


def statute_to_document(statute: Statute) -> Document:
    """Make one chunk per section (§), each carrying its full citation."""
    slug = statute_slug(statute.number)
    doc_id = f"{statute.lang}.{slug}"
    url = finlex_url(statute.number, statute.lang)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    per_chapter = numbered_per_chapter(statute)
    for section in statute.sections:
        if not section.subsections:
            logger.debug("%s: section %s has no text; skipped", statute.source_path, section.number)
            continue
        key = f"s{section_slug(section.number)}"
        if per_chapter and section.chapter and section.number is not None:
            # Numbers restart in each chapter, so only chapter + section identifies a section.
            key = f"c{section_slug(section.chapter)}.{key}"
        base_id = f"{doc_id}.{key}"
        seen[base_id] = seen.get(base_id, 0) + 1
        chunk_id = base_id if seen[base_id] == 1 else f"{base_id}-{seen[base_id]}"
        citation = Citation(
            doc_id=doc_id,
            doc_title=statute.title,
            kind=statute.kind,
            lang=statute.lang,
            label=section_label(statute, section, with_chapter=per_chapter),
            statute=statute.number,
            chapter=section.chapter,
            chapter_heading=section.chapter_heading,
            section=section.number,
            section_heading=section.heading,
            url=url,
            section_key=f"{slug}.{key}",
        )
        chunks.append(Chunk(id=chunk_id, text=section.text, citation=citation, context=_context(statute, section)))
    return Document(
        id=doc_id,
        title=statute.title,
        kind=statute.kind,
        lang=statute.lang,
        source_path=statute.source_path,
        url=url,
        chunks=tuple(chunks),
    )
