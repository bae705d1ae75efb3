"""Ingest every source the manifest names: statutes (Finlex XML, Akoma Ntoso) and guides.

A source that fails is reported with one error naming the file and the reason; the rest of the
corpus goes on. Amendment links are made after all statutes are read, since an amending act and
the statute it amends are separate files.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .akn import is_akn, read_akn
from .amendments import SectionChange, amendment_index, parse_amendment
from .chunking import DEFAULT_MAX_TOKENS, statute_to_document
from .consolidation import consolidate_all
from .consolidation_model import StatuteHistory
from .eperusteet import read_peruste
from .errors import IngestError, SkippedSource, SourceFormatError
from .finlex import Statute, read_statute
from .guide_chunks import GuideMeta, guide_to_document
from .guides import read_guide
from .in_force import other_wordings, statute_in_force
from .manifest import PerusteEntry, SourceEntry, SourcesConfig, load_sources
from .models import Chunk, Document, today_iso
from .peruste_chunks import peruste_to_documents
from .tokens import TokenCounter, estimate_tokens

logger = logging.getLogger(__name__)

__all__ = [
    "IngestOptions",
    "IngestReport",
    "SourcesConfig",
    "consolidation_of",
    "corpus_files",
    "ingest_corpus",
    "ingest_files",
    "inputs_fingerprint",
    "load_sources",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class IngestOptions:
    """How sources are read and chunked."""

    max_tokens: int | None = DEFAULT_MAX_TOKENS  # per chunk, context line included
    count_tokens: TokenCounter = estimate_tokens
    max_bytes: int = DEFAULT_MAX_BYTES  # larger files are skipped
    consolidate: bool = True  # amended sections hold their wording in force (ingest.consolidation)
    in_force_on: str | None = None  # ISO date of that wording; None = the day of the ingest (UTC)

    def in_force_date(self) -> str:
        """The date whose wording consolidated sections hold."""
        return self.in_force_on or today_iso()


@dataclass
class IngestReport:
    """What an ingest run produced: documents, and one error per source that failed or was skipped."""

    documents: list[Document] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    skipped: list[IngestError] = field(default_factory=list)
    seconds: float = 0.0
    consolidation: list[StatuteHistory] = field(default_factory=list)  # amended statutes' sections over time
    in_force_on: str | None = None  # the date whose wording consolidated sections hold (None: none consolidated)

    @property
    def chunk_count(self) -> int:
        """Total chunks over all documents."""
        return sum(len(d.chunks) for d in self.documents)

    @property
    def section_count(self) -> int:
        """Distinct statute sections (and guide heading sections) over all documents."""
        return sum(len({c.citation.section_key or c.citation.heading_path for c in d.chunks}) for d in self.documents)

    def summary(self) -> str:
        """``ok 120, skipped 1, failed 2``."""
        return f"ok {len(self.documents)}, skipped {len(self.skipped)}, failed {len(self.errors)}"

    def add_error(self, exc: IngestError) -> None:
        """Record a failed or skipped source, logging one line."""
        if isinstance(exc, SkippedSource):
            logger.warning("skipped %s", exc)
            self.skipped.append(exc)
        else:
            logger.error("%s", exc)
            self.errors.append(exc)


def _cached(options: IngestOptions) -> IngestOptions:
    """Memoise the token counter: splitting asks for the same texts' counts more than once."""
    if hasattr(options.count_tokens, "cache_info"):
        return options
    return replace(options, count_tokens=functools.lru_cache(maxsize=65536)(options.count_tokens))


def check_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse a missing file (error), an empty or over-large one (skipped)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise SourceFormatError(path, "file not found") from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise SourceFormatError(path, "not a regular file")
    if size == 0:
        raise SkippedSource(path, "empty file")
    if size > max_bytes:
        raise SkippedSource(path, f"file is {size} bytes, over the {max_bytes}-byte limit (LAHDE_INGEST_MAX_BYTES)")


def read_statute_file(path: Path) -> Statute:
    """Read a statute in either format: Akoma Ntoso or the older Finlex XML."""
    return read_akn(path) if is_akn(path) else read_statute(path)


