"""Sample UKK entries (corpus/ukk/*.toml), written by reading the statutes, loaded into a store as published answers.

Each cite names statute, section, language and a verbatim quote; it is tied to the passage of the
index that holds the quote (the wording in force), so a sample that no longer matches the corpus
fails loudly, naming file, entry and cite.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import normalise_section
from ingest.models import Chunk
from ingest.questions import normalise_space

from . import entries
from .citations import cite
from .errors import InvalidInput
from .store import UkkStore
from .types import CitationInput, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SampleCite:
    """Where a sample answer's ``[n]`` points."""

    statute: str
    section: str
    lang: str
    quote: str


@dataclass(frozen=True)
class Sample:
    """One sample entry as written in the file."""

    source: str  # file:entry number, for messages
    institution: str
    draft: entries.Draft
    cites: tuple[SampleCite, ...]


def read_samples(folder: Path) -> list[Sample]:
    """Every entry of every TOML file in the folder; InvalidInput naming file and entry for a malformed one."""
    samples: list[Sample] = []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot read UKK samples: {exc}", "file") from exc
        institution = str(data.get("institution", ""))
        for i, e in enumerate(data.get("entry", []), start=1):
            where = f"{path.name}:{i}"
            try:
                draft = entries.Draft(
                    str(e["topic"]),
                    str(e["question"]),
                    str(e["answer"]),
                    tuple(e.get("tags", [])),
                    bool(e.get("shared")),
                )
                cites = tuple(
                    SampleCite(str(c["statute"]), str(c["section"]), str(c.get("lang", "fi")), str(c["quote"]))
                    for c in e.get("cite", [])
                )
            except (KeyError, TypeError) as exc:
                raise InvalidInput(f"{where}: missing or malformed field {exc}", "entry") from exc
            samples.append(Sample(where, institution, draft, cites))
    return samples


def _passages(chunks: Sequence[Chunk]) -> dict[tuple[str, str, str], list[Chunk]]:
    found: dict[tuple[str, str, str], list[Chunk]] = {}
    for chunk in chunks:
        c = chunk.citation
        if c.statute and c.section and "@" not in chunk.id and not c.repealed_by:
            found.setdefault((c.statute, normalise_section(c.section), c.lang), []).append(chunk)
    return found


def load_samples(
    store: UkkStore,
    coach: User,
    samples: Sequence[Sample],
    chunks: Sequence[Chunk],
    generation: str,
    on_skip: Callable[[str], None] | None = None,
) -> list[int]:
    """Create and publish each sample as the coach (of the samples' institution); returns the new entry ids.

    A sample whose cite the corpus cannot hold raises InvalidInput — or, with ``on_skip``, is reported
    to it and left out (an index of fewer statutes, as the load benchmark uses).
    """
    passages = _passages(chunks)
    made: list[int] = []
    for sample in samples:
        try:
            made.append(_load_one(store, coach, sample, passages, generation))
        except InvalidInput as exc:
            if on_skip is None:
                raise
            on_skip(str(exc))
    logger.info("loaded %d sample UKK entries", len(made))
    return made


def _load_one(
    store: UkkStore, coach: User, sample: Sample, passages: dict[tuple[str, str, str], list[Chunk]], generation: str
) -> int:
    """Create and publish one sample; InvalidInput when a cite names no passage with its quote."""
    if sample.institution != coach.institution_id:
        raise InvalidInput(f"{sample.source}: institution {sample.institution!r} is not {coach.institution_id!r}")
    citations = []
    for n, sc in enumerate(sample.cites, start=1):
        quote = normalise_space(sc.quote)
        holder = next(
            (
                c
                for c in passages.get((sc.statute, normalise_section(sc.section), sc.lang), [])
                if quote in normalise_space(c.text)
            ),
            None,
        )
        if holder is None:
            raise InvalidInput(
                f"{sample.source} cite {n}: {sc.statute} {sc.section} § ({sc.lang}) holds no passage with {sc.quote!r}",
                "cite",
            )
        citations.append(cite(holder, CitationInput(holder.id, quote), n, generation))
    entry = entries.create(store, coach, sample.draft, citations)
    return entries.publish(store, coach, entry.id, entry.version).id
