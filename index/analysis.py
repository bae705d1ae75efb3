"""Finnish and Swedish text analysis for the lexical index: tokens → stems, lemmas or Voikko base forms.

Three analysers are offered and compared on the dev set (docs/retrieval.md):

- ``snowball``: PyStemmer's Snowball stemmers (Finnish, Swedish);
- ``simplemma``: simplemma's dictionary lemmatiser;
- ``voikko``: Voikko's morphological analysis for Finnish (base form of every reading plus the
  parts of compounds, so *työpaikkaohjaajan* also yields *työpaikka* and *ohjaaja*); words Voikko
  does not know, and all Swedish, fall back to Snowball.

An analyser maps a text in a known language to a list of index terms. Queries are analysed in
both languages (the union of terms) because a coach's language is not known in advance; a Finnish
stem rarely collides with a Swedish one, and BM25's IDF keeps the stray terms cheap.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

from .errors import AnalyzerError

logger = logging.getLogger(__name__)

LANGS = ("fi", "sv")
ANALYZERS = ("snowball", "simplemma", "voikko", "surface")

# Statute numbers ("531/2017") are kept whole besides their parts; words split on anything else.
_TOKEN = re.compile(r"\d+/\d{4}|[^\W_]+", re.UNICODE)

# Function words that carry no topic; BM25's IDF would mostly discount them, but dropping them keeps
# glossary expansion and query analysis from matching on them.
STOPWORDS: dict[str, frozenset[str]] = {
    "fi": frozenset(
        "ja tai on ei se että jos kun kuin mutta myös sekä ole olla ovat oli sen sitä siitä siihen niin "
        "jo vain tämä tässä tätä nämä ne he hän me te minä sinä mikä mitä mitkä miten miksi kuka ketä "
        "kenen missä mistä mihin onko eikö voiko saako pitääkö joka jonka jotka jossa josta johon "
        "the".split()
    ),
    "sv": frozenset(
        "och eller är inte det att om när än men också samt vara var den de en ett som för på i av "
        "till med från har hade kan får ska skall så vad vem hur varför vilka vilken vilket där "
        "denna detta dessa man han hon vi ni jag du".split()
    ),
}


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; one-letter words are dropped unless they are digits."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if len(tok) > 1 or tok.isdigit():
            out.append(tok)
    return out


class Analyzer(Protocol):
    """Maps text in one language to index terms."""

    name: str

    def analyze(self, text: str, lang: str) -> list[str]:
        """Return the index terms of a text written in ``lang`` (fi or sv)."""
        ...


class _Base:
    """Shared tokenising, stopword removal and per-word caching."""

    name = "base"

    def __init__(self) -> None:
        # Per-language word caches: the corpus has ~30k distinct words, analysis is the slow part.
        self._cached = {lang: lru_cache(maxsize=200_000)(self._make_word_fn(lang)) for lang in LANGS}

    def _make_word_fn(self, lang: str):  # type: ignore[no-untyped-def]
        def terms(word: str) -> tuple[str, ...]:
            return self._word_terms(word, lang)

        return terms

    def _word_terms(self, word: str, lang: str) -> tuple[str, ...]:
        raise NotImplementedError

    def analyze(self, text: str, lang: str) -> list[str]:
        """Return the index terms of a text written in ``lang`` (fi or sv)."""
        if lang not in self._cached:
            lang = "fi"
        stop = STOPWORDS[lang]
        word_terms = self._cached[lang]
        out: list[str] = []
        for tok in tokenize(text):
            if tok in stop:
                continue
            if tok[0].isdigit():
                out.append(tok)
                continue
            out.extend(word_terms(tok))
        return out


class SurfaceAnalyzer(_Base):
    """No morphology at all: the lower-cased surface word (the baseline)."""

    name = "surface"

    def _word_terms(self, word: str, lang: str) -> tuple[str, ...]:
        return (word,)


class SnowballAnalyzer(_Base):
    """Snowball stemmers from PyStemmer."""

    name = "snowball"

    def __init__(self) -> None:
        try:
            import Stemmer
        except ImportError as exc:
            raise AnalyzerError("the snowball analyser needs PyStemmer (pip install PyStemmer)") from exc
        self._stemmers = {"fi": Stemmer.Stemmer("finnish"), "sv": Stemmer.Stemmer("swedish")}
        super().__init__()

    def stem(self, word: str, lang: str) -> str:
        """Snowball stem of one lower-cased word."""
        return self._stemmers[lang].stemWord(word)

    def _word_terms(self, word: str, lang: str) -> tuple[str, ...]:
        return (self.stem(word, lang),)


class SimplemmaAnalyzer(_Base):
    """Dictionary lemmas from simplemma (unknown words stay as they are)."""

    name = "simplemma"

    def __init__(self) -> None:
        try:
            import simplemma
        except ImportError as exc:
            raise AnalyzerError("the simplemma analyser needs simplemma (pip install simplemma)") from exc
        self._lemmatize = simplemma.lemmatize
        super().__init__()

    def _word_terms(self, word: str, lang: str) -> tuple[str, ...]:
        return (self._lemmatize(word, lang=lang).lower(),)


class VoikkoAnalyzer(_Base):
    """Voikko base forms and compound parts for Finnish; Snowball for Swedish and unknown words."""

    name = "voikko"

    def __init__(self) -> None:
        try:
            import libvoikko
        except ImportError as exc:
            raise AnalyzerError(
                "the voikko analyser needs the libvoikko Python binding (pip install libvoikko)"
            ) from exc
        try:
            self._voikko = libvoikko.Voikko("fi")
        except Exception as exc:  # noqa: BLE001 - libvoikko raises OSError or its own errors
            raise AnalyzerError(
                f"cannot start Voikko ({exc}); install the Debian packages: apt-get install -y libvoikko1 voikko-fi"
            ) from exc
        self._snowball = SnowballAnalyzer()
        super().__init__()

    def _word_terms(self, word: str, lang: str) -> tuple[str, ...]:
        if lang != "fi":
            return (self._snowball.stem(word, lang),)
        analyses = self._voikko.analyze(word)
        if not analyses:
            return (self._snowball.stem(word, "fi"),)
        terms: list[str] = []
        for a in analyses:
            base = (a.get("BASEFORM") or word).lower()
            if base not in terms:
                terms.append(base)
            for part in _compound_parts(word, base, a.get("STRUCTURE", "")):
                if part not in terms:
                    terms.append(part)
        return tuple(terms)


def _compound_parts(word: str, base: str, structure: str) -> list[str]:
    """Split a compound's base form at Voikko's word boundaries ('=' in STRUCTURE).

    The structure string marks the surface word; every part but the last is the same in the base
    form, so the last part is the rest of the base form (*oppivelvollisuuslain* → oppi, velvollisuus,
    laki). Parts shorter than three letters are skipped as noise.
    """
    letters = [c for c in structure if c != "="]
    if structure.count("=") < 2 or len(letters) != len(word):
        return []
    parts: list[str] = []
    pos = 0
    for seg in structure.split("=")[1:]:
        parts.append(word[pos : pos + len(seg)])
        pos += len(seg)
    prefix = "".join(parts[:-1])
    if not base.startswith(prefix):
        return []
    parts[-1] = base[len(prefix) :]
    return [p for p in parts if len(p) >= 3]


def create_analyzer(name: str) -> Analyzer:
    """Build an analyser by name: snowball, simplemma, voikko or surface."""
    if name == "snowball":
        return SnowballAnalyzer()
    if name == "simplemma":
        return SimplemmaAnalyzer()
    if name == "voikko":
        return VoikkoAnalyzer()
    if name == "surface":
        return SurfaceAnalyzer()
    raise AnalyzerError(f"unknown analyser {name!r} (expected one of {', '.join(ANALYZERS)})")


# Frequent words of one language that are rare or absent in the other (for guessing a query's language).
_MARKERS: dict[str, frozenset[str]] = {
    "fi": frozenset(
        "ja on ei että jos kun kuin mutta myös voiko saako pitääkö onko kuka mikä mitä miten milloin "
        "kenen mihin missä mistä paljonko montako kuinka hänen hän se sen sitä opiskelija opiskelijan".split()
    ),
    "sv": frozenset(
        "och är inte att om när men också som för på av till med från har kan får ska vad vem hur "
        "varför vilka när en ett den det de man hen han hon studerande".split()
    ),
}


def guess_lang(text: str) -> str | None:
    """Finnish or Swedish by marker words (å counts for Swedish); None when it cannot tell."""
    words = tokenize(text)
    votes = {lang: sum(w in markers for w in words) for lang, markers in _MARKERS.items()}
    if "å" in text.lower():
        votes["sv"] += 1
    if votes["fi"] == votes["sv"]:
        return None
    return "fi" if votes["fi"] > votes["sv"] else "sv"


def analyze_query(analyzer: Analyzer, text: str, lang: str | None = None) -> list[str]:
    """Terms of a query: in its language when known, else the union of the Finnish and Swedish terms."""
    if lang in LANGS:
        return analyzer.analyze(text, lang)
    return _dedupe(t for la in LANGS for t in analyzer.analyze(text, la))


def _dedupe(terms: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in terms:
        seen.setdefault(t, None)
    return list(seen)
