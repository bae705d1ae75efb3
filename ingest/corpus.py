"""Read the sources manifest (corpus/sources.toml) and ingest every source it names."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import statute_to_document
from .errors import IngestError
from .finlex import read_statute
from .models import Document

logger = logging.getLogger(__name__)

_FINLEX_KEYS = {"dir", "include"}


@dataclass(frozen=True)
class SourcesConfig:
    """Which files make up the corpus."""

    finlex_dir: Path | None
    finlex_include: tuple[str, ...] = ()

    def finlex_files(self) -> list[Path]:
        """The Finlex XML files selected by the include globs (empty when the folder is absent)."""
        if self.finlex_dir is None or not self.finlex_dir.is_dir():
            return []
        files: dict[Path, None] = {}
        for pattern in self.finlex_include:
            for path in sorted(self.finlex_dir.glob(pattern)):
                if path.is_file():
                    files[path] = None
        return list(files)


@dataclass
class IngestReport:
    """What an ingest run produced: documents, and one error per source that failed."""

    documents: list[Document] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)

    @property
    def chunk_count(self) -> int:
        """Total chunks over all documents."""
        return sum(len(d.chunks) for d in self.documents)


def load_sources(manifest: str | Path, *, finlex_dir: str | Path | None = None) -> SourcesConfig:
    """Read the manifest; ``finlex_dir`` overrides the folder it names."""
    manifest = Path(manifest)
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IngestError(manifest, f"cannot read sources manifest: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise IngestError(manifest, f"invalid TOML: {exc}") from exc
    finlex = data.get("finlex", {})
    unknown = set(finlex) - _FINLEX_KEYS
    if unknown:
        raise IngestError(manifest, f"[finlex]: unknown keys {sorted(unknown)}")
    root = manifest.parent.parent  # corpus/sources.toml → repository root
    if finlex_dir is not None:
        folder: Path | None = Path(finlex_dir)
    elif "dir" in finlex:
        folder = (root / finlex["dir"]).resolve()
    else:
        folder = None
    return SourcesConfig(finlex_dir=folder, finlex_include=tuple(finlex.get("include", ())))


def ingest_files(paths: Iterable[Path], on_file: Callable[[Path], None] | None = None) -> IngestReport:
    """Read each Finlex file; a file that fails is reported and the rest go on."""
    report = IngestReport()
    for path in paths:
        try:
            report.documents.append(statute_to_document(read_statute(path)))
        except IngestError as exc:
            logger.error("%s", exc)
            report.errors.append(exc)
        if on_file is not None:
            on_file(path)
    return report


def ingest_corpus(config: SourcesConfig, on_file: Callable[[Path], None] | None = None) -> IngestReport:
    """Ingest everything the sources config selects."""
    files = config.finlex_files()
    if config.finlex_dir is not None and not files:
        logger.warning("no Finlex statutes found under %s", config.finlex_dir)
    return ingest_files(files, on_file)
