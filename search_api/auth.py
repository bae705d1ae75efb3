"""Who is asking: a session cookie (web pages) or an API token (scripts); roles; CSRF on every unsafe request.

Statute search stays open without signing in unless ``search_requires_login`` is set; everything
of the UKK needs a signed-in user. A cookie-authenticated POST, PUT or DELETE must carry the
session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``); a token-authenticated one
needs none (no browser sends it on its own).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request

from ukk import accounts
from ukk.store import UkkStore
from ukk.types import User

from .errors import ApiError
from .schemas import Problem

if TYPE_CHECKING:
    from lahde.settings import Settings

SESSION_COOKIE = "lahde_session"
#: Before signing in there is no session: the sign-in form's CSRF token is a double-submit cookie.
FORM_COOKIE = "lahde_form"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

_open_lock = threading.Lock()


def store_of(app: FastAPI) -> UkkStore:
    """The app's UKK store, opened (and migrated) on first use."""
    store = getattr(app.state, "ukk", None)
    if store is None:
        with _open_lock:
            store = getattr(app.state, "ukk", None)
            if store is None:
                settings: Settings = app.state.settings
                store = app.state.ukk = UkkStore(settings.ukk_path())
    return store


def get_ukk(request: Request) -> UkkStore:
    """The request's app's UKK store (a dependency)."""
    return store_of(request.app)


@dataclass(frozen=True)
class Principal:
    """The signed-in user, how they signed in, and (for a session) its CSRF token."""

    user: User
    via: str  # session | token
    csrf: str | None = None


def principal(request: Request) -> Principal | None:
    """The request's user, or None; read once per request (the store is opened only when credentials are sent)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    found: Principal | None = None
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if scheme.lower() == "bearer" and token.strip().startswith(accounts.TOKEN_PREFIX):
        user = accounts.token_user(get_ukk(request), token.strip())
        if user is None:
            raise ApiError(
                401,
                "Unauthorized",
                "the API token is unknown, revoked or expired",
                [{"field": "Authorization", "message": "invalid API token"}],
            )
        found = Principal(user, "token")
    elif cookie:
        session = accounts.session_user(get_ukk(request), cookie)
        if session is not None:
            found = Principal(session[0], "session", session[1])
    request.state.principal = found
    return found


def check_csrf(request: Request, who: Principal, given: str | None) -> None:
    """403 unless an unsafe cookie-authenticated request carries the session's CSRF token."""
    if who.via != "session" or request.method not in UNSAFE:
        return
    if not accounts.csrf_ok(who.csrf or "", given or request.headers.get(CSRF_HEADER)):
        raise ApiError(
            403,
            "Forbidden",
            f"the CSRF token is missing or wrong (form field csrf or header {CSRF_HEADER})",
            [{"field": "csrf", "message": "missing or wrong"}],
        )


def require(role: str) -> Any:
    """A dependency: the signed-in user with at least this role (401 without one, 403 below it; CSRF checked)."""

    def dependency(request: Request) -> User:
        who = principal(request)
        if who is None:
            raise ApiError(
                401,
                "Unauthorized",
                "sign in (session cookie) or send an API token (Authorization: Bearer lahde_…)",
                [{"field": "Authorization", "message": "not signed in"}],
            )
        if not who.user.can(role):
            raise ApiError(403, "Forbidden", f"this needs the {role} role; you are {who.user.role}")
        check_csrf(request, who, None)
        return who.user

    dependency.__name__ = f"require_{role}"
    return Depends(dependency)


def optional_user(request: Request) -> User | None:
    """The signed-in user, or None (open pages); refuses anonymous use when search is closed to signed-in users."""
    who = principal(request)
    settings: Settings = request.app.state.settings
    if who is None and settings.search_requires_login:
        raise ApiError(401, "Unauthorized", "this service needs signing in (LAHDE_SEARCH_REQUIRES_LOGIN)")
    return who.user if who is not None else None


def viewer_of(user: User | None) -> str | None:
    """The institution whose own documents the user may see (None: only public ones)."""
    return user.institution_id if user is not None else None


def role_doc(role: str, *statuses: int) -> dict[str, Any]:
    """What a route's OpenAPI entry says about the role it needs (and the 401/403 answers, plus ``statuses``)."""
    return {
        "responses": {status: {"model": Problem} for status in (401, 403, *statuses)},
        "openapi_extra": {
            "x-required-role": role,
            "security": [{"session": []}, {"apiToken": []}],
        },
    }
