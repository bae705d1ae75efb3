"""Typed errors raised by the index package."""


class IndexError_(Exception):
    """Base class for index errors (named to avoid shadowing the builtin)."""


class IndexNotFoundError(IndexError_):
    """No index exists at the given path."""


class IncompatibleIndexError(IndexError_):
    """The index was built with another model or format version."""


class CorruptIndexError(IndexError_):
    """The index directory is damaged (missing or inconsistent files)."""


class ReindexBusyError(IndexError_):
    """Another re-index holds the lock on this index root."""


class GenerationNotFoundError(IndexError_):
    """A named index generation does not exist."""


class AnalyzerError(IndexError_):
    """A text analyser (stemmer, lemmatiser, Voikko) is missing or cannot start."""


class LexicalIndexError(IndexError_):
    """The lexical (BM25) part of an index is missing or damaged."""
