"""The web pages: a server-rendered search form at ``/`` and a section view at ``/osio/{id}``.

The pages call retrieval directly (the searcher in ``app.state``) and show its types, so the
plain GET form works without JavaScript; the small self-hosted script only adds instant copy and
keyboard shortcuts. Queries are cleaned by the same rule as the API's (``deps.clean_text``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from retrieval.highlight import marked_paragraphs
from retrieval.in_force import in_force
from retrieval.sections import amendment_notes, corpus_view
from retrieval.types import Filters, Hit, marked_words, visible_to
from ukk.entries import MARK
from ukk.types import TOPICS, User

from .auth import Principal, principal, viewer_of
from .deps import FILTER_KINDS, FILTER_LANGS, allowed_filter_values, clean_text, drafter_for, valid_iso_date
from .errors import ApiError
from .i18n import EXAMPLES, STRINGS, pick_ui_lang
from .kysymykset_i18n import Q_STRINGS
from .peruste_page import peruste_parts
from .ukk_api import ukk_search
from .ukk_i18n import UKK_STRINGS
from .wording_page import in_force_context, wording_line

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
PER_PAGE = 10
# The filters the page offers: the API's own lists (the sources manifest's kinds and languages).
KINDS = FILTER_KINDS
LANGS = FILTER_LANGS
# Everything comes from this app: no CDN, no inline script, no third-party request.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_env: Environment | None = None


def _environment() -> Environment:
    """The Jinja environment, made on first use (no work at import time); autoescape is always on."""
    global _env
    if _env is None:
        _env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _env.filters["nb"] = _no_break
        _env.filters["cite_marks"] = _cite_marks
    return _env


def _no_break(label: str) -> str:
    """Keep '71 §' and '2 mom.' on one line when a citation wraps (display only; copies keep plain spaces)."""
    return label.replace(" §", "\u00a0§").replace(" mom.", "\u00a0mom.")


def _cite_marks(text: str) -> list[tuple[str, int | None]]:
    """An answer's text as (text, None) and ([n], n) pieces, so each mark can link to its source."""
    pieces: list[tuple[str, int | None]] = []
    last = 0
    for m in MARK.finditer(text):
        pieces += [(text[last : m.start()], None), (m.group(0), int(m.group(1)))]
        last = m.end()
    return [*pieces, (text[last:], None)]


