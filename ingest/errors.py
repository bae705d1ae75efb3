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


class QuestionBankError(Exception):
    """The question bank is malformed or does not match the corpus; ``problems`` name file, entry and section."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"question bank: {len(problems)} problem(s), nothing indexed:\n  " + "\n  ".join(shown) + more)
