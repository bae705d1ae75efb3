"""Split one over-long list momentti into runs of whole kohdat (numbered items).

Used only when a single momentti is longer than the model reads (e.g. Julkisuuslaki 621/1999
24 § 1 mom. with 32 kohdat): each run repeats the momentti's lead-in so it reads on its own, and
its citation names the kohdat it holds (``24 § 1 mom. 5–10 kohta``).
"""

from __future__ import annotations

import re

from .tokens import TokenCounter

_KOHTA_RE = re.compile(r"^(\d+\s?[a-z]?)\)\s")


def kohta_lines(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lead-in lines, and (kohta number, lines) for each kohta; sub-items stay with their kohta."""
    lead: list[str] = []
    kohdat: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        match = _KOHTA_RE.match(line)
        if match:
            kohdat.append((re.sub(r"\s+", " ", match.group(1)), [line]))
        elif kohdat:
            kohdat[-1][1].append(line)  # alakohta or the closing words
        else:
            lead.append(line)
    return lead, kohdat


def split_kohdat(context: str, text: str, max_tokens: int, count: TokenCounter) -> list[tuple[tuple[str, ...], str]]:
    """Runs of whole kohdat that fit, each as (kohta numbers, lead-in + kohdat text); [] if no kohdat."""
    lead, kohdat = kohta_lines(text)
    if len(kohdat) < 2:
        return []
    runs: list[list[tuple[str, list[str]]]] = [[]]
    for kohta in kohdat:
        trial = "\n".join(lead + [line for _, lines in [*runs[-1], kohta] for line in lines])
        if runs[-1] and count(f"{context}\n{trial}") > max_tokens:
            runs.append([kohta])
        else:
            runs[-1].append(kohta)
    return [
        (tuple(number for number, _ in run), "\n".join(lead + [line for _, lines in run for line in lines]))
        for run in runs
    ]
