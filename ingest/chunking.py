"""Turn parsed statutes into cited chunks."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .amendments import SectionChange
from .consolidation_model import WordingNote, act_key, as_amended
from .finlex import Section, Statute
from .kohdat import split_kohdat
from .models import Amendment, Chunk, Citation, Document
from .tokens import TokenCounter, estimate_tokens

logger = logging.getLogger(__name__)

# multilingual-e5-small reads at most 512 tokens; longer embed texts are truncated.
DEFAULT_MAX_TOKENS = 512

_LABELS = {
    "fi": {"chapter": "luku", "in_force": "voimaantulosäännös", "mom": "mom.", "kohta": "kohta", "liite": "liite"},
    "sv": {
        "chapter": "kap.",
        "in_force": "ikraftträdandebestämmelse",
        "mom": "mom.",
        "kohta": "punkten",
        "liite": "bilaga",
    },
}


def statute_slug(number: str) -> str:
    """``531/2017`` → ``531-2017`` (URL- and file-safe)."""
    return number.replace("/", "-")


def normalise_section(section: str) -> str:
    """``52a``, ``52 A``, ``52 a §`` → ``52 a``: the one form in which sections are compared."""
    s = " ".join(section.lower().replace("§", " ").split())
    m = re.fullmatch(r"(\d+)\s?([a-zåäö]+)?", s)
    if not m:
        return s
    return f"{m.group(1)} {m.group(2)}" if m.group(2) else m.group(1)


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
    if section.number is None and section.kind == "Liite":
        return f"{head} {words['liite']}"
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


def _split_momentit(
    context: str, section: Section, max_tokens: int, count_tokens: TokenCounter
) -> list[tuple[int, int]]:
    """Runs of whole momentit (1-based, inclusive) whose embed text fits ``max_tokens``.

    A single momentti longer than the limit stays whole: a citation never points inside one.
    """
    runs: list[tuple[int, int]] = []
    start = 0
    subs = section.subsections
    for i in range(1, len(subs) + 1):
        if i == start + 1:
            continue
        text = "\n\n".join(s.text for s in subs[start:i])
        if count_tokens(f"{context}\n{text}") > max_tokens:
            runs.append((start + 1, i - 1))
            start = i - 1
    runs.append((start + 1, len(subs)))
    return runs


def _with_wording(
    citation: Citation, note: WordingNote, statute: Statute, on: str | None, numbers: tuple[int, ...]
) -> Citation:
    """A citation that says which wording the chunk holds and, when amended, "sellaisena kuin se on laissa …"."""
    if note.status != "consolidated":
        return replace(citation, consolidation=note.status)
    chosen = (
        [note.momentti_acts[n - 1] for n in numbers if 0 < n <= len(note.momentti_acts)]
        if numbers
        else list(note.momentti_acts)
    )
    acts = tuple(
        sorted(
            {a for group in chosen for a in group} | ({note.repealed_by} if note.repealed_by else set()), key=act_key
        )
    )
    updated = replace(
        citation,
        consolidation="consolidated",
        in_force_on=on,
        wording_since=note.since,
        wording_until=note.until,
        wording_acts=acts,
        repealed_by=note.repealed_by,
    )
    return replace(updated, label=_amended_label(citation.label, updated, statute))


def _amended_label(label: str, citation: Citation, statute: Statute) -> str:
    phrase = as_amended(citation.wording_acts, statute.number, statute.kind, statute.lang)
    if citation.repealed_by:
        phrase = ""
    return f"{label} ({phrase})" if phrase and not label.endswith(f"({phrase})") else label


def _span(first: int, last: int) -> str:
    return f"m{first}" if first == last else f"m{first}-{last}"


def statute_to_document(
    statute: Statute,
    *,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
    amendments: Mapping[tuple[str, str], tuple[Amendment, ...]] | None = None,
    amends: Sequence[SectionChange] = (),
    wordings: Mapping[str, WordingNote] | None = None,
    in_force_on: str | None = None,
) -> Document:
    """Make cited chunks: one per section (§), or per run of whole momentit for long sections.

    ``amendments`` maps (statute, section) to the acts that changed that section; ``amends`` are
    the changes this statute (an amending act) makes to another. ``wordings`` says, per section
    number, what consolidation did to an amended section (the statute then holds its wording in
    force on ``in_force_on``).
    """
    slug = statute_slug(statute.number)
    doc_id = f"{statute.lang}.{slug}"
    url = finlex_url(statute.number, statute.lang)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    per_chapter = numbered_per_chapter(statute)
    changes_by_section: dict[str, list[SectionChange]] = {}
    for change in amends:
        changes_by_section.setdefault(change.section, []).append(change)
    for order, section in enumerate(statute.sections):
        if not section.subsections:
            logger.debug("%s: section %s has no text; skipped", statute.source_path, section.number)
            continue
        key = "liite" if section.kind == "Liite" else f"s{section_slug(section.number)}"
        if per_chapter and section.chapter and section.number is not None:
            # Numbers restart in each chapter, so only chapter + section identifies a section.
            key = f"c{section_slug(section.chapter)}.{key}"
        base_id = f"{doc_id}.{key}"
        seen[base_id] = seen.get(base_id, 0) + 1
        chunk_id = base_id if seen[base_id] == 1 else f"{base_id}-{seen[base_id]}"
        context = _context(statute, section)
        own = changes_by_section.get(section.number or "", []) if section.kind == "Pykala" else []
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
            order=order,
            issuer=statute.issuer,
            amendments=(amendments or {}).get((statute.number, section.number or ""), ()),
            amends=f"{statute_slug(own[0].statute)}.s{section_slug(section.number)}" if own else None,
            amends_statute=own[0].statute if own else None,
            in_force=min((c.date for c in own if c.date), default=None) if own else None,
            momentti_count=len(section.subsections),
        )
        note = (wordings or {}).get(section.number or "") if section.kind == "Pykala" else None
        enacted = citation
        if note is not None:
            citation = _with_wording(enacted, note, statute, in_force_on, ())
        whole_tokens = count_tokens(f"{context}\n{section.text}")
        if (
            max_tokens is None
            or section.partial  # positions of an amending act's momentit are not their numbers
            or whole_tokens <= max_tokens
        ):
            chunks.append(
                Chunk(id=chunk_id, text=section.text, citation=citation, context=context, tokens=whole_tokens)
            )
            continue
        runs = _split_momentit(context, section, max_tokens, count_tokens)
        for first, last in runs:
            numbers = tuple(range(first, last + 1))
            text = "\n\n".join(s.text for s in section.subsections[first - 1 : last])
            tokens = count_tokens(f"{context}\n{text}")
            kohdat = split_kohdat(context, text, max_tokens, count_tokens) if tokens > max_tokens else []
            if not kohdat and len(runs) == 1:
                # One momentti, too long but not a list: the whole section, as it cannot be split.
                chunks.append(Chunk(id=chunk_id, text=text, citation=citation, context=context, tokens=tokens))
                continue
            base_label = section_label(statute, section, numbers, with_chapter=per_chapter)
            run = _with_wording(enacted, note, statute, in_force_on, numbers) if note is not None else citation
            if not kohdat:
                part = replace(run, subsections=numbers, label=_amended_label(base_label, run, statute))
                chunk = Chunk(f"{chunk_id}.{_span(first, last)}", text, part, context, tokens)
                chunks.append(chunk)
                continue
            for items, run_text in kohdat:
                span = items[0] if len(items) == 1 else f"{items[0]}–{items[-1]}"
                part = replace(
                    run,
                    subsections=numbers,
                    kohdat=items,
                    label=_amended_label(
                        f"{base_label} {span} {_LABELS.get(statute.lang, _LABELS['fi'])['kohta']}", run, statute
                    ),
                )
                key = f"{_span(first, last)}.k{section_slug(items[0])}" + (
                    f"-{section_slug(items[-1])}" if len(items) > 1 else ""
                )
                chunks.append(
                    Chunk(f"{chunk_id}.{key}", run_text, part, context, count_tokens(f"{context}\n{run_text}"))
                )
    return Document(
        id=doc_id,
        title=statute.title,
        kind=statute.kind,
        lang=statute.lang,
        source_path=statute.source_path,
        url=url,
        issuer=statute.issuer,
        chunks=tuple(chunks),
    )
