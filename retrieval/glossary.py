"""Domain glossary (corpus/glossary.toml): query expansion for the lexical and the dense side.

The lexical side adds the analysed expansion terms to the BM25 query at a lower weight (the
terms ``match`` returns); the dense side embeds the query with the matching entries' expansions
appended as written (``phrases`` of the entries ``match`` returns), because the embedding model does not know the field's acronyms
and slang either ("koso", "hoks", "amis"). Both are measured in docs/retrieval.md.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from index.analysis import LANGS, Analyzer

from .errors import GlossaryError
from .types import Entry

logger = logging.getLogger(__name__)

DEFAULT_GLOSSARY = Path(__file__).resolve().parents[1] / "corpus" / "glossary.toml"


class Glossary:
    """Glossary entries analysed with the lexical index's analyser, ready to match queries."""

    def __init__(self, entries: list[Entry], analyzer: Analyzer) -> None:
        self.entries = entries
        self._analysed: list[tuple[Entry, frozenset[str], list[str]]] = []
        for e in entries:
            key_terms = frozenset(analyzer.analyze(e.key, e.lang))
            if not key_terms:
                logger.warning("glossary key %r (%s) has no index terms; skipped", e.key, e.lang)
                continue
            self._analysed.append((e, key_terms, analyzer.analyze(e.expansion, e.lang)))

    @classmethod
    def load(cls, path: str | Path, analyzer: Analyzer) -> "Glossary":
        """Read a glossary TOML file: one table per language, ``key = "expansion"``."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise GlossaryError(f"{path}: cannot read glossary: {exc}") from exc
        entries: list[Entry] = []
        for lang, table in data.items():
            if lang not in LANGS or not isinstance(table, dict):
                raise GlossaryError(f"{path}: [{lang}] is not a language table (expected {', '.join(LANGS)})")
            for key, value in table.items():
                if not isinstance(value, str) or not value.strip():
                    raise GlossaryError(f"{path}: [{lang}] {key!r} must map to a non-empty string")
                entries.append(Entry(lang, key, value))
        return cls(entries, analyzer)

    def _matching(self, terms_by_lang: Mapping[str, Sequence[str]]) -> list[tuple[Entry, list[str]]]:
        """Entries whose key terms all occur in the query's analysed terms of the entry's language."""
        out = []
        for entry, key_terms, expansion in self._analysed:
            terms = terms_by_lang.get(entry.lang)
            if terms is not None and key_terms <= set(terms):
                out.append((entry, expansion))
        return out

    def match(self, terms_by_lang: Mapping[str, Sequence[str]]) -> tuple[list[Entry], list[str]]:
        """The entries whose key the query contains (file order), and their expansion terms not already in the query."""
        have = {t for terms in terms_by_lang.values() for t in terms}
        entries: list[Entry] = []
        extra: list[str] = []
        for entry, expansion in self._matching(terms_by_lang):
            entries.append(entry)
            for t in expansion:
                if t not in have and t not in extra:
                    extra.append(t)
        return entries, extra


def phrases(entries: Sequence[Entry]) -> list[str]:
    """The entries' expansions as written in the file, each once, in their order."""
    return list(dict.fromkeys(entry.expansion for entry in entries))


def with_phrases(query: str, phrases: list[str]) -> str:
    """The text the dense side embeds: the query, then the glossary's phrases in parentheses."""
    return f"{query} ({', '.join(phrases)})" if phrases else query
