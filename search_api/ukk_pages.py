"""The UKK's web pages: sign-in, the UKK by topic, one entry, the editor, the entries to check.

Plain HTML forms (no JavaScript needed); every POST carries a CSRF token — the session's, or
before signing in a double-submit cookie — checked in constant time. Pages that need a role send
an anonymous visitor to the sign-in page and answer 403 to a signed-in one without the role.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote, urlparse

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from retrieval.types import visible_to
from ukk import accounts, entries, review
from ukk.errors import AuthenticationFailed, NotFound, StaleVersion, Throttled, UkkError
from ukk.types import TOPICS, CitationInput, Entry, EntryCitation

from .auth import FORM_COOKIE, Principal, get_ukk, principal
from .deps import clean_text
from .i18n import STRINGS, pick_ui_lang
from .session_api import sign_in, sign_out
from .ukk_api import check_sharing, generation_view, make_citations, ukk_search
from .ukk_i18n import UKK_STRINGS
from .web import render

router = APIRouter(include_in_schema=False)


def _t(ui: str) -> dict[str, str]:
    return {**STRINGS[ui], **UKK_STRINGS[ui]}


def _ui(request: Request) -> tuple[str, dict[str, Any]]:
    params = request.query_params
    ui = pick_ui_lang(params.get("ui"), request.headers.get("accept-language"))
    return ui, {"ui": params.get("ui") if params.get("ui") in ("fi", "sv") else None, "q": ""}


def _local(path: str | None) -> str:
    """Only a path of this site is followed after signing in (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or urlparse(path).netloc:
        return "/"
    return path


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/kirjaudu?next={quote(target, safe='')}", status_code=303)


def _who(request: Request, role: str) -> Principal | Response:
    ui, state = _ui(request)
    who = principal(request)
    if who is None:
        return _login_redirect(request)
    if not who.user.can(role):
        message = _t(ui)["forbidden"].format(role=role)
        return render(request, "ukk_message.html", ui, status=403, state=state, message=message)
    return who


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.getlist(k) if k in ("c", "quote", "drop") else str(form.get(k) or "") for k in form.keys()}


def _csrf_ok(who: Principal, form: dict[str, Any]) -> bool:
    return accounts.csrf_ok(who.csrf or "", form.get("csrf"))


# ---- signing in ---------------------------------------------------------------------------------
def _login_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    ui, state = _ui(request)
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)
    page = render(
        request,
        "login.html",
        ui,
        status=status,
        state=state,
        error=error,
        form_csrf=token,
        next=_local(request.query_params.get("next")),
    )
    settings = request.app.state.settings
    page.set_cookie(
        FORM_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="strict", path="/kirjaudu"
    )
    return page


@router.get("/kirjaudu", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request)


