"""The question channel's API (/api/kysymykset): ask, check for earlier answers, the queue, claim, hand over,
answer (the asker is told by e-mail), reopen, withdraw, close, and the coaches' figures."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from retrieval.search import Searcher
from retrieval.types import Filters
from ukk import accounts, privacy, questions
from ukk.errors import NotFound
from ukk.notify import SmtpConfig, answer_message, send
from ukk.store import UkkStore
from ukk.types import TOPICS, Question, User

from .auth import get_ukk, require, role_doc
from .deps import get_searcher
from .kysymykset_schemas import (
    AnswerIn,
    CheckIn,
    CheckOut,
    HandOverIn,
    QuestionDetail,
    QuestionIn,
    QuestionOut,
    QuestionStatus,
    ReopenIn,
    StatsOut,
    VersionIn,
)
from .ukk_api import entry_out, search_of
from .ukk_schemas import Topic

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/kysymykset", tags=["kysymykset"])

QuestionId = Annotated[int, Path(ge=1, le=2**62, description="The question's id.")]
Lukija = Annotated[User, require("lukija")]
Valmentaja = Annotated[User, require("valmentaja")]
Store = Annotated[UkkStore, Depends(get_ukk)]


def check_question(app: FastAPI, searcher: Searcher, user: User, text: str) -> dict[str, Any]:
    """What already answers a question (UKK entries, passages) and the personal data in it."""
    hits = search_of(app).search(searcher, user, text, 3)
    result = searcher.search(text, 3, Filters.of(viewer=user.institution_id), collapse=True)
    return {
        "entries": [{"entry": entry_out(h.entry), "score": h.score, "cosine": h.cosine} for h in hits],
        "passages": [
            {"id": h.chunk.id, "label": h.chunk.citation.label, "link": f"/osio/{quote(h.chunk.id, safe='')}"}
            for h in result.hits
        ],
        "personal_data": [f.__dict__ for f in privacy.find(text)],
        "masked": privacy.mask(text),
    }


def notify_asker(app: FastAPI, store: UkkStore, q: Question) -> bool:
    """E-mail the asker that an answer is waiting (a link, never the text); False when it could not be sent."""
    settings = app.state.settings
    if not settings.smtp_host or q.asker is None:
        return False
    try:
        asker = accounts.get_user(store, q.asker)
    except NotFound:
        return False
    if not asker.email:
        return False
    config = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )
    link = f"{settings.public_url.rstrip('/')}/kysymykset/{q.id}"
    return send(config, answer_message(asker.email, config.sender, q.id, link, TOPICS[q.topic][0]))


def detail(store: UkkStore, user: User, q: Question) -> dict[str, Any]:
    """A question, its steps and its answer, as JSON."""
    entry = questions.answer_entry(store, user, q)
    return {
        "question": q.to_dict(),
        "events": [e.__dict__ for e in questions.events(store, user, q.id)],
        "answer": entry_out(entry) if entry is not None else None,
    }


@router.post("/tarkista", response_model=CheckOut, **role_doc("lukija", 503))
async def check(
    body: CheckIn, request: Request, user: Lukija, searcher: Annotated[Searcher, Depends(get_searcher)]
) -> dict[str, Any]:
    """'Onko tämä jo vastattu?': matching UKK entries and passages, and the personal data found (needs lukija)."""
    return await run_in_threadpool(check_question, request.app, searcher, user, body.text)


@router.post("", response_model=QuestionOut, status_code=201, **role_doc("lukija"))
def ask(body: QuestionIn, user: Lukija, store: Store) -> dict[str, Any]:
    """Send a question to the coaches of the asker's institution (needs lukija)."""
    return questions.ask(store, user, body.topic, body.text, body.mask).to_dict()


@router.get("", response_model=list[QuestionOut], **role_doc("lukija"))
def listing(
    user: Lukija,
    store: Store,
    scope: Annotated[str, Query(pattern="^(omat|jono)$", description="omat: mine; jono: the coaches' queue.")] = "omat",
    status: Annotated[QuestionStatus | None, Query()] = None,
    topic: Annotated[Topic | None, Query()] = None,
) -> list[dict[str, Any]]:
    """My questions, or (coaches) the institution's queue, oldest first, by status and topic (needs lukija)."""
    if scope == "jono":
        return [q.to_dict() for q in questions.queue(store, user, status, topic)]
    return [q.to_dict() for q in questions.mine(store, user) if (status is None or q.status == status)]


@router.get("/tilastot", response_model=StatsOut, **role_doc("valmentaja"))
def figures(user: Valmentaja, store: Store) -> dict[str, Any]:
    """Open questions per topic, median hours to a first answer, share answered from existing entries (needs valmentaja)."""
    return questions.stats(store, user.institution_id)


@router.get("/{qid}", response_model=QuestionDetail, **role_doc("lukija", 404))
def get_question(qid: QuestionId, user: Lukija, store: Store) -> dict[str, Any]:
    """A question with its steps and answer (the asker, and the coaches handling it; needs lukija)."""
    return detail(store, user, questions.get(store, user, qid))


@router.post("/{qid}/claim", response_model=QuestionOut, **role_doc("valmentaja", 404, 409))
def claim(qid: QuestionId, body: VersionIn, user: Valmentaja, store: Store) -> dict[str, Any]:
    """uusi → tyon_alla, claimed by me (needs valmentaja)."""
    return questions.claim(store, user, qid, body.version).to_dict()


@router.post("/{qid}/hand-over", response_model=QuestionOut, **role_doc("valmentaja", 404, 409))
def hand_over(qid: QuestionId, body: HandOverIn, user: Valmentaja, store: Store) -> dict[str, Any]:
    """To another coach, or to the coaches of another institution (needs valmentaja)."""
    return questions.hand_over(store, user, qid, body.version, body.to_user, body.to_institution).to_dict()


@router.post("/{qid}/answer", response_model=QuestionOut, **role_doc("valmentaja", 404, 409))
async def answer(qid: QuestionId, body: AnswerIn, request: Request, user: Valmentaja, store: Store) -> dict[str, Any]:
    """Answer with a UKK entry; the asker sees it on Omat kysymykset and is told by e-mail (needs valmentaja)."""
    q = await run_in_threadpool(questions.answer, store, user, qid, body.version, body.entry_id)
    await run_in_threadpool(notify_asker, request.app, store, q)
    return q.to_dict()


@router.post("/{qid}/reopen", response_model=QuestionOut, **role_doc("lukija", 404, 409))
def reopen(qid: QuestionId, body: ReopenIn, user: Lukija, store: Store) -> dict[str, Any]:
    """'Ei vastannut kysymykseeni': the asker opens the question again (needs lukija)."""
    return questions.reopen(store, user, qid, body.version, body.note).to_dict()


@router.post("/{qid}/withdraw", response_model=QuestionOut, **role_doc("lukija", 404, 409))
def withdraw(qid: QuestionId, body: VersionIn, user: Lukija, store: Store) -> dict[str, Any]:
    """The asker withdraws an open question (needs lukija)."""
    return questions.withdraw(store, user, qid, body.version).to_dict()


@router.post("/{qid}/close", response_model=QuestionOut, **role_doc("lukija", 404, 409))
def close(qid: QuestionId, body: VersionIn, user: Lukija, store: Store) -> dict[str, Any]:
    """An answered question is closed (the asker or a coach; needs lukija)."""
    return questions.close(store, user, qid, body.version).to_dict()
