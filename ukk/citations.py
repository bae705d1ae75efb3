"""Citations of UKK answers: made from an index passage, and checked against every new index generation.

A citation keeps what the coach read: the passage id, its label, the quoted text, the text's hash,
the generation, and the amending acts then known to touch the section. After a re-index each
published entry's citations are compared with the new generation; what no longer holds becomes a
:class:`ReviewReason` and the entry ``tarkistettava``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.models import Chunk, text_hash
from ingest.questions import normalise_space

from .errors import InvalidInput
from .types import CitationInput, EntryCitation, ReviewReason


def acts_of(chunk: Chunk) -> tuple[str, ...]:
    """The acts known to touch a chunk's section: its amendments and the acts whose wording it holds."""
    c = chunk.citation
    acts = [a.act for a in c.amendments] + list(c.wording_acts)
    if c.repealed_by:
        acts.append(c.repealed_by)
    return tuple(dict.fromkeys(a for a in acts if a and a != c.statute))


def cite(chunk: Chunk, picked: CitationInput, n: int, generation: str) -> EntryCitation:
    """The citation of one picked passage; the quote must be the passage's text or a part of it."""
    text = normalise_space(chunk.text)
    quote = normalise_space(picked.quote) if picked.quote is not None else text
    if not quote:
        raise InvalidInput(f"citations[{n - 1}].quote (lainaus) must not be empty", f"citations.{n - 1}.quote")
    if quote not in text:
        raise InvalidInput(
            f"citations[{n - 1}].quote (lainaus) is not in the text of {chunk.citation.label}",
            f"citations.{n - 1}.quote",
        )
    c = chunk.citation
    return EntryCitation(
        n=n,
        chunk_id=chunk.id,
        label=c.label,
        quote=quote,
        quote_hash=text_hash(quote),
        generation=generation,
        lang=c.lang,
        statute=c.statute,
        section_key=c.section_key,
        acts=acts_of(chunk),
        url=c.url,
    )


@dataclass
class GenerationView:
    """A generation's passages as the check needs them: by id, by section, and the acts touching each section."""

    name: str
    by_id: dict[str, Chunk]
    by_section: dict[tuple[str, str], list[Chunk]]
    acts: dict[tuple[str, str], set[str]]

    @classmethod
    def of(cls, name: str, chunks: Iterable[Chunk]) -> "GenerationView":
        """Group a generation's chunks."""
        by_id: dict[str, Chunk] = {}
        by_section: dict[tuple[str, str], list[Chunk]] = {}
        acts: dict[tuple[str, str], set[str]] = {}
        for chunk in chunks:
            c = chunk.citation
            by_id[chunk.id] = chunk
            if c.section_key:
                key = (c.section_key, c.lang)
                acts.setdefault(key, set()).update(acts_of(chunk))
                if "@" not in chunk.id:  # other wordings (…@2018-01-01) are not the text in force
                    by_section.setdefault(key, []).append(chunk)
            if c.amends and c.statute:
                # An amending act's own section rewrites the base section: that act touches it.
                acts.setdefault((c.amends, c.lang), set()).add(c.statute)
        return cls(name, by_id, by_section, acts)


def diff(old: str, new: str) -> str:
    """A word-level unified diff of the quoted text against the passage's new text (for the coach to read)."""
    lines = difflib.unified_diff(_sentences(old), _sentences(new), fromfile="lainattu", tofile="uusi", lineterm="", n=1)
    return "\n".join(lines)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;:])\s+", normalise_space(text)) if s]


def _best_match(quote: str, chunks: Sequence[Chunk]) -> Chunk | None:
    best, best_ratio = None, 0.0
    for chunk in chunks:
        ratio = difflib.SequenceMatcher(None, quote, normalise_space(chunk.text), autojunk=False).quick_ratio()
        if ratio > best_ratio:
            best, best_ratio = chunk, ratio
    return best


def check_citation(citation: EntryCitation, view: GenerationView) -> list[ReviewReason]:
    """What no longer holds for one citation in a generation ([] when the quote and the acts are as they were)."""
    key = (citation.section_key, citation.lang) if citation.section_key else None
    section = view.by_section.get(key, []) if key else []
    chunk = view.by_id.get(citation.chunk_id)
    candidates = [chunk] if chunk is not None and "@" not in chunk.id else []
    candidates += [c for c in section if c is not chunk]
    if not candidates:
        return [ReviewReason("section_gone", citation.n, f"{citation.label}: not in {view.name}", "", view.name)]
    reasons: list[ReviewReason] = []
    repealed = next((c for c in candidates if c.citation.repealed_by), None)
    if repealed is not None:
        reasons.append(
            ReviewReason(
                "repealed",
                citation.n,
                f"{citation.label}: repealed by {repealed.citation.repealed_by}",
                "",
                view.name,
                (repealed.citation.repealed_by or "",),
            )
        )
    elif not any(citation.quote in normalise_space(c.text) for c in candidates):
        closest = _best_match(citation.quote, candidates) or candidates[0]
        reasons.append(
            ReviewReason(
                "text_changed",
                citation.n,
                f"{citation.label}: the quoted text is no longer in {closest.citation.label}",
                diff(citation.quote, closest.text),
                view.name,
            )
        )
    newer = sorted(view.acts.get(key, set()) - set(citation.acts)) if key else []
    if newer:
        reasons.append(
            ReviewReason(
                "newer_act",
                citation.n,
                f"{citation.label}: now also touched by {', '.join(newer)}",
                "",
                view.name,
                tuple(newer),
            )
        )
    return reasons


def check_entry(citations: Sequence[EntryCitation], view: GenerationView) -> list[ReviewReason]:
    """Every reason an entry's citations give in a generation."""
    return [reason for c in citations for reason in check_citation(c, view)]


def refresh(citation: EntryCitation, view: GenerationView) -> EntryCitation | None:
    """The citation re-read from a generation (its passage, acts and generation now), or None when the quote is gone."""
    chunk = view.by_id.get(citation.chunk_id)
    section = view.by_section.get((citation.section_key, citation.lang), []) if citation.section_key else []
    for candidate in ([chunk] if chunk is not None else []) + section:
        if (
            "@" not in candidate.id
            and citation.quote in normalise_space(candidate.text)
            and not candidate.citation.repealed_by
        ):
            known = view.acts.get((citation.section_key, citation.lang), set()) if citation.section_key else set()
            acts = tuple(sorted(known | set(acts_of(candidate))))
            return EntryCitation(
                n=citation.n,
                chunk_id=candidate.id,
                label=candidate.citation.label,
                quote=citation.quote,
                quote_hash=citation.quote_hash,
                generation=view.name,
                lang=citation.lang,
                statute=citation.statute,
                section_key=citation.section_key,
                acts=acts,
                url=candidate.citation.url,
            )
    return None