def _documents_from_statutes(
    statutes: list[tuple[Statute, SourceEntry | None]], options: IngestOptions, report: IngestReport
) -> None:
    changes: dict[int, list[SectionChange]] = {}
    for i, (statute, _) in enumerate(statutes):
        changes[i] = parse_amendment(statute)
    by_lang: dict[str, list[SectionChange]] = {}
    for i, (statute, _) in enumerate(statutes):
        by_lang.setdefault(statute.lang, []).extend(changes[i])
    index = {lang: amendment_index(items) for lang, items in by_lang.items()}
    histories: dict[tuple[str, str], StatuteHistory] = {}
    if options.consolidate:
        report.consolidation = consolidate_all([s for s, _ in statutes])
        histories = {(h.statute, h.lang): h for h in report.consolidation}
    on = options.in_force_date()
    if histories:
        report.in_force_on = on
    seen: dict[str, str] = {}
    for i, (statute, entry) in enumerate(statutes):
        history = histories.get((statute.number, statute.lang))
        wordings = None
        enacted = statute
        if history is not None:
            statute, wordings = statute_in_force(statute, history, on)
        chunk = functools.partial(
            statute_to_document,
            max_tokens=options.max_tokens,
            count_tokens=options.count_tokens,
            amendments=index.get(statute.lang, {}),
            amends=changes[i],
        )
        doc = chunk(statute, wordings=wordings, in_force_on=on if history is not None else None)
        if history is not None:
            doc = replace(doc, chunks=doc.chunks + _other_wording_chunks(chunk, enacted, history, on))
        if doc.id in seen:
            report.add_error(SkippedSource(statute.source_path, f"same statute as {seen[doc.id]} ({doc.id})"))
            continue
        seen[doc.id] = statute.source_path
        if entry is not None:
            doc = replace(doc, url=entry.url or doc.url, valid_from=entry.valid_from, issuer=entry.issuer or doc.issuer)
        report.documents.append(doc)


def _other_wording_chunks(
    chunk: Callable[..., Document], enacted: Statute, history: StatuteHistory, on: str
) -> tuple[Chunk, ...]:
    """Chunks of every wording not in force on ``on``, ids and section keys marked ``@<date it took effect>``."""
    out: list[Chunk] = []
    for date, then, notes in other_wordings(enacted, history, on):
        for c in chunk(then, wordings=notes, in_force_on=on).chunks:
            key = f"{c.citation.section_key}@{date}" if c.citation.section_key else None
            out.append(replace(c, id=f"{c.id}@{date}", citation=replace(c.citation, section_key=key, order=None)))
    return tuple(out)


