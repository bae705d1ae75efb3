"""The UKK's web pages: the UKK by topic, one entry, the editor, the entries to check.

Plain HTML forms (no JavaScript needed); every POST carries the session's CSRF token, checked in
constant time. Pages that need a role send an anonymous visitor to the sign-in page
(``login_pages``) and answer 403 to a signed-in one without the role.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from retrieval.types import visible_to
from ukk import entries, review
from ukk.errors import NotFound, StaleVersion, UkkError
from ukk.types import TOPICS, CitationInput, Entry

from .auth import Principal, get_ukk, principal
from .deps import clean_text
from .page_helpers import form_csrf_ok, read_form, strings, ui_of, who_or_redirect
from .ukk_api import check_sharing, generation_view, make_citations, recite, ukk_search
from .web import render

router = APIRouter(include_in_schema=False)


# ---- reading ------------------------------------------------------------------------------------
@router.get("/ukk", response_class=HTMLResponse)
async def ukk_home(request: Request) -> Response:
    """The UKK: topics with their counts, a search over earlier answers, the latest entries."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    store = get_ukk(request)
    visible = entries.listing(store, who.user, limit=1000)
    readable = [e for e in visible if e.status in entries.READABLE]
    counts = {code: sum(1 for e in readable if e.topic == code) for code in TOPICS}
    q = clean_text(request.query_params.get("q", ""))[: request.app.state.settings.max_query_chars]
    found: list[Entry] | None = None
    searcher = getattr(request.app.state, "searcher", None)
    if q and searcher is not None:
        hits = await run_in_threadpool(ukk_search(request).search, searcher, who.user, q, 10)
        found = [h.entry for h in hits]
    return render(
        request,
        "ukk_home.html",
        ui,
        state={**state, "q": q},
        counts=counts,
        latest=visible[:10],
        found=found,
    )


@router.get("/ukk/aihe/{topic}", response_class=HTMLResponse)
def ukk_topic(request: Request, topic: str) -> Response:
    """The published entries of one topic."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    if topic not in TOPICS:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=strings(ui)["entry_not_found"])
    items = [e for e in entries.listing(get_ukk(request), who.user, topic=topic) if e.status in entries.READABLE]
    return render(request, "ukk_list.html", ui, state=state, title=TOPICS[topic][0 if ui == "fi" else 1], items=items)


@router.get("/ukk/tarkistettavat", response_class=HTMLResponse)
def ukk_to_review(request: Request) -> Response:
    """The institution's entries waiting for a coach's check."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    items = [
        e
        for e in entries.listing(get_ukk(request), who.user, status="tarkistettava")
        if e.institution_id == who.user.institution_id
    ]
    t = strings(ui)
    return render(
        request, "ukk_list.html", ui, state=state, title=t["to_review"], intro=t["to_review_intro"], items=items
    )


