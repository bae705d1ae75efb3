"""The UKK's wiring: its store from the settings, the check after every re-index, published answers into the bank."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from index.store import read_chunks
from ingest.chunking import normalise_section
from ingest.models import BankQuestion, Document
from ingest.questions import normalise_space
from ukk import entries
from ukk.citations import GenerationView
from ukk.review import Finding, review
from ukk.store import UkkStore

from .settings import Settings

logger = logging.getLogger(__name__)


def open_store(settings: Settings) -> UkkStore:
    """The UKK database the settings name (created and migrated when new)."""
    return UkkStore(settings.ukk_path())


def review_generation(settings: Settings, gen_dir: Path) -> list[Finding]:
    """Check every published entry against a new generation; nothing to do when no UKK database exists yet."""
    if not Path(settings.ukk_path()).exists():
        return []
    store = open_store(settings)
    try:
        view = GenerationView.of(gen_dir.name, read_chunks(gen_dir))
        return review(store, view, settings.ukk_verify_days)
    finally:
        store.close()


def bank_from_ukk(settings: Settings, documents: Sequence[Document]) -> list[BankQuestion]:
    """Published entries shared with the network, as bank questions of the passages they cite (quote still there).

    Only shared entries: an institution's own questions must not shape what other institutions find.
    """
    if not settings.ukk_feeds_bank or not Path(settings.ukk_path()).exists():
        return []
    store = open_store(settings)
    try:
        published = [e for e in entries.published(store) if e.shared and e.status == "julkaistu"]
    finally:
        store.close()
    by_id = {c.id: c for d in documents for c in d.chunks}
    by_section: dict[tuple[str | None, str], list] = {}
    for chunk in by_id.values():
        by_section.setdefault((chunk.citation.section_key, chunk.citation.lang), []).append(chunk)
    questions: list[BankQuestion] = []
    for entry in published:
        for citation in entry.citations:
            candidates = [by_id[citation.chunk_id]] if citation.chunk_id in by_id else []
            candidates += by_section.get((citation.section_key, citation.lang), []) if citation.section_key else []
            holder = next((c for c in candidates if citation.quote in normalise_space(c.text)), None)
            if holder is None or not holder.citation.statute or not holder.citation.section:
                continue  # the check after the re-index flags it; a changed quote teaches nothing
            c = holder.citation
            base = c.amends_statute or c.statute or ""
            section = normalise_section(c.section or "")
            source = f"ukk:{entry.id}:{citation.n}"
            questions.append(
                BankQuestion(holder.id, base, section, c.lang, entry.question, citation.quote, c.statute or "", source)
            )
    return questions


def bank_stamp(settings: Settings) -> str:
    """What of the UKK the bank is built from (entry ids and versions), for the inputs' fingerprint."""
    if not settings.ukk_feeds_bank or not Path(settings.ukk_path()).exists():
        return ""
    store = open_store(settings)
    try:
        shared = sorted((e.id, e.version) for e in entries.published(store) if e.shared and e.status == "julkaistu")
    finally:
        store.close()
    return ",".join(f"{i}.{v}" for i, v in shared)
