"""What part of a section an amending act's preamble names: heading, momentti, lead-in or kohta.

:mod:`ingest.amendments` reads the preamble (johtolause) into one record per section with the part
in the act's own words (``"1 momentin johdantokappale ja 4 momentti"``). Consolidation needs those
words as exact targets; :func:`parse_targets` gives them, or None when the words are not
understood — the caller then keeps the section apart instead of guessing.

The Finnish preamble is the one read: both language versions of an act make the same changes, and
the Swedish preamble names parts before the section number ("rubriken för 16 §"), which the
per-section records do not keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .amendments import expand_numbers

_NUM = r"\d+(?:\s?[a-z](?![a-zåäö]))?"
_LIST = rf"{_NUM}(?:(?:\s*,\s*|\s+ja\s+|\s*[–-]\s*){_NUM})*"
_PIECES_RE = re.compile(
    rf"(?P<lead_of>\d+)\s+momentin\s+johdantokappale"
    rf"|(?P<kohta_of>\d+)\s+momentin\s+(?P<kohdat>{_LIST})\s+(?:kohdat|kohta)"
    rf"|(?P<kohta_into>\d+)\s+momenttiin\s+(?:uusi\s+|uudet\s+)?(?P<new_kohdat>{_LIST})\s+(?:kohdat|kohta)"
    rf"|(?P<momentit>{_LIST})\s+(?:momentit|momentti)"
    rf"|(?P<bare_kohdat>{_LIST})\s+(?:kohdat|kohta)"
    r"|(?P<heading>otsikko)"
    r"|(?P<lead>johdantokappale)"
)
_FILLER_RE = re.compile(r"^(?:\s|,|ja|sekä|uusi|uudet|ja\s+uusi)*$")


@dataclass(frozen=True)
class Target:
    """One part of a section: ``kind`` is heading | momentti | lead | kohta.

    ``momentti`` is 1-based; ``kohta`` is its label (``"7 a"``) for kind kohta.
    """

    kind: str
    momentti: int = 0
    kohta: str = ""


def parse_targets(part: str | None) -> list[Target] | None:
    """The parts a preamble names for one section, in its order; [] = the whole section.

    Returns None when some words are not understood (the section is then not consolidated).
    """
    if part is None:
        return []
    text = " ".join(part.split())
    targets: list[Target] = []
    pos = 0
    for match in _PIECES_RE.finditer(text):
        if not _FILLER_RE.match(text[pos : match.start()]):
            return None
        pos = match.end()
        if match.group("lead_of"):
            targets.append(Target("lead", int(match.group("lead_of"))))
        elif match.group("kohta_of"):
            m = int(match.group("kohta_of"))
            targets.extend(Target("kohta", m, k) for k in expand_numbers(match.group("kohdat")))
        elif match.group("kohta_into"):
            m = int(match.group("kohta_into"))
            targets.extend(Target("kohta", m, k) for k in expand_numbers(match.group("new_kohdat")))
        elif match.group("momentit"):
            numbers = expand_numbers(match.group("momentit"))
            if not all(n.isdigit() for n in numbers):
                return None
            targets.extend(Target("momentti", int(n)) for n in numbers)
        elif match.group("bare_kohdat"):
            # "111 §:n 1 kohta": a section of a single (list) momentti.
            targets.extend(Target("kohta", 1, k) for k in expand_numbers(match.group("bare_kohdat")))
        elif match.group("heading"):
            targets.append(Target("heading"))
        elif match.group("lead"):
            targets.append(Target("lead", 1))
    if not targets or not _FILLER_RE.match(text[pos:]):
        return None
    return targets


def chapter_heading_changes(preamble: str) -> list[str]:
    """Chapters whose heading the preamble changes: ``6 luvun otsikko`` → ["6"]."""
    return [" ".join(m.group(1).split()) for m in re.finditer(rf"\b({_NUM})\s+luvun\s+otsikko", preamble)]


def label_key(label: str) -> tuple[int, str]:
    """Sort key of a kohta or section label: ``7 a`` → (7, "a")."""
    match = re.match(r"(\d+)\s?([a-zåäö]?)", label)
    return (int(match.group(1)), match.group(2)) if match else (10**6, label)
