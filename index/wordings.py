"""The consolidated sections' wordings over time, kept with a generation as ``consolidation.jsonl``.

One line per statute and language (:class:`ingest.consolidation_model.StatuteHistory`), written
by the re-index beside the chunks built from the same sources, so the API can show any date's
wording of an amended section without reading a statute.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from ingest.consolidation_model import ChapterHeading, SectionHistory, StatuteHistory

from .files import write_file_durably

logger = logging.getLogger(__name__)

WORDINGS = "consolidation.jsonl"


def statute_history_to_dict(history: StatuteHistory) -> dict:
    """JSON-ready data of one statute's history."""
    return {
        "statute": history.statute,
        "lang": history.lang,
        "title": history.title,
        "kind": history.kind,
        "section_count": history.section_count,
        "problems": list(history.problems),
        "chapters": [c.to_dict() for c in history.chapters],
        "sections": [s.to_dict() for s in history.sections],
    }


def statute_history_from_dict(data: dict) -> StatuteHistory:
    """Rebuild one statute's history from :func:`statute_history_to_dict` output."""
    return StatuteHistory(
        statute=data["statute"],
        lang=data["lang"],
        title=data.get("title", ""),
        kind=data.get("kind", "laki"),
        sections=tuple(SectionHistory.from_dict(s) for s in data.get("sections") or ()),
        chapters=tuple(ChapterHeading(**c) for c in data.get("chapters") or ()),
        section_count=int(data.get("section_count") or 0),
        problems=tuple(data.get("problems") or ()),
    )


def write_wordings(out_dir: Path, histories: Sequence[StatuteHistory], on: str | None) -> None:
    """Write the histories into a generation being staged, after a line naming the date its chunks hold."""
    lines = json.dumps({"in_force_on": on}) + "\n"
    lines += "".join(json.dumps(statute_history_to_dict(h), ensure_ascii=False) + "\n" for h in histories)
    write_file_durably(out_dir / WORDINGS, lines.encode("utf-8"))


class Wordings:
    """The histories of one generation, by (statute, lang, section); empty for an index without them."""

    def __init__(self, histories: Sequence[StatuteHistory] = (), in_force_on: str | None = None) -> None:
        self.in_force_on = in_force_on  # the date whose wording the generation's chunks hold
        self.statutes = {(h.statute, h.lang): h for h in histories}
        self._sections = {(h.statute, h.lang, s.section): s for h in histories for s in h.sections}

    @classmethod
    def load(cls, index_dir: str | Path) -> "Wordings":
        """Read a generation's file; an index built before consolidation existed has none."""
        path = Path(index_dir) / WORDINGS
        if not path.exists():
            return cls()
        histories: list[StatuteHistory] = []
        on: str | None = None
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                data = json.loads(line)
                if "statute" in data:
                    histories.append(statute_history_from_dict(data))
                else:
                    on = data.get("in_force_on")
        return cls(histories, on)

    def section(self, statute: str, lang: str, section: str) -> SectionHistory | None:
        """One section's history, or None for a section no act amends."""
        return self._sections.get((statute, lang, section))

    def __len__(self) -> int:
        return len(self._sections)


def changed_wordings(previous: Path | None, histories: Sequence[StatuteHistory], on: str) -> list[dict]:
    """Amended sections whose wording in force (previous generation's date → ``on``) or history changed.

    The first generation has nothing to compare with: it reports none.
    """
    if previous is None:
        return []
    before = Wordings.load(previous)
    after = Wordings(histories, on)
    then = before.in_force_on or on
    out: list[dict] = []
    for key in sorted(set(before._sections) | set(after._sections)):
        old, new = before._sections.get(key), after._sections.get(key)
        old_now = old.at(then) if old is not None else None
        new_now = new.at(on) if new is not None else None
        in_force_changed = (old_now is None) != (new_now is None) or (
            old_now is not None and new_now is not None and not old_now.same_text(new_now)
        )
        if old == new and not in_force_changed:
            continue
        status = new.status if new is not None else "removed"
        acts = list(new.acts if new is not None else old.acts if old is not None else ())
        out.append(
            {"statute": key[0], "lang": key[1], "section": key[2], "status": status,
             "in_force_changed": in_force_changed, "acts": acts}
        )  # fmt: skip
    return out
