"""The OpenAPI document says what the server really does: the problem+json errors and the configured limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from retrieval.search import Searcher

from .deps import allowed_filter_values, served_generation
from .errors import PROBLEM_TYPE
from .schemas import Problem

if TYPE_CHECKING:
    from lahde.settings import Settings

#: A text must hold at least one character that is neither space nor a control character,
#: because the server strips those before checking that the text is not empty.
NOT_BLANK = r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _filter_values(searcher: Searcher | None) -> dict[str, dict[str, Any]]:
    """The values each filter accepts (statutes: those of the served index), as JSON-schema enums.

    The empty string means no filter (what a web form sends for "Kaikki").
    """
    allowed = allowed_filter_values(searcher)
    # An index without statutes leaves the statute filter unconstrained (an empty enum matches nothing).
    return {name: {"enum": ["", *allowed[name]]} for name in ("kind", "lang", "statute") if allowed[name]}


def _limits(settings: Settings, searcher: Searcher | None) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(path, method, parameter) → JSON-schema keywords the server enforces at run time."""
    text = {"maxLength": settings.max_query_chars, "pattern": NOT_BLANK}
    filters = _filter_values(searcher)
    return {
        ("/api/search", "get", "q"): text,
        ("/api/search", "get", "k"): {"maximum": settings.max_k},
        ("/api/search", "get", "offset"): {"maximum": settings.max_offset},
        **{("/api/search", "get", name): enum for name, enum in filters.items()},
    }


def _narrow(schema: dict[str, Any], extra: dict[str, Any]) -> None:
    # Optional parameters are anyOf [type, null]: the limit belongs on the non-null branch.
    for branch in schema.get("anyOf", []):
        if branch.get("type") not in (None, "null"):
            branch.update(extra)
            return
    schema.update(extra)


def document_limits_and_problems(app: FastAPI, settings: Settings) -> None:
    """Make app.openapi() describe the run-time limits and the one error shape of every endpoint."""

    def openapi() -> dict[str, Any]:
        # The statute filter's values come from the served index: made anew when the generation changes.
        searcher = getattr(app.state, "searcher", None)
        generation = served_generation(searcher)
        if app.openapi_schema and getattr(app.state, "openapi_generation", None) == generation:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        doc["components"]["securitySchemes"] = {
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": "lahde_session",
                "description": "Signed in on the web page; unsafe requests also need the X-CSRF-Token header.",
            },
            "apiToken": {"type": "http", "scheme": "bearer", "description": "`lahde users token NAME` (lahde_…)."},
        }
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        limits = _limits(settings, searcher)
        for path, methods in doc.get("paths", {}).items():
            for method, op in methods.items():
                for param in op.get("parameters", []):
                    extra = limits.get((path, method, param["name"]))
                    if extra:
                        _narrow(param["schema"], extra)
                has_input = bool(op.get("parameters") or op.get("requestBody"))
                responses = op.setdefault("responses", {})
                if has_input:
                    responses.setdefault("422", {"description": "Invalid request"})
                if op.get("requestBody"):
                    responses.setdefault("400", {"description": "Unreadable body (not UTF-8 JSON)"})
                    responses.setdefault(
                        "413", {"description": f"Body larger than {settings.max_body_bytes} bytes (max_body_bytes)"}
                    )
                for status, response in responses.items():
                    if status.startswith(("4", "5")):
                        response["content"] = {PROBLEM_TYPE: {"schema": _PROBLEM_REF}}
        ask = schemas.get("AskRequest", {}).get("properties", {})
        if "question" in ask:
            ask["question"].update({"maxLength": settings.max_query_chars, "pattern": NOT_BLANK})
        if "k" in ask:
            _narrow(ask["k"], {"maximum": settings.ask_max_k})
        ask_filters = schemas.get("AskFilters", {}).get("properties", {})
        for name, enum in _filter_values(searcher).items():
            if name in ask_filters:
                _narrow(ask_filters[name], enum)
        app.openapi_schema = doc
        app.state.openapi_generation = generation
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
