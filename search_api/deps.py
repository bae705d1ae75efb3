"""What every endpoint depends on: the settings, the wiring, the searcher and drafter, one query cleaner, one limit check.

``lahde`` (the layer above) hands the app its ``Settings`` and a ``Services`` object — how to
load an index, make an embedder, run a re-index — so this package never imports the wiring.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Protocol

from fastapi import Depends, FastAPI, Request

from embedding.cache import EmbeddingCache
from embedding.types import Embedder
from index.generations import ReindexLock
from ingest.manifest import KINDS, LANGS
from retrieval.answer import AnswerDrafter, calibrated_min_score
from retrieval.search import Searcher
from retrieval.sections import corpus_view
from retrieval.types import Filters

from .errors import ApiError, NotReadyError

if TYPE_CHECKING:  # the type only: lahde sits above this package and passes the object in
    from lahde.settings import Settings

logger = logging.getLogger(__name__)

# C0 and C1 control characters (NEL \x85 included) become spaces; zero-width characters and the BOM
# go. The schema pattern NOT_BLANK (openapi.py) agrees.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INVISIBLE_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
#: Source kinds and languages a filter may name (the sources manifest's own lists).
FILTER_KINDS = (*KINDS[:2], "peruste", *KINDS[2:])  # perusteet (kind peruste) come from [[peruste]]
FILTER_LANGS = LANGS

Progress = Callable[[str, int, int], None]


class Services(Protocol):
    """How the app reaches the stages below it; ``lahde.service.Wiring`` is the real one."""

    def open_searcher(self, settings: Settings) -> Searcher:
        """Load the index the settings name, with a new embedder."""
        ...

    def load_searcher(self, index_dir: Path, embedder: Embedder, settings: Settings) -> Searcher:
        """Load one generation directory with an embedder already made (hot reload)."""
        ...

    def make_embedder(self, settings: Settings) -> Embedder:
        """Make the embedder the settings name."""
        ...

    def embedding_cache_path(self, settings: Settings) -> Path:
        """Where the embedding cache lives."""
        ...

    def reindex(
        self, settings: Settings, embedder: Embedder | None, *, full: bool, progress: Progress, lock: ReindexLock
    ) -> dict[str, Any]:
        """Run the shared re-index and summarise it (generation, switched, seconds, documents, failed, changes)."""
        ...


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_services(request: Request) -> Services:
    """The wiring the app was created with."""
    services = request.app.state.services
    if services is None:
        raise NotReadyError("this app was created without services (no index can be loaded)")
    return services


def get_searcher(request: Request) -> Searcher:
    """The searcher being served; 503 until it is loaded."""
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        reason = getattr(request.app.state, "load_error", None) or "the index is still loading"
        raise NotReadyError(str(reason))
    return searcher


def served_generation(searcher: Searcher | None) -> str | None:
    """The generation being served (``gen-000007``), None when nothing is loaded."""
    return searcher.generation if searcher is not None else None


_DRAFTERS: "weakref.WeakKeyDictionary[Searcher, AnswerDrafter]" = weakref.WeakKeyDictionary()
_DRAFTERS_LOCK = threading.Lock()


def drafter_for(app: FastAPI, searcher: Searcher) -> AnswerDrafter:
    """One drafter per loaded searcher, so sentence vectors are reused until the index changes."""
    settings: Settings = app.state.settings
    with _DRAFTERS_LOCK:
        drafter = _DRAFTERS.get(searcher)
        if drafter is None:
            drafter = _DRAFTERS[searcher] = AnswerDrafter(
                searcher,
                min_score=settings.ask_min_score
                if settings.ask_min_score is not None
                else calibrated_min_score(searcher),
                signal=settings.ask_signal,
                max_sentences=settings.ask_max_sentences,
                cache=_open_cache(app),
            )
            if settings.ask_warm:
                threading.Thread(
                    target=drafter.warm, args=(searcher.index.chunks,), name="lahde-ask-warm", daemon=True
                ).start()
        return drafter


def _open_cache(app: FastAPI) -> EmbeddingCache | None:
    services: Services | None = app.state.services
    if services is None:
        return None
    try:
        return EmbeddingCache(services.embedding_cache_path(app.state.settings))
    except Exception as exc:  # noqa: BLE001 - the cache only saves time; drafting works without it
        logger.warning("sentence vectors will not be cached on disk: %s", exc)
        return None


def get_drafter(request: Request, searcher: Annotated[Searcher, Depends(get_searcher)]) -> AnswerDrafter:
    """The answer drafter of the searcher being served."""
    return drafter_for(request.app, searcher)


def clean_text(q: str) -> str:
    """The one cleaning rule for query text (API and pages): control characters become spaces, ends are trimmed."""
    return _CONTROL_RE.sub(" ", _INVISIBLE_RE.sub("", q)).strip()


def clean_query(q: str, settings: Settings, field: str = "q") -> str:
    """:func:`clean_text`, then refuse an empty or over-long text (422 naming the field)."""
    query = clean_text(q)
    if not query:
        raise ApiError(
            422, "Invalid request", f"{field} (kysymys) must not be empty", [{"field": field, "message": "empty"}]
        )
    if len(query) > settings.max_query_chars:
        raise ApiError(
            422,
            "Invalid request",
            f"{field} (kysymys) is {len(query)} characters; at most {settings.max_query_chars} are allowed",
            [{"field": field, "message": f"longer than {settings.max_query_chars} characters"}],
        )
    return query


#: A date parameter: YYYY-MM-DD only (pydantic's date would also take a number as a Unix time).
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def valid_iso_date(value: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD (the pages' check; the API's adds ASCII digits)."""
    if not _ISO_DATE_RE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def iso_date(value: str | None, field: str = "date") -> str | None:
    """A real calendar date written YYYY-MM-DD, or None; 422 naming the field otherwise."""
    if value is not None and not (re.fullmatch(ISO_DATE_PATTERN, value) and valid_iso_date(value)):
        _bad_date(field, value)
    return value


