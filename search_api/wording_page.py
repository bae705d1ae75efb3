"""What the section page shows about the wording in force: dates, provenance per momentti, later and earlier wordings."""

from __future__ import annotations

from typing import Any

from ingest.consolidation_model import Wording
from ingest.models import Citation, finnish_date, today_iso
from retrieval.in_force import InForce

from .i18n import STRINGS


def _provenance(wording: Wording, statute: str, t: dict[str, str]) -> list[str]:
    """Per momentti: the acts its text comes from, each with the date it took effect there."""
    out: list[str] = []
    for m in wording.momentit:
        seen: dict[str, str] = {}
        for piece in m.pieces:
            if piece.act in seen:
                continue
            if piece.act == statute:
                seen[piece.act] = f"{statute} ({t['in_force_enacted']})"
            else:
                seen[piece.act] = t["in_force_act"].format(act=piece.act, date=finnish_date(piece.since))
        out.append(" · ".join(seen.values()))
    return out


def _period(wording: Wording, t: dict[str, str]) -> str:
    if wording.valid_to:
        return t["in_force_until"].format(start=finnish_date(wording.valid_from), end=finnish_date(wording.valid_to))
    return t["in_force_since"].format(date=finnish_date(wording.valid_from))


def wording_line(citation: Citation, ui: str) -> str:
    """A hit's note on its wording: "Voimassa oleva sanamuoto · voimassa 1.8.2022 alkaen", or when it takes effect."""
    if citation.kind == "peruste":
        return peruste_validity(citation, ui)
    if getattr(citation, "consolidation", None) != "consolidated" or not citation.wording_since:
        return ""
    t = STRINGS[ui]
    since, until = citation.wording_since, citation.wording_until
    if citation.in_force_on and since > citation.in_force_on:
        return t["in_force_future"].format(date=finnish_date(since))
    if until:
        return t["in_force_until"].format(start=finnish_date(since), end=finnish_date(until))
    return f"{t['in_force_title']} · {t['in_force_since'].format(date=finnish_date(since))}"


def peruste_validity(citation: Citation, ui: str) -> str:
    """ "Voimassa 1.8.2018 alkaen", or for an expired peruste its end and siirtymäaika."""
    t = STRINGS[ui]
    today = today_iso()
    until, transition = citation.valid_until, citation.transition_until
    if until and until < today:
        if transition and transition >= today:
            return t["peruste_transition"].format(end=finnish_date(until), transition=finnish_date(transition))
        return t["peruste_expired"].format(end=finnish_date(until))
    if citation.valid_from:
        return t["peruste_valid"].format(start=finnish_date(citation.valid_from))
    return ""


def in_force_context(info: InForce, statute: str, ui: str, lang: str) -> dict[str, Any] | None:
    """The template's data for the wording block; None for a section no act amends."""
    if info.status == "unchanged":
        return None
    t = STRINGS[ui]
    out: dict[str, Any] = {
        "status": info.status,
        "date": info.date,
        "title": t["in_force_on"].format(date=finnish_date(info.date)),
    }
    if info.status == "apart":
        out["notice"] = t["in_force_apart"].format(reason=info.reason or "")
        return out
    wording = info.wording
    if wording is None:
        out["notice"] = t["in_force_not_yet"].format(date=finnish_date(info.date))
    elif wording.repealed_by:
        out["notice"] = t["in_force_repealed"].format(act=wording.repealed_by, date=finnish_date(wording.valid_from))
        out["period"] = _period(wording, t)
    else:
        out["period"] = _period(wording, t)
        out["provenance"] = _provenance(wording, statute, t)
    out["future"] = [
        {
            "title": t["in_force_future"].format(date=finnish_date(w.valid_from)),
            "label": label,
            "momentit": w.texts(lang) if not w.repealed_by else [],
            "notice": t["in_force_repealed"].format(act=w.repealed_by, date=finnish_date(w.valid_from))
            if w.repealed_by
            else "",
            "provenance": _provenance(w, statute, t),
        }
        for w, label in info.future
    ]
    out["history"] = [
        {"date": w.valid_from, "text": _period(w, t), "current": w is wording} for w in info.history if w.valid_from
    ]
    return out
