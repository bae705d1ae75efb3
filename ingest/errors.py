"""Typed errors raised while reading sources."""

from pathlib import Path


class IngestError(Exception):
    """A source could not be read; the message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class SourceFormatError(IngestError):
    """The file is not in the expected format (malformed XML, broken PDF, ...)."""


class SkippedSource(IngestError):
    """The source was left out on purpose (empty, over the size limit, no text): not a failure."""
