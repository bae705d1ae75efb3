"""Typed errors raised by the embedding package."""


class EmbeddingError(Exception):
    """Base class for embedding errors."""


class EmbedderError(EmbeddingError):
    """The embedding model cannot be loaded or used."""
