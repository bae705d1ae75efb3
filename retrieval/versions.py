"""Versions of one section in a hit list: the statute as enacted and the amending acts' new wordings.

The corpus holds each statute as enacted plus every amending act, and an amending act restates
the sections it changes (``718/2022 97 §`` is the new wording of ``531/2017 97 §``). A search for
"eronneeksi katsominen" therefore finds the same section three times. Collapsing keeps the best
hit of each section and lists the other acts' wordings under it, so the first page shows more
distinct sections and the coach still sees, and can open, every wording.

Only wordings from *different* acts fold together: momentti chunks of one act (``45 § 1–2 mom.``,
``45 § 3–5 mom.``) stay separate hits, and so do the Finnish and Swedish texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ingest.models import Chunk

from .references import normalise_section
from .types import Hit, OtherVersion

VersionKey = tuple[str, str, str]  # (base statute, section, lang)


def version_key(chunk: Chunk) -> VersionKey | None:
    """The section a chunk is a wording of, in its language; None outside numbered statute sections."""
    c = chunk.citation
    base = c.amends_statute or c.statute
    if base is None or c.section is None:
        return None
    return (base, normalise_section(c.section), c.lang)


def collapse_versions(hits: Sequence[Hit]) -> list[Hit]:
    """Keep each section's head act; other acts' hits of that section join it as ``versions``, ranks renumbered.

    The head is the statute itself when its section holds the wording in force (consolidated):
    it is the one to cite ("97 § (sellaisena kuin se on laissa 718/2022)"), and it takes the place
    of the section's best-ranked hit. Otherwise the head is the best-ranked hit's act.
    """
    head_act: dict[VersionKey, str | None] = {}
    for hit in hits:
        key = version_key(hit.chunk)
        if key is None:
            continue
        c = hit.chunk.citation
        if getattr(c, "consolidation", None) == "consolidated" and c.statute == key[0]:
            head_act[key] = c.statute
        else:
            head_act.setdefault(key, c.statute)
    order: list[Hit] = list(hits)
    for key, act in head_act.items():
        members = [i for i, h in enumerate(order) if version_key(h.chunk) == key]
        best = next(i for i in members if order[i].chunk.citation.statute == act)
        if best != members[0]:
            # The head takes the section's best place (and score); the hits between move down one.
            top = order[members[0]].score
            head = order.pop(best)
            order.insert(members[0], replace(head, score=max(head.score, top)))
    kept: list[Hit] = []
    first: dict[VersionKey, int] = {}  # key → position of its head in ``kept``
    extra: dict[int, list[OtherVersion]] = {}
    for hit in order:
        key = version_key(hit.chunk)
        act = hit.chunk.citation.statute
        if key is not None and act != head_act[key]:
            pos = first.get(key)
            if pos is None:  # cannot happen: the head was moved before every other act's hit
                continue
            seen = {v.act for v in extra.get(pos, [])}
            if act not in seen:  # one entry per act, at its best-ranked chunk
                extra.setdefault(pos, []).append(
                    OtherVersion(
                        hit.chunk.id, act or "", hit.chunk.citation.label, hit.chunk.citation.in_force, hit.score
                    )
                )
            continue
        if key is not None and key not in first:
            first[key] = len(kept)
        kept.append(hit)
    return [
        replace(h, rank=r, versions=tuple(_newest_first(extra.get(i, []))))
        for r, (i, h) in enumerate(enumerate(kept), start=1)
    ]


def _newest_first(versions: list[OtherVersion]) -> list[OtherVersion]:
    # The statute as enacted (no in_force date) sorts last.
    return sorted(versions, key=lambda v: v.in_force or "", reverse=True)