def _bad_date(field: str, value: str) -> NoReturn:
    raise ApiError(
        422,
        "Invalid request",
        f"{field} (päivämäärä) must be a date written YYYY-MM-DD, not {value[:40]!r}",
        [{"field": field, "message": "not a YYYY-MM-DD date"}],
    )


def check_limit(field: str, value: int, limit: int) -> None:
    """422 naming the field when a number is over its configured limit."""
    if value > limit:
        raise ApiError(
            422,
            "Invalid request",
            f"{field} must be at most {limit}",
            [{"field": field, "message": f"greater than {limit}"}],
        )


def allowed_filter_values(searcher: Searcher | None) -> dict[str, list[str]]:
    """The values each filter may take: the source kinds, the languages, and the served index's statutes and guides.

    The one list the API's check, its OpenAPI enums and the web page's check share.
    """
    sources = [value for value, _titles in corpus_view(searcher.index).sources()] if searcher is not None else []
    return {
        "kind": list(FILTER_KINDS),
        "lang": list(FILTER_LANGS),
        "statute": [s for s in sources if "/" in s],  # statute numbers hold a slash, document ids never
        "doc": [s for s in sources if "/" not in s],
    }


def filter_problems(filters: Filters | None, searcher: Searcher) -> list[tuple[str, str, list[str]]]:
    """(field, value, allowed values) for each filter value the index cannot match."""
    if filters is None:
        return []
    allowed = allowed_filter_values(searcher)
    given = {"kind": filters.kind, "lang": filters.lang, "statute": filters.statute, "doc": filters.doc}
    return [
        (field, value, allowed[field])
        for field, value in given.items()
        if value is not None and value not in allowed[field]
    ]


def check_filters(filters: Filters | None, searcher: Searcher, prefix: str = "") -> None:
    """422 naming the field and the allowed values when a filter names a kind, language or statute the index lacks."""
    problems = filter_problems(filters, searcher)
    if not problems:
        return
    details = [f"{prefix}{field} {value!r} is not one of: {_listing(allowed)}" for field, value, allowed in problems]
    raise ApiError(
        422,
        "Invalid request",
        "; ".join(details),
        [{"field": f"{prefix}{field}", "message": f"unknown value {value!r}"} for field, value, _a in problems],
    )


def _listing(values: list[str], limit: int = 30) -> str:
    shown = ", ".join(values[:limit])
    return (
        shown + (f", … ({len(values)} in all; GET /api/documents lists them)" if len(values) > limit else "")
        if values
        else "(none in this index)"
    )
