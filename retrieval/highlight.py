"""Character offsets of query words in a passage, so a page can mark the matches."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_WORD_RE = re.compile(r"\w+", re.UNICODE)
#: Words at least this long match by stem (Finnish inflects: hoks → hoksin, koulutussopimus → koulutussopimukseen).
MIN_STEM_WORD = 4
#: Characters kept of a long query word when matching by prefix; tolerates case endings and
#: consonant gradation at the end of the stem (sopimus → sopimukse-, opiskelija → opiskelijo-).
STEM_CHARS = 5
#: Words that carry no topic and would mark half the passage.
STOPWORDS = frozenset(
    """
    ja tai sekä että kun jos niin kuin mutta vai eli myös vain ole olla ovat oli ollut on ei
    mikä mitä mitkä kuka ketkä kenen kenelle miten milloin missä mistä mihin miksi paljonko
    montako saako voiko pitääkö onko tämä tämän nämä siitä sitä sen se hän he minä sinä
    the and or och att det som för med till hur vad när var kan får ska
    """.split()
)


@dataclass(frozen=True)
class Span:
    """A marked stretch of text: ``text[start:end]`` matched ``term``."""

    start: int
    end: int
    term: str


def query_terms(query: str) -> list[str]:
    """Lower-cased content words of a query, without stopwords or duplicates, in query order."""
    seen: dict[str, None] = {}
    for word in _WORD_RE.findall(query.lower()):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        seen.setdefault(word, None)
    return list(seen)


def _stem(term: str) -> str:
    return term[: max(MIN_STEM_WORD, min(len(term) - 1, STEM_CHARS + (len(term) - STEM_CHARS) // 2))]


def _matcher(terms: list[str]) -> Callable[[str], int | None]:
    """The position of the first query term a text word matches, or None (a few dict lookups per word).

    A word matches a term it equals, or — for terms of at least MIN_STEM_WORD characters — whose
    stem it starts with; the stems are looked up by length, so a passage costs one pass.
    """
    exact: dict[str, int] = {}
    stems: dict[int, dict[str, int]] = {}
    for i, term in enumerate(terms):
        exact.setdefault(term, i)
        if len(term) >= MIN_STEM_WORD:
            stem = _stem(term)
            stems.setdefault(len(stem), {}).setdefault(stem, i)

    def match(token: str) -> int | None:
        best = exact.get(token)
        for length, table in stems.items():
            found = table.get(token[:length])
            if found is not None and (best is None or found < best):
                best = found
        return best

    return match


def highlight_spans(text: str, query: str) -> list[Span]:
    """Offsets of the text's words that match a query word (case-insensitive, prefix match for words ≥4 chars).

    Short words (and numbers) must match whole; longer ones match any text word that starts with
    their stem, which covers most Finnish inflection. Spans are sorted and never overlap; a word
    that matches several query words is marked with the first of them.
    """
    terms = query_terms(query)
    if not terms or not text:
        return []
    match = _matcher(terms)
    spans: list[Span] = []
    for m in _WORD_RE.finditer(text):
        found = match(m.group().lower())
        if found is not None:
            spans.append(Span(m.start(), m.end(), terms[found]))
    return spans


def marked_pieces(text: str, query: str) -> list[tuple[str, bool]]:
    """Split a text into (segment, matched) pieces, the matched ones being :func:`highlight_spans`."""
    if not text:
        return []
    pieces: list[tuple[str, bool]] = []
    last = 0
    for span in highlight_spans(text, query):
        if span.start > last:
            pieces.append((text[last : span.start], False))
        pieces.append((text[span.start : span.end], True))
        last = span.end
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def marked_paragraphs(text: str, query: str) -> list[list[tuple[str, bool]]]:
    """Marked pieces per paragraph (momentit are separated by blank lines)."""
    return [marked_pieces(p.strip(), query) for p in re.split(r"\n\s*\n", text) if p.strip()]
