"""POST /api/ask: an extractive answer draft, every sentence quoted and cited, or an abstention."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from retrieval.answer import AnswerDrafter
from retrieval.types import Filters
from ukk.types import User

from .adapters import answer_out
from .auth import optional_user, viewer_of
from .deps import check_filters, check_limit, clean_query, get_drafter, get_settings
from .schemas import AskRequest, AskResponse, Problem

logger = logging.getLogger(__name__)

router = APIRouter()


@router.post("/api/ask", response_model=AskResponse, responses={422: {"model": Problem}, 503: {"model": Problem}})
async def api_ask(
    body: AskRequest,
    settings: Annotated[Any, Depends(get_settings)],
    drafter: Annotated[AnswerDrafter, Depends(get_drafter)],
    viewer: Annotated[User | None, Depends(optional_user)],
) -> AskResponse:
    """Draft an answer from verbatim sentences of the best passages, each cited [n]; abstain when evidence is weak."""
    question = clean_query(body.question, settings, field="question")
    k = body.k or settings.ask_default_k
    check_limit("k", k, settings.ask_max_k)
    f = body.filters
    filters = Filters.of(
        f.kind if f else None, f.lang if f else None, f.statute if f else None, viewer=viewer_of(viewer)
    )
    check_filters(filters, drafter.searcher, prefix="filters.")
    answer = await run_in_threadpool(drafter.ask, question, k, filters)
    extra = f" q={question!r}" if settings.log_queries else ""
    logger.info(
        "ask k=%d answered=%s sources=%d took=%.1fms%s", k, answer.answered, len(answer.sources), answer.took_ms, extra
    )
    return answer_out(answer)