@router.post("/kirjaudu", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    """Sign in; back to where the visitor was going."""
    ui, _state = _ui(request)
    t = _t(ui)
    form = await _form(request)
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), (form.get("csrf") or "").encode()):
        return _login_page(request, 403, t["form_expired"])
    target = _local(form.get("next") or request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    try:
        await run_in_threadpool(
            sign_in, request, response, get_ukk(request), form.get("username", ""), form.get("password", "")
        )
    except Throttled as exc:
        return _login_page(request, 429, t["sign_in_throttled"].format(n=exc.retry_after))
    except AuthenticationFailed:
        return _login_page(request, 401, t["sign_in_failed"])
    response.delete_cookie(FORM_COOKIE, path="/kirjaudu")
    return response


@router.post("/kirjaudu/ulos")
async def logout_submit(request: Request) -> Response:
    """Sign out (the session's CSRF token is required, so no other site can sign anyone out)."""
    who = principal(request)
    form = await _form(request)
    response = RedirectResponse("/", status_code=303)
    if who is not None and _csrf_ok(who, form):
        sign_out(request, response, get_ukk(request))
    return response


# ---- reading ------------------------------------------------------------------------------------
@router.get("/ukk", response_class=HTMLResponse)
async def ukk_home(request: Request) -> Response:
    """The UKK: topics with their counts, a search over earlier answers, the latest entries."""
    who = _who(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
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
    who = _who(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
    if topic not in TOPICS:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=_t(ui)["entry_not_found"])
    items = [e for e in entries.listing(get_ukk(request), who.user, topic=topic) if e.status in entries.READABLE]
    return render(request, "ukk_list.html", ui, state=state, title=TOPICS[topic][0 if ui == "fi" else 1], items=items)


@router.get("/ukk/tarkistettavat", response_class=HTMLResponse)
def ukk_to_review(request: Request) -> Response:
    """The institution's entries waiting for a coach's check."""
    who = _who(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
    items = [
        e
        for e in entries.listing(get_ukk(request), who.user, status="tarkistettava")
        if e.institution_id == who.user.institution_id
    ]
    t = _t(ui)
    return render(
        request, "ukk_list.html", ui, state=state, title=t["to_review"], intro=t["to_review_intro"], items=items
    )


@router.get("/ukk/{entry_id:int}", response_class=HTMLResponse)
def ukk_entry(request: Request, entry_id: int) -> Response:
    """One entry: the answer, its citations linking to the section view, the warning and why, the history."""
    who = _who(request, "lukija")
    if isinstance(who, Response):
        return who
    return _entry_page(request, who, entry_id)


def _entry_page(
    request: Request, who: Principal, entry_id: int, status: int = 200, error: str | None = None
) -> Response:
    ui, state = _ui(request)
    store = get_ukk(request)
    try:
        entry = entries.get(store, who.user, entry_id)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=_t(ui)["entry_not_found"])
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
    who = _who(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, _state = _ui(request)
    t = _t(ui)
    form = await _form(request)
    if not _csrf_ok(who, form):
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
    who = _who(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
    question = clean_text(request.query_params.get("q", ""))[: entries.MAX_QUESTION]
    fields = {"topic": "", "question": question, "answer": "", "tags": "", "shared": False}
    rows = _picked(request, request.query_params.getlist("c")[: entries.MAX_CITATIONS])
    return _editor(request, ui, state, fields=fields, rows=rows, entry=None, error=None)


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
    who = _who(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
    form = await _form(request)
    fields, draft, picked = _submitted(form)
    rows = _picked(request, [p.chunk_id for p in picked], [p.quote or "" for p in picked])
    if not _csrf_ok(who, form):
        return _editor(request, ui, state, 403, fields=fields, rows=rows, entry=None, error=_t(ui)["form_expired"])
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
            request, ui, state, getattr(exc, "status", 422), fields=fields, rows=rows, entry=None, error=str(exc)
        )
    return RedirectResponse(f"/ukk/{entry.id}", status_code=303)


@router.get("/ukk/{entry_id:int}/muokkaa", response_class=HTMLResponse)
def edit_entry_form(request: Request, entry_id: int) -> Response:
    """The editor with the entry as stored (its version goes with the form)."""
    who = _who(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
    try:
        entry = entries.get(get_ukk(request), who.user, entry_id)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=_t(ui)["entry_not_found"])
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
    who = _who(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = _ui(request)
    t = _t(ui)
    form = await _form(request)
    fields, draft, picked = _submitted(form)
    rows = _picked(request, [p.chunk_id for p in picked], [p.quote or "" for p in picked])
    store = get_ukk(request)
    try:
        entry = entries.get(store, who.user, entry_id)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=t["entry_not_found"])
    if not _csrf_ok(who, form):
        return _editor(request, ui, state, 403, fields=fields, rows=rows, entry=entry, error=t["form_expired"])
    try:
        version = int(form.get("version") or 0)
        kept = {(c.chunk_id, c.quote): c for c in entry.citations}
        searcher = request.app.state.searcher
        made: list[EntryCitation] = []
        for p in picked:
            old = kept.get((p.chunk_id, p.quote or ""))
            if old is None and searcher is None:
                raise UkkError("the index is not loaded yet; try again in a moment")
            made.append(old if old is not None else make_citations(searcher, [p], who.user)[0])
        made = [EntryCitation(**{**c.__dict__, "n": i + 1}) for i, c in enumerate(made)]
        if searcher is not None:
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
