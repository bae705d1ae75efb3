"""A section's momentit as pieces with provenance: lead-ins, kohdat and their sub-items.

The reader (:mod:`ingest.finlex`) gives each momentti's text with its kohdat as lines; consolidation
needs them as separate pieces, each saying which act's text it is, so that one kohta can be
replaced while the rest of its momentti stays.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .chunking import normalise_section
from .consolidation_model import Momentti, Piece, Wording
from .finlex import Section, Statute, Subsection

__all__ = [
    "KOHTA_RE",
    "LayoutError",
    "find_section",
    "kohta_label",
    "kohta_lines",
    "momentti_of",
    "normalise_layout",
    "wording_of",
]


class LayoutError(ValueError):
    """A momentti whose text and structure do not agree (its lead-in not at its start)."""


KOHTA_RE = re.compile(r"^(\d+(?:\s?[a-zåäö])?)\)")


def kohta_lines(text: str, lead: str | None) -> list[str]:
    """A list momentti's kohdat, each with its sub-items (lines indented by two spaces)."""
    lines = text.split("\n")
    if lead is not None:
        if lines[0] != lead:
            raise LayoutError("list momentti's lead-in not at its start")
        lines = lines[1:]
    pieces: list[str] = []
    for line in lines:
        if line.startswith("  ") and pieces:
            pieces[-1] += "\n" + line
        else:
            pieces.append(line)
    return pieces


def momentti_of(sub, act: str, since: str | None) -> Momentti:
    if sub.lead is not None or (sub.items and KOHTA_RE.match(sub.text)):
        kohdat = tuple(Piece(t, act, since) for t in kohta_lines(sub.text, sub.lead))
        lead = Piece(sub.lead, act, since) if sub.lead is not None else None
        return Momentti(lead, kohdat)
    return Momentti(Piece(sub.text, act, since))


def kohta_label(piece: Piece) -> str | None:
    match = KOHTA_RE.match(piece.text)
    return " ".join(match.group(1).split()) if match else None


def wording_of(section: Section, act: str, since: str | None) -> Wording:
    return Wording(
        heading=Piece(section.heading, act, since) if section.heading else None,
        momentit=tuple(momentti_of(s, act, since) for s in section.subsections),
    )


def normalise_layout(section: Section) -> Section:
    """Join kohdat that a file codes as separate plain momentit to the list momentti they belong to.

    Some acts code "1) …", "2) …" as momentit of their own after a lead-in ending with a colon
    (718/2022 97 §, 715/2022 19 §); a momentti never starts with a kohta number, so they are
    kohdat of the momentti before them.
    """
    out: list[Subsection] = []
    for sub in section.subsections:
        prev = out[-1] if out else None
        if (
            prev is not None
            and sub.lead is None
            and not sub.items
            and KOHTA_RE.match(sub.text)
            and (prev.lead is not None or prev.items or prev.text.endswith(":"))
        ):
            lead = prev.lead if prev.lead is not None or prev.items else prev.text
            out[-1] = Subsection(f"{prev.text}\n{sub.text}", prev.items + (sub.text,), lead, prev.partial)
            continue
        out.append(sub)
    return replace(section, subsections=tuple(out)) if len(out) != len(section.subsections) else section


def find_section(statute: Statute, number: str) -> Section | None:
    for section in statute.sections:
        if section.number is not None and section.kind != "VoimaantuloSaannos":
            if normalise_section(section.number) == number:
                return normalise_layout(section)
    return None