@router.get("/ukk/{entry_id:int}", response_class=HTMLResponse)
def ukk_entry(request: Request, entry_id: int) -> Response:
    """One entry: the answer, its citations linking to the section view, the warning and why, the history."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    return _entry_page(request, who, entry_id)


def _entry_page(
    request: Request, who: Principal, entry_id: int, status: int = 200, error: str | None = None
) -> Response:
    ui, state = ui_of(request)
    store = get_ukk(request)
    try:
        entry = entries.get(store, who.user, entry_id)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=strings(ui)["entry_not_found"])
    writable = who.user.can("valmentaja") and entry.institution_id == who.user.institution_id
    return render(
        request,
        "ukk_entry.html",
        ui,
        status=status,
        state=state,
        entry=entry,
        error=error,
        history=entries.revisions(store, who.user, entry_id),
        writable=writable,
    )


@router.post("/ukk/{entry_id:int}/toiminto", response_class=HTMLResponse)
async def ukk_action(request: Request, entry_id: int) -> Response:
    """Publish, verify or archive (the entry's version travels with the form: a stale one gets 409)."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, _state = ui_of(request)
    t = strings(ui)
    form = await read_form(request)
    if not form_csrf_ok(who, form):
        return _entry_page(request, who, entry_id, 403, t["form_expired"])
    store = get_ukk(request)
    try:
        version = int(form.get("version") or 0)
        action = form.get("action")
        if action == "publish":
            entries.publish(store, who.user, entry_id, version)
        elif action == "verify":
            searcher = getattr(request.app.state, "searcher", None)
            if searcher is None:
                return _entry_page(request, who, entry_id, 503, t["error_not_ready"])
            review.confirm(store, who.user, entry_id, version, generation_view(searcher), form.get("note", ""))
        elif action == "archive":
            entries.archive(store, who.user, entry_id, version)
        else:
            return _entry_page(request, who, entry_id, 422, f"action: {action!r}")
    except StaleVersion:
        current = entries.get(store, who.user, entry_id)
        return _entry_page(request, who, entry_id, 409, t["conflict"].format(v=current.version))
    except (UkkError, ValueError) as exc:
        return _entry_page(request, who, entry_id, getattr(exc, "status", 422), str(exc))
    return RedirectResponse(
        f"/ukk/{entry_id}" + (f"?ui={ui}" if request.query_params.get("ui") else ""), status_code=303
    )


# ---- writing ------------------------------------------------------------------------------------
def _picked(request: Request, chunk_ids: list[str], quotes: list[str] | None = None) -> list[dict[str, Any]]:
    """The editor's citation rows: passage id, its label and text (from the served index), the quote."""
    searcher = getattr(request.app.state, "searcher", None)
    who = principal(request)
    own = who.user.institution_id if who is not None else None
    rows = []
    for i, cid in enumerate(dict.fromkeys(c for c in chunk_ids if c)):
        chunk = searcher.index.get(cid) if searcher is not None else None
        if chunk is not None and not visible_to(chunk.citation, own):
            chunk = None  # another institution's own document: not even its label is shown
        quote_text = (quotes[i] if quotes and i < len(quotes) else "") or (chunk.text if chunk else "")
        rows.append(
            {
                "id": cid,
                "label": chunk.citation.label if chunk else cid,
                "quote": quote_text,
                "known": chunk is not None,
            }
        )
    return rows


def _editor(request: Request, ui: str, state: dict[str, Any], status: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "ukk_editor.html", ui, status=status, state=state, topics=TOPICS, **context)


@router.get("/ukk/uusi", response_class=HTMLResponse)
def new_entry_form(request: Request) -> Response:
    """The editor for a new answer, with the passages picked on the search page as its sources."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    question = clean_text(request.query_params.get("q", ""))[: entries.MAX_QUESTION]
    topic = request.query_params.get("aihe", "")
    fields = {
        "topic": topic if topic in TOPICS else "",
        "question": question,
        "answer": "",
        "tags": "",
        "shared": False,
    }
    rows = _picked(request, request.query_params.getlist("c")[: entries.MAX_CITATIONS])
    # Written for a question of the channel: saving goes back to that question, to send the answer.
    kysymys = request.query_params.get("kysymys", "")
    return _editor(
        request,
        ui,
        state,
        fields=fields,
        rows=rows,
        entry=None,
        error=None,
        kysymys=kysymys if kysymys.isdigit() else "",
    )


def _submitted(form: dict[str, Any]) -> tuple[dict[str, Any], entries.Draft, list[CitationInput]]:
    drop = {int(d) for d in form.get("drop", []) if str(d).isdigit()}
    chunk_ids, quotes = form.get("c", []), form.get("quote", [])
    picked = [
        CitationInput(cid, clean_text(quotes[i]) if i < len(quotes) and quotes[i].strip() else None)
        for i, cid in enumerate(chunk_ids)
        if i not in drop
    ]
    tags = tuple(t.strip() for t in form.get("tags", "").split(",") if t.strip())
    fields = {k: form.get(k, "") for k in ("topic", "question", "answer", "tags")} | {
        "shared": form.get("shared") == "1"
    }
    draft = entries.Draft(
        form.get("topic", ""), form.get("question", ""), form.get("answer", ""), tags, fields["shared"]
    )
    return fields, draft, picked


@router.post("/ukk/uusi", response_class=HTMLResponse)
async def new_entry_submit(request: Request) -> Response:
    """Save the new answer as a draft, or save and publish it."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    form = await read_form(request)
    fields, draft, picked = _submitted(form)
    rows = _picked(request, [p.chunk_id for p in picked], [p.quote or "" for p in picked])
    if not form_csrf_ok(who, form):
        return _editor(request, ui, state, 403, fields=fields, rows=rows, entry=None, error=strings(ui)["form_expired"])
    store = get_ukk(request)
    try:
        searcher = request.app.state.searcher
        if searcher is None:
            raise UkkError("the index is not loaded yet; try again in a moment")
        citations = make_citations(searcher, picked, who.user)
        check_sharing(searcher, citations, draft.shared)
        entry = entries.create(store, who.user, draft, citations)
        if form.get("action") == "publish":
            entry = entries.publish(store, who.user, entry.id, entry.version)
    except UkkError as exc:
        return _editor(
            request,
            ui,
            state,
            getattr(exc, "status", 422),
            fields=fields,
            rows=rows,
            entry=None,
            error=str(exc),
            kysymys=form.get("kysymys", ""),
        )
    kysymys = form.get("kysymys", "")
    if kysymys.isdigit():
        return RedirectResponse(f"/kysymykset/{kysymys}?vastaus={entry.id}", status_code=303)
    return RedirectResponse(f"/ukk/{entry.id}", status_code=303)


@router.get("/ukk/{entry_id:int}/muokkaa", response_class=HTMLResponse)
def edit_entry_form(request: Request, entry_id: int) -> Response:
    """The editor with the entry as stored (its version goes with the form)."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    try:
        entry = entries.get(get_ukk(request), who.user, entry_id)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=strings(ui)["entry_not_found"])
    fields = {
        "topic": entry.topic,
        "question": entry.question,
        "answer": entry.answer,
        "tags": ", ".join(entry.tags),
        "shared": entry.shared,
    }
    rows = [{"id": c.chunk_id, "label": c.label, "quote": c.quote, "known": True} for c in entry.citations]
    extra = request.query_params.getlist("c")
    rows += _picked(request, [c for c in extra if c not in {r["id"] for r in rows}])
    return _editor(request, ui, state, fields=fields, rows=rows, entry=entry, error=None)


@router.post("/ukk/{entry_id:int}/muokkaa", response_class=HTMLResponse)
async def edit_entry_submit(request: Request, entry_id: int) -> Response:
    """Save the edit; 409 (with the newer version named) when another coach saved first."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    t = strings(ui)
    form = await read_form(request)
    fields, draft, picked = _submitted(form)
    rows = _picked(request, [p.chunk_id for p in picked], [p.quote or "" for p in picked])
    store = get_ukk(request)
    try:
        entry = entries.get(store, who.user, entry_id)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=t["entry_not_found"])
    if not form_csrf_ok(who, form):
        return _editor(request, ui, state, 403, fields=fields, rows=rows, entry=entry, error=t["form_expired"])
    try:
        version = int(form.get("version") or 0)
        searcher = request.app.state.searcher
        if searcher is None:
            raise UkkError("the index is not loaded yet; try again in a moment")
        made = recite(searcher, who.user, entry, picked)
        check_sharing(searcher, made, draft.shared)
        entries.update(store, who.user, entry_id, version, draft, made)
    except StaleVersion:
        current = entries.get(store, who.user, entry_id)
        # The form keeps the version it was read at: sending it again is refused again, never a blind overwrite.
        return _editor(
            request,
            ui,
            state,
            409,
            fields=fields,
            rows=rows,
            entry=entry,
            version=form.get("version"),
            error=t["conflict"].format(v=current.version),
        )
    except (UkkError, ValueError) as exc:
        return _editor(
            request, ui, state, getattr(exc, "status", 422), fields=fields, rows=rows, entry=entry, error=str(exc)
        )
    return RedirectResponse(f"/ukk/{entry_id}", status_code=303)
