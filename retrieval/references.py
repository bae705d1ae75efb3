"""Exact references in a query: "531/2017 44 §", "44 §", "oppivelvollisuuslaki 7 §", "52 a §".

A query that names a section is answered with that section first. The statute may be named by its
number or by its title in any inflection ("oppivelvollisuuslain 7 §", "lagen om yrkesutbildning
44 §"): titles are matched on analysed terms, so inflected forms match the base form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from index.analysis import LANGS, Analyzer
from ingest.chunking import normalise_section
from ingest.models import Chunk

from .types import Reference

_STATUTE_NO = re.compile(r"\b(\d{1,4}/(?:19|20)\d{2})\b")
_SECTION_NO = r"\d{1,3}(?:\s?[a-zåäö](?![a-zåäö]))?"
# "44 §", "44 ja 45 §", "44, 45 och 46 §", "44 pykälä", "44 pykälän"; "§ 44" as some people write it.
_SECTIONS = re.compile(
    rf"(?P<list>{_SECTION_NO}(?:\s*(?:,|ja|och|and|-|–)\s*{_SECTION_NO})*)\s*(?:§|pykälä\w*|pyk\.)"
    rf"|§\s*(?P<after>{_SECTION_NO})",
    re.IGNORECASE,
)
_ONE_SECTION = re.compile(_SECTION_NO, re.IGNORECASE)


def names_a_section(query: str) -> bool:
    """Cheap test before parsing: only a query with a § or a "pykälä" can name a section."""
    return "§" in query or "pyk" in query.lower()


def parse_sections(query: str) -> list[str]:
    """Section numbers named with a § (or "pykälä") in the query, normalised like ``52 a``."""
    out: list[str] = []
    text = _STATUTE_NO.sub(" ", query)  # "531/2017" is not a section
    for m in _SECTIONS.finditer(text):
        raw = m.group("list") or m.group("after") or ""
        for num in _ONE_SECTION.findall(raw):
            sec = normalise_section(num)
            if sec not in out:
                out.append(sec)
    return out


class ReferenceResolver:
    """Finds the sections a query names, using the statutes (numbers and titles) of one index."""

    def __init__(self, chunks: Sequence[Chunk], analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._statutes: set[str] = set()
        titles: dict[tuple[str, str], str] = {}
        for c in chunks:
            st = c.citation.statute
            if st is None:
                continue
            self._statutes.add(st)
            titles.setdefault((c.citation.lang, c.citation.doc_title), st)
        self._titles = [
            (lang, frozenset(analyzer.analyze(title, lang)), statute) for (lang, title), statute in titles.items()
        ]
        self._titles = [t for t in self._titles if t[1]]

    def statutes_named(self, query: str, terms_by_lang: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        """Statutes the query names by number, else by the most specific title its analysed terms contain.

        ``terms_by_lang`` is the query's analysis per language (a prepared query has it); without
        it the query is analysed here.
        """
        if terms_by_lang is None:
            terms_by_lang = {lang: self._analyzer.analyze(query, lang) for lang in LANGS}
        numbers = [n for n in _STATUTE_NO.findall(query) if n in self._statutes]
        if numbers:
            return list(dict.fromkeys(numbers))
        best: list[str] = []
        best_size = 0
        for lang, title_terms, statute in self._titles:
            query_terms = set(terms_by_lang.get(lang, ()))
            if not title_terms <= query_terms:
                continue
            # The longest title wins: "laki ammatillisesta koulutuksesta annetun lain muuttamisesta"
            # names the amending act, not the base act its title contains.
            if len(title_terms) > best_size:
                best, best_size = [statute], len(title_terms)
            elif len(title_terms) == best_size and statute not in best:
                best.append(statute)
        return best

    def resolve(self, query: str, terms_by_lang: Mapping[str, Sequence[str]] | None = None) -> list[Reference]:
        """The references in a query (analysed per language), in the order named; empty when it names no section."""
        sections = parse_sections(query)
        if not sections:
            return []
        statutes = self.statutes_named(query, terms_by_lang)
        if not statutes:
            return [Reference(section=s) for s in sections]
        return [Reference(section=s, statute=st) for st in statutes for s in sections]

    @staticmethod
    def matches(ref: Reference, chunk: Chunk) -> bool:
        """True when the chunk holds (part of) the referenced section."""
        c = chunk.citation
        if c.section is None or normalise_section(c.section) != ref.section:
            return False
        return ref.statute is None or c.statute == ref.statute
