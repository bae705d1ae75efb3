"""Typed errors raised at query time by the retrieval package."""


class RetrievalError(Exception):
    """Base class for retrieval errors."""


class GlossaryError(RetrievalError):
    """The domain glossary file is unreadable or malformed."""


class EvalDataError(RetrievalError):
    """A questions or qrels file is malformed."""
