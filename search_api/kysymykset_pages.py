"""The question channel's pages: ask (after 'Onko tämä jo vastattu?'), my questions, the coaches' queue,
one question with Lähde's results beside it, and the coaches' figures. Plain forms, CSRF on every POST."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from retrieval.types import Filters
from ukk import accounts, entries, questions
from ukk.errors import NotFound, StaleVersion, UkkError
from ukk.types import TOPICS, Question

from .auth import Principal, get_ukk
from .deps import clean_text, drafter_for
from .kysymykset_api import check_question, notify_asker
from .page_helpers import form_csrf_ok, read_form, strings, ui_of, who_or_redirect
from .ukk_api import search_of
from .web import render

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _age_days(q: Question) -> int:
    return (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(q.created_at)).days


@router.get("/kysy", response_class=HTMLResponse)
def ask_form(request: Request) -> Response:
    """The question form."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    return render(request, "kysy.html", ui, state=state, topics=TOPICS, fields={"topic": "", "text": ""}, check=None)


@router.post("/kysy", response_class=HTMLResponse)
async def ask_submit(request: Request) -> Response:
    """First 'Tarkista': what already answers it and what personal data it holds; then 'Lähetä'."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    t = strings(ui)
    form = await read_form(request)
    fields = {"topic": form.get("topic", ""), "text": form.get("text", "")}
    context: dict[str, Any] = {"state": state, "topics": TOPICS, "fields": fields, "check": None}
    if not form_csrf_ok(who, form):
        return render(request, "kysy.html", ui, status=403, error=t["form_expired"], **context)
    text = clean_text(fields["text"])
    searcher = getattr(request.app.state, "searcher", None)
    if form.get("action") != "send":
        if not text:
            return render(request, "kysy.html", ui, status=422, error=t["q_text"], **context)
        if searcher is not None:
            context["check"] = await run_in_threadpool(check_question, request.app, searcher, who.user, text[:4000])
        return render(request, "kysy.html", ui, **context)
    try:
        q = questions.ask(get_ukk(request), who.user, fields["topic"], text, mask_personal=form.get("mask") == "1")
    except UkkError as exc:
        return render(request, "kysy.html", ui, status=exc.status, error=str(exc), **context)
    return RedirectResponse(f"/kysymykset/{q.id}", status_code=303)


@router.get("/kysymykset/omat", response_class=HTMLResponse)
def my_questions(request: Request) -> Response:
    """The user's own questions and where they stand."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    items = questions.mine(get_ukk(request), who.user)
    return render(
        request,
        "kysymykset_list.html",
        ui,
        state=state,
        title=strings(ui)["my_questions"],
        items=items,
        intro=None,
        age=_age_days,
        by_topic=None,
    )


@router.get("/kysymykset", response_class=HTMLResponse)
def queue(request: Request) -> Response:
    """The coaches' queue: open questions by topic, oldest first."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    items = questions.queue(get_ukk(request), who.user)
    by_topic = [(code, [q for q in items if q.topic == code]) for code in TOPICS if any(q.topic == code for q in items)]
    t = strings(ui)
    return render(
        request,
        "kysymykset_list.html",
        ui,
        state=state,
        title=t["queue"],
        items=items,
        intro=t["queue_intro"],
        age=_age_days,
        by_topic=by_topic,
    )


@router.get("/kysymykset/tilastot", response_class=HTMLResponse)
def figures_page(request: Request) -> Response:
    """The coaches' figures (also at /metrics)."""
    who = who_or_redirect(request, "valmentaja")
    if isinstance(who, Response):
        return who
    ui, state = ui_of(request)
    return render(
        request,
        "kysymykset_stats.html",
        ui,
        state=state,
        figures=questions.stats(get_ukk(request), who.user.institution_id),
    )