def _url(path: str, **params: Any) -> str:
    """A link with only the non-empty parameters."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", 0, False)})
    return f"{path}?{query}" if query else path


def page_strings(ui: str) -> dict[str, str]:
    """Every page string in the UI language: search, UKK and the question channel."""
    return {**STRINGS[ui], **UKK_STRINGS[ui], **Q_STRINGS[ui]}


def _principal(request: Request) -> Principal | None:
    try:
        return principal(request)
    except ApiError:  # an invalid API token on a page: the page is shown as to anyone
        return None


def render(request: Request, template: str, ui: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the UI language, with the signed-in user (and the session's CSRF token) for the header's forms."""
    t = page_strings(ui)
    who = _principal(request)
    context.setdefault("state", {})
    switch = {k: v for k, v in request.query_params.items() if k != "ui"}
    switch["ui"] = "sv" if ui == "fi" else "fi"
    html = (
        _environment()
        .get_template(template)
        .render(
            # A namespace, not the dict: Jinja's t.copy would otherwise find dict.copy before the string.
            t=SimpleNamespace(**t),
            ui=ui,
            url=_url,
            ui_switch_url=_url(request.url.path, **switch),
            kind_label=lambda kind: t.get(f"kind_{kind}", kind),
            # The chapter belongs to the document, so it is named in the document's language.
            chapter_word=lambda lang: STRINGS.get(lang, t)["chapter"],
            topic_name=lambda code: TOPICS.get(code, (code, code))[0 if ui == "fi" else 1],
            user=who.user if who is not None else None,
            csrf=who.csrf if who is not None else None,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def login_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/kirjaudu?next={quote(target, safe='')}", status_code=303)


def _closed(request: Request, user: User | None) -> Response | None:
    """With search closed to signed-in users (LAHDE_SEARCH_REQUIRES_LOGIN), the sign-in page for anyone else."""
    if user is not None or not request.app.state.settings.search_requires_login:
        return None
    return login_redirect(request)


def _visible_sources(searcher: Any, user: User | None) -> list[tuple[str, dict[str, str]]]:
    """The statutes and guides of the filter list, without other institutions' own documents."""
    if searcher is None:
        return []
    corpus = corpus_view(searcher.index)
    own = viewer_of(user)
    hidden = {d.id for d in corpus.documents() if d.institution not in (None, own)}
    return [(value, titles) for value, titles in corpus.sources() if value not in hidden]


def _user_of(request: Request) -> User | None:
    who = _principal(request)
    return who.user if who is not None else None


def _card(hit: Hit, query: str, ui: str, number: int | None = None) -> dict[str, Any]:
    """What one result shows: citation title, kind badge, highlighted passage, amendment notes, links."""
    c = hit.chunk.citation
    return {
        "id": hit.chunk.id,
        "number": number,
        "label": c.label,
        "kind": c.kind,
        "lang": c.lang,
        "doc_title": c.doc_title,
        "chapter": c.chapter,
        "chapter_heading": c.chapter_heading,
        "section_heading": c.section_heading,
        "heading_path": list(c.heading_path),
        "page": c.page,
        "url": c.url,
        "text": hit.chunk.text,
        "paragraphs": marked_paragraphs(hit.chunk.text, query),
        "amendments": [note.note for note in amendment_notes(c, ui)],
        "versions": [{"id": v.chunk_id, "text": v.note(ui)} for v in hit.versions],
        "wording": wording_line(c, ui),
    }


def _excerpt(card: dict[str, Any], limit: int = 3) -> dict[str, Any]:
    """Keep the paragraphs (momentit) with matched words, or the first ones; the section view shows all."""
    paragraphs = card["paragraphs"]
    matched = [p for p in paragraphs if any(hit for _, hit in p)]
    shown = (matched or paragraphs)[:limit] if len(paragraphs) > limit else paragraphs
    return {**card, "paragraphs": shown, "truncated": len(shown) < len(paragraphs)}


def _active_filters(
    state: dict[str, Any], statutes: list[tuple[str, dict[str, str]]], ui: str
) -> list[tuple[str, str]]:
    """The set filters as (name, value) for the no-results message, in the UI language."""
    t = STRINGS[ui]
    active: list[tuple[str, str]] = []
    if state["kind"]:
        active.append((t["kind"], t.get(f"kind_{state['kind']}", state["kind"])))
    if state["statute"]:
        titles = dict(statutes).get(state["statute"], {})
        active.append((t["statute"], titles.get(ui) or next(iter(titles.values()), state["statute"])))
    if state["lang"]:
        active.append((t["lang"], t[f"lang_{state['lang']}"]))
    return active


def _choice(value: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request) -> Response:
    """The search page: empty state, results, no-results and error states, and the ask mode."""
    params = request.query_params
    ui = pick_ui_lang(params.get("ui"), request.headers.get("accept-language"))
    t = STRINGS[ui]
    searcher = getattr(request.app.state, "searcher", None)
    user = _user_of(request)
    closed = _closed(request, user)
    if closed is not None:
        return closed
    raw_q = clean_text(params.get("q", ""))
    mode = "ask" if params.get("mode") == "ask" else "search"
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    statutes = _visible_sources(searcher, user)
    asked = {name: params.get(name) or None for name in ("kind", "lang", "statute")}
    # The page's "statute" choice is a statute or a guide: both lists the API checks against.
    values = allowed_filter_values(searcher)
    allowed = {"kind": values["kind"], "lang": values["lang"], "statute": values["statute"] + values["doc"]}
    unknown = [(name, value) for name, value in asked.items() if value is not None and value not in allowed[name]]
    state = {
        "q": raw_q,
        "mode": mode,
        "kind": _choice(params.get("kind"), KINDS),
        "lang": _choice(params.get("lang"), LANGS),
        "statute": _choice(params.get("statute"), allowed["statute"]),
        "date": params.get("date") if valid_iso_date(params.get("date") or "") else None,
        "ui": params.get("ui") if params.get("ui") in ("fi", "sv") else None,
    }
    context: dict[str, Any] = {
        "state": state,
        "kinds": KINDS,
        "langs": LANGS,
        "statutes": statutes,
        "examples": EXAMPLES[ui],
        "cards": [],
        "error": None,
        "ask": None,
        "ask_unavailable": False,
        "page": page,
        "has_next": False,
        "filtered": any(state[k] for k in ("kind", "lang", "statute", "date")),
        "active_filters": _active_filters(state, statutes, ui),
        "earlier": [],
        "pickable": False,
    }
    if params.get("date") and state["date"] is None:
        message = t["in_force_bad_date"].format(value=(params.get("date") or "")[:40])
        return render(request, "search.html", ui, status=422, **{**context, "error": message})
    if unknown and searcher is not None:
        name, value = unknown[0]
        message = t["error_filter"].format(field=t[name], value=value, allowed=", ".join(allowed[name][:30]))
        return render(request, "search.html", ui, status=422, **{**context, "error": message})
    if not raw_q:
        return render(request, "search.html", ui, **context)
    if searcher is None:
        return render(request, "search.html", ui, status=503, **{**context, "error": t["error_not_ready"]})
    settings = request.app.state.settings
    if len(raw_q) > settings.max_query_chars:
        message = t["error_too_long"].format(n=len(raw_q), max=settings.max_query_chars)
        return render(request, "search.html", ui, status=422, **{**context, "error": message})
    offset = (page - 1) * PER_PAGE
    if offset > settings.max_offset:
        return render(request, "search.html", ui, status=422, **{**context, "error": t["error_page"]})
    filters = Filters.for_source(
        state["kind"], state["lang"], state["statute"], on=state["date"], viewer=viewer_of(user)
    )
    try:
        if mode == "ask":
            try:
                drafter = drafter_for(request.app, searcher)
                answer = await run_in_threadpool(drafter.ask, raw_q, settings.ask_default_k, filters)
                context["ask"] = {
                    "sentences": answer.sentences,
                    "abstained": not answer.answered,
                    "message": answer.message or "",
                    "sources": [_excerpt(_card(h, raw_q, ui, i + 1)) for i, h in enumerate(answer.sources)],
                }
            except Exception:  # noqa: BLE001 - a failed draft must not hide the search results
                logger.exception("answer draft failed")
                context["ask_unavailable"] = t["ask_failed"]
        result = await run_in_threadpool(lambda: searcher.search(raw_q, PER_PAGE + 1, filters, offset, collapse=True))
    except Exception:  # noqa: BLE001 - the page says what to try; the details go to the log
        logger.exception("web search failed")
        return render(request, "search.html", ui, status=500, **{**context, "error": t["error_unexpected"]})
    hits = result.hits[:PER_PAGE]
    scope = searcher.in_scope(filters)
    if user is not None and page == 1:
        try:
            found = await run_in_threadpool(ukk_search(request).search, searcher, user, raw_q, 3)
            context["earlier"] = [h.entry for h in found]
        except Exception:  # noqa: BLE001 - earlier answers are a help; the passages must still show
            logger.exception("UKK search failed")
    context["pickable"] = user is not None and user.can("valmentaja")
    context.update(
        cards=[_excerpt(_card(h, result.highlight_query, ui)) for h in hits],
        has_next=len(result.hits) > PER_PAGE,
        expansions=[(e.key, e.expansion) for e in result.expansions],
        count_text=t["results_count"].format(first=offset + 1, last=offset + len(hits), scope=scope) if hits else "",
    )
    return render(request, "search.html", ui, **context)


@router.get("/osio/{chunk_id}", response_class=HTMLResponse)
async def section_page(request: Request, chunk_id: str) -> Response:
    """A whole section: its chapter, neighbours, amendment history, counterpart and original source."""
    params = request.query_params
    ui = pick_ui_lang(params.get("ui"), request.headers.get("accept-language"))
    t = STRINGS[ui]
    searcher = getattr(request.app.state, "searcher", None)
    user = _user_of(request)
    closed = _closed(request, user)
    if closed is not None:
        return closed
    keep = {"ui": params.get("ui") if params.get("ui") in ("fi", "sv") else None, "q": clean_text(params.get("q", ""))}
    limit = request.app.state.settings.max_query_chars
    if len(keep["q"] or "") > limit:
        # Not marked, and not repeated in every link of the page.
        message = t["error_too_long"].format(n=len(keep["q"] or ""), max=limit)
        return render(request, "section.html", ui, status=422, section=None, state={**keep, "q": ""}, error=message)
    if searcher is None:
        return render(request, "section.html", ui, status=503, section=None, state=keep, error=t["error_not_ready"])
    corpus = corpus_view(searcher.index)
    view = corpus.section(chunk_id)
    if view is None or not visible_to(view.first.citation, viewer_of(user)):
        return render(request, "section.html", ui, status=404, section=None, state=keep, error=None)
    asked = params.get("date") or corpus.wording_date(chunk_id)
    if asked is not None and not valid_iso_date(asked):
        message = t["in_force_bad_date"].format(value=asked[:40])
        return render(request, "section.html", ui, status=422, section=None, state=keep, error=message)
    info = in_force(searcher.index, view, asked)
    card = _card(Hit(chunk=view.first, score=0.0, rank=1), keep["q"] or "", ui)
    text = view.text
    if info.wording is not None and not info.wording.repealed_by:
        text = "\n\n".join(info.wording.texts(view.lang))
    card["text"] = text
    card["label"] = info.label or view.label
    # Mark what the search marked: the query's words and the glossary terms it was expanded with.
    marked = marked_words(keep["q"], searcher.prepare(keep["q"], embed=False).expansions) if keep["q"] else ""
    card["paragraphs"] = marked_paragraphs(text, marked)
    # The history is worded in the page's language; each act is listed once over all momentit.
    history = list(dict.fromkeys(note.note for member in view.chunks for note in amendment_notes(member.citation, ui)))
    c = view.first.citation
    # A whole statute section's paragraphs are its momentit, so each can be cited as "44 § 2 mom.".
    count = getattr(c, "momentti_count", None)
    whole = c.section is not None and c.kind in ("laki", "asetus") and count in (None, len(card["paragraphs"]))
    momentti_labels = [f"{view.label} {n} mom." for n in range(1, len(card["paragraphs"]) + 1)] if whole else []
    if info.momentti_labels and len(info.momentti_labels) == len(card["paragraphs"]):
        momentti_labels = list(info.momentti_labels)
    if len(momentti_labels) == 1:
        momentti_labels = []
    return render(
        request,
        "section.html",
        ui,
        section=view,
        card=card,
        state=keep,
        error=None,
        momentti_labels=momentti_labels,
        history=history,
        counterpart=view.other_languages[0] if view.other_languages else None,
        wording=in_force_context(info, c.statute or "", ui, view.lang),
        # A peruste's unit: its parts, each paragraph cited down to the arvioinnin kohde and grade.
        parts=peruste_parts(view, marked) if c.kind == "peruste" else [],
        date_value=asked or info.date,
    )


def mount_static(app: FastAPI) -> None:
    """Serve the pages' own CSS and script (no CDN)."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