def ingest_files(
    paths: Iterable[Path],
    on_file: Callable[[Path], None] | None = None,
    *,
    options: IngestOptions | None = None,
    entries: dict[Path, SourceEntry] | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Read statute files (Finlex XML or Akoma Ntoso); a file that fails is reported, the rest go on."""
    options = _cached(options or IngestOptions())
    report = report if report is not None else IngestReport()
    started = time.perf_counter()
    statutes: list[tuple[Statute, SourceEntry | None]] = []
    for path in paths:
        try:
            check_file(path, options.max_bytes)
            statutes.append((read_statute_file(path), (entries or {}).get(path)))
        except IngestError as exc:
            report.add_error(exc)
        except Exception as exc:  # noqa: BLE001 - a reader bug on one file must not stop the corpus
            report.add_error(SourceFormatError(path, f"cannot read: {type(exc).__name__}: {exc}"))
        if on_file is not None:
            on_file(path)
    _documents_from_statutes(statutes, options, report)
    report.seconds += time.perf_counter() - started
    return report


def consolidation_of(
    config: SourcesConfig, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[StatuteHistory], list[IngestError]]:
    """Read the config's statutes (nothing else) and consolidate them: for `lahde consolidation`."""
    statutes: list[Statute] = []
    errors: list[IngestError] = []
    for path in corpus_files(config):
        if path.suffix.lower() != ".xml":
            continue
        try:
            config.confine(path)
            check_file(path, max_bytes)
            statutes.append(read_statute_file(path))
        except SkippedSource:
            continue
        except IngestError as exc:
            errors.append(exc)
    return consolidate_all(statutes), errors


def ingest_guide(entry: SourceEntry, options: IngestOptions) -> Document:
    """Read and chunk one guide named by the manifest."""
    assert entry.path is not None
    check_file(entry.path, options.max_bytes)
    blocks = read_guide(entry.path)
    meta = GuideMeta(
        entry.id, entry.title, entry.kind, entry.lang, str(entry.path), entry.issuer, entry.url, entry.institution
    )
    doc = guide_to_document(meta, blocks, max_tokens=options.max_tokens, count_tokens=options.count_tokens)
    return replace(doc, valid_from=entry.valid_from)


def corpus_files(config: SourcesConfig) -> list[Path]:
    """Every file an ingest of this config reads, statutes first (for progress bars)."""
    statute_files = dict.fromkeys(config.finlex_files() + config.mirror_files())
    for entry in config.entries:
        if entry.statute:
            found = config.statute_file(entry)
            if found is not None:
                statute_files[found] = None
    guides = [e.path for e in config.entries if e.path is not None]
    return list(statute_files) + guides + [path for _, path in config.peruste_files()]


def ingest_corpus(
    config: SourcesConfig,
    on_file: Callable[[Path], None] | None = None,
    *,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Ingest everything the sources config selects."""
    options = _cached(options or IngestOptions())
    started = time.perf_counter()
    report = IngestReport()
    for error in config.errors:
        report.add_error(error)
    entries: dict[Path, SourceEntry] = {}
    statute_files = dict.fromkeys(config.finlex_files() + config.mirror_files())
    if config.finlex_dir is not None and not statute_files:
        logger.warning("no Finlex statutes found under %s", config.finlex_dir)
    for entry in config.entries:
        if entry.statute:
            found = config.statute_file(entry)
            if found is None:
                where = config.finlex_dir / entry.lang / (entry.finlex_name() or "") if config.finlex_dir else entry.id
                reason = f"source {entry.id!r}: statute {entry.statute} not found (run `lahde sources fetch`)"
                if config.finlex_dir is None or not config.finlex_dir.is_dir():
                    # The Finlex folder is optional: without it the build goes on with corpus/ alone.
                    report.add_error(SkippedSource(where, f"{reason}; no Finlex folder"))
                else:
                    report.add_error(SourceFormatError(where, reason))
                continue
            entries[found] = entry
            statute_files[found] = None
    allowed: list[Path] = []
    for path in statute_files:
        try:
            config.confine(path)
            allowed.append(path)
        except IngestError as exc:
            report.add_error(exc)
            if on_file is not None:
                on_file(path)
    ingest_files(allowed, on_file, options=options, entries=entries, report=report)
    for entry in config.entries:
        if entry.path is None:
            continue
        try:
            config.confine(entry.path)
            report.documents.append(ingest_guide(entry, options))
        except IngestError as exc:
            report.add_error(exc)
        except Exception as exc:  # noqa: BLE001 - a reader bug on one file must not stop the corpus
            report.add_error(SourceFormatError(entry.path, f"cannot read: {type(exc).__name__}: {exc}"))
        if on_file is not None:
            on_file(entry.path)
    for listed, path in config.peruste_files():
        try:
            config.confine(path)
            report.documents.extend(ingest_peruste(listed, path, options))
        except IngestError as exc:
            report.add_error(exc)
        except Exception as exc:  # noqa: BLE001 - a reader bug on one file must not stop the corpus
            report.add_error(SourceFormatError(path, f"cannot read: {type(exc).__name__}: {exc}"))
        if on_file is not None:
            on_file(path)
    report.seconds = time.perf_counter() - started
    return report


def ingest_peruste(entry: PerusteEntry, path: Path, options: IngestOptions) -> list[Document]:
    """Read and chunk one peruste the manifest names; its diaarinumero must be the one listed."""
    check_file(path, options.max_bytes)
    peruste = read_peruste(path)
    if peruste.diaarinumero != entry.diaarinumero or peruste.id != entry.id:
        raise SourceFormatError(
            path,
            f"holds {peruste.diaarinumero} (id {peruste.id}), the manifest lists {entry.diaarinumero} (id {entry.id})",
        )
    return peruste_to_documents(peruste, max_tokens=options.max_tokens, count_tokens=options.count_tokens)


def inputs_fingerprint(
    config: SourcesConfig,
    manifest_path: Path,
    options: IngestOptions,
    counter: str,
    extra_files: Sequence[Path] = (),
    extra: str = "",
) -> str:
    """A hash of everything an ingest of this config reads and how: equal hashes give equal documents.

    It covers the manifest's bytes, every source file's path and bytes, the chunking options (with
    ``counter`` naming the token counter), ``extra_files`` (the question bank) and ``extra`` (how it
    is used) and this package's own code, so a re-index can tell that nothing changed without
    parsing a single statute.
    """
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    # The date matters: consolidated sections hold the wording in force that day.
    wording = options.in_force_date() if options.consolidate else "enacted"
    add("options", f"{options.max_tokens}|{options.max_bytes}|{counter}|{wording}|{extra}".encode())
    for path in extra_files:
        add(f"extra:{path}", _read_or_missing(path))
    add("manifest", _read_or_missing(manifest_path))
    for error in config.errors:
        add("manifest-error", str(error).encode())
    add("roots", "\0".join(str(r) for r in config.allowed_roots()).encode())
    for path in corpus_files(config):
        try:
            config.confine(path)
        except IngestError:
            add(f"refused:{path}", b"")  # never read what will not be ingested
            continue
        add(f"file:{path}", _read_or_missing(path))
    for code in sorted(Path(__file__).parent.glob("*.py")):
        add(f"code:{code.name}", code.read_bytes())
    return digest.hexdigest()


def _read_or_missing(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}".encode()