def _question_page(request: Request, who: Principal, qid: int, status: int = 200, error: str | None = None) -> Response:
    ui, state = ui_of(request)
    store = get_ukk(request)
    try:
        q = questions.get(store, who.user, qid)
    except NotFound:
        return render(request, "ukk_message.html", ui, status=404, state=state, message=strings(ui)["q_not_found"])
    coach = who.user.can("valmentaja") and who.user.institution_id in (q.institution_id, q.asker_institution)
    context: dict[str, Any] = {
        "q": q,
        "answer": questions.answer_entry(store, who.user, q),
        "events": questions.events(store, who.user, qid),
        "asker": q.asker == who.user.username,
        "coach": coach,
        "draft": None,
        "earlier": [],
        "passages": [],
        "coaches": [],
        "institutions": [],
        "ask": None,
    }
    draft_id = request.query_params.get("vastaus", "")
    if coach and draft_id.isdigit():
        try:
            context["draft"] = entries.get(store, who.user, int(draft_id))
        except NotFound:
            pass
    searcher = getattr(request.app.state, "searcher", None)
    if coach and q.status in ("uusi", "tyon_alla") and searcher is not None and q.text:
        context["earlier"] = [h.entry for h in search_of(request.app).search(searcher, who.user, q.text, 3)]
        filters = Filters.of(viewer=who.user.institution_id)
        result = searcher.search(q.text, 5, filters, collapse=True)
        try:  # Lähde's own answer draft beside the passages; a failed draft must not hide them
            draft = drafter_for(request.app, searcher).ask(
                q.text[: request.app.state.settings.max_query_chars], 5, filters
            )
            context["ask"] = {
                "sentences": draft.sentences,
                "abstained": not draft.answered,
                "sources": [
                    {"n": i + 1, "id": h.chunk.id, "label": h.chunk.citation.label} for i, h in enumerate(draft.sources)
                ],
            }
        except Exception:  # noqa: BLE001
            logger.exception("answer draft for a question failed")
        context["passages"] = [
            {"id": h.chunk.id, "label": h.chunk.citation.label, "text": h.chunk.text} for h in result.hits
        ]
        context["coaches"] = [
            u.username
            for u in accounts.list_users(store)
            if u.can("valmentaja")
            and u.institution_id == who.user.institution_id
            and not u.disabled
            and u.id != who.user.id
        ]
        context["institutions"] = [i for i in store.institutions() if i[0] != q.institution_id]
    return render(request, "kysymys.html", ui, status=status, state=state, error=error, **context)


@router.get("/kysymykset/{qid:int}", response_class=HTMLResponse)
def question_page(request: Request, qid: int) -> Response:
    """One question: for the asker its answer; for the coaches Lähde's results beside it and the actions."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    return _question_page(request, who, qid)


@router.post("/kysymykset/{qid:int}/toiminto", response_class=HTMLResponse)
async def question_action(request: Request, qid: int) -> Response:
    """claim, hand_over, answer, publish (the answer's entry to the UKK), reopen, withdraw, close."""
    who = who_or_redirect(request, "lukija")
    if isinstance(who, Response):
        return who
    ui, _state = ui_of(request)
    t = strings(ui)
    form = await read_form(request)
    if not form_csrf_ok(who, form):
        return _question_page(request, who, qid, 403, t["form_expired"])
    store, user, action = get_ukk(request), who.user, form.get("action")
    try:
        version = int(form.get("version") or 0)
        if action == "claim":
            questions.claim(store, user, qid, version)
        elif action == "hand_over":
            target = form.get("to", "")
            kind, _, name = target.partition(":")
            questions.hand_over(
                store, user, qid, version, name if kind == "user" else None, name if kind == "inst" else None
            )
        elif action == "answer":
            q = questions.answer(store, user, qid, version, int(form.get("entry_id") or 0))
            await run_in_threadpool(notify_asker, request.app, store, q)
        elif action == "publish":
            q = questions.get(store, user, qid)
            entry = entries.get(store, user, q.entry_id or 0)
            entries.publish(store, user, entry.id, entry.version)
        elif action == "reopen":
            questions.reopen(store, user, qid, version, form.get("note", "")[:1000])
        elif action == "withdraw":
            questions.withdraw(store, user, qid, version)
        elif action == "close":
            questions.close(store, user, qid, version)
        else:
            return _question_page(request, who, qid, 422, f"action: {action!r}")
    except StaleVersion as exc:
        return _question_page(request, who, qid, 409, str(exc))
    except (UkkError, ValueError) as exc:
        return _question_page(request, who, qid, getattr(exc, "status", 422), str(exc))
    return RedirectResponse(f"/kysymykset/{qid}", status_code=303)
