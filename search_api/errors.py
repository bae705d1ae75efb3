"""One JSON problem shape (RFC 9457 style) for every API error, and the handlers that produce it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from embedding.errors import EmbeddingError
from index.errors import IndexError_
from retrieval.errors import RetrievalError
from ukk.errors import Throttled, UkkError

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error the API reports to the client with a status and a clear message."""

    def __init__(self, status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []


class NotReadyError(ApiError):
    """The index is not loaded (yet)."""

    def __init__(self, detail: str) -> None:
        super().__init__(503, "Service not ready", detail)


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """Build the one error body every endpoint uses."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["errors"] = errors or []
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "body", "path")]
    return ".".join(parts) or "request"


def _validation_error(error: dict[str, Any]) -> dict[str, str]:
    if error.get("type") == "json_invalid":
        # pydantic puts the byte offset where a field name goes; the field is the body itself.
        ctx = error.get("ctx") or {}
        where = error.get("loc", ())[-1:]
        reason = ctx.get("error") or error.get("msg", "")
        at = f" at character {where[0]}" if where and isinstance(where[0], int) else ""
        return {"field": "body", "message": f"invalid JSON{at}: {reason}"}
    return {"field": _field_name(error.get("loc", ())), "message": error.get("msg", "invalid value")}


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through :func:`problem`."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.errors)

    @app.exception_handler(UkkError)
    async def _ukk_error(_: Request, exc: UkkError) -> JSONResponse:
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else []
        response = problem(exc.status, exc.title, exc.detail, errors)
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_validation_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem(422, "Invalid request", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return problem(exc.status_code, title, str(exc.detail))

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        logger.error("index error: %s", exc)
        return problem(503, "Index unavailable", str(exc))

    # A damaged index, an unusable model or glossary: the service cannot answer, the request was fine.
    for error in (IndexError_, EmbeddingError, RetrievalError):
        app.add_exception_handler(error, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error")
        return problem(500, "Internal server error", "an unexpected error occurred; it has been logged")
