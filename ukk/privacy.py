"""Personal data in a question: Finnish personal identity codes, phone numbers and e-mail addresses, found and masked.

Questions often describe a real student. The asker is warned before sending and may have the
findings masked; nothing here is perfect, which is why the page also says so in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Henkilötunnus: DDMMYY, a century sign, three digits, a check character (validated below).
_HETU = re.compile(r"\b(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-FHJ-NPR-Y])\b", re.IGNORECASE)
_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# +358 40 123 4567, 040-1234567, 09 1234 5678 (Finnish numbers; at least 7 digits in all).
_PHONE = re.compile(r"(?<![\w+])(?:\+358[\s-]?|0)\d{1,3}(?:[\s-]?\d){5,9}\b")

MASKS = {"hetu": "[henkilötunnus]", "phone": "[puhelinnumero]", "email": "[sähköposti]"}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text."""

    kind: str  # hetu | phone | email
    start: int
    end: int


def _valid_hetu(m: re.Match[str]) -> bool:
    day, month = int(m.group(1)), int(m.group(2))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    number = int(m.group(1) + m.group(2) + m.group(3) + m.group(5))
    return _CHECK[number % 31] == m.group(6).upper()


def find(text: str) -> list[Finding]:
    """Every identity code, e-mail address and phone number in the text, in order."""
    found = [Finding("hetu", m.start(), m.end()) for m in _HETU.finditer(text) if _valid_hetu(m)]
    found += [Finding("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    taken = [(f.start, f.end) for f in found]
    found += [
        Finding("phone", m.start(), m.end())
        for m in _PHONE.finditer(text)
        if not any(a < m.end() and m.start() < b for a, b in taken)
    ]
    return sorted(found, key=lambda f: f.start)


def mask(text: str) -> str:
    """The text with each finding replaced by its kind in brackets ("[henkilötunnus]")."""
    out, last = [], 0
    for f in find(text):
        out += [text[last : f.start], MASKS[f.kind]]
        last = f.end
    return "".join(out) + text[last:]
