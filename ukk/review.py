"""After every re-index: each published entry's citations checked against the new generation; entries due by age.

What no longer holds turns the entry ``tarkistettava`` with its reasons (and the diff of a changed
quote); every finding is also kept in ``citation_check`` with the generation, for the change report.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from . import entries
from .citations import GenerationView, check_entry, refresh
from .errors import InvalidInput
from .store import UkkStore, now_iso
from .types import Entry, ReviewReason, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """One entry that needs checking, and why."""

    entry_id: int
    institution_id: str
    question: str
    reasons: tuple[ReviewReason, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the re-index report lists these)."""
        return {
            "entry_id": self.entry_id,
            "institution": self.institution_id,
            "question": self.question,
            "reasons": [r.to_dict() for r in self.reasons],
        }


def _new(entry: Entry, reasons: list[ReviewReason]) -> list[ReviewReason]:
    known = {(r.reason, r.n, r.detail) for r in entry.review_reasons}
    return [r for r in reasons if (r.reason, r.n, r.detail) not in known]


def review(store: UkkStore, view: GenerationView, interval_days: int | None = None) -> list[Finding]:
    """Check every published entry against a generation (and the verification interval); flag what changed."""
    findings: list[Finding] = []
    for entry in entries.published(store):
        reasons = check_entry(entry.citations, view)
        if interval_days and entries.is_due(entry, interval_days):
            reasons.append(
                ReviewReason("due", 0, f"last verified {entry.verified_at or entry.created_at}", "", view.name)
            )
        fresh = _new(entry, reasons)
        if not fresh:
            continue
        entries.flag(store, entry.id, fresh, view.name)
        _record(store, view.name, entry.id, fresh)
        findings.append(Finding(entry.id, entry.institution_id, entry.question, tuple(fresh)))
    if findings:
        logger.info("%d UKK entries need checking after %s", len(findings), view.name)
    return findings


def _record(store: UkkStore, generation: str, entry_id: int, reasons: list[ReviewReason]) -> None:
    at = now_iso()
    rows = [(generation, at, entry_id, r.n, r.reason, r.detail, r.diff) for r in reasons]

    def run(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO citation_check(generation, at, entry_id, n, reason, detail, diff) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    store.write(run)


def findings_of(store: UkkStore, generation: str) -> list[dict[str, Any]]:
    """What the check recorded for one generation (entry id, citation, reason, detail), for the change report."""
    rows = store.read(
        lambda c: c.execute(
            "SELECT entry_id, n, reason, detail FROM citation_check WHERE generation = ? ORDER BY entry_id, n, id",
            (generation,),
        ).fetchall()
    )
    return [dict(r) for r in rows]


def confirm(store: UkkStore, user: User, entry_id: int, version: int, view: GenerationView, note: str = "") -> Entry:
    """A coach re-verifies an entry: its citations are re-read from the generation, or it must be re-cited first."""
    entry = entries.get(store, user, entry_id)
    refreshed = []
    for citation in entry.citations:
        again = refresh(citation, view)
        if again is None:
            raise InvalidInput(
                f"citation [{citation.n}] ({citation.label}): the quoted text is no longer in the index; "
                "edit the answer and cite the passage again",
                f"citations.{citation.n - 1}",
            )
        refreshed.append(again)
    if refreshed != list(entry.citations):
        draft = entries.Draft(entry.topic, entry.question, entry.answer, entry.tags, entry.shared)
        entry = entries.update(store, user, entry_id, version, draft, refreshed)
        version = entry.version
    return entries.verify(store, user, entry_id, version, note)
