"""Signing in and out (/api/session): a session cookie (Secure, HttpOnly, SameSite=Strict) and its CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ukk import accounts
from ukk.store import UkkStore
from ukk.types import User

from .auth import SESSION_COOKIE, get_ukk, principal, require, role_doc
from .schemas import Problem

router = APIRouter(prefix="/api/session", tags=["session"])


class LoginIn(BaseModel):
    """User name and password."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, description="Käyttäjätunnus.")
    password: str = Field(min_length=1, max_length=1024, description="Salasana.")


class SessionOut(BaseModel):
    """Who is signed in, and the CSRF token unsafe requests with the cookie must carry (header X-CSRF-Token)."""

    username: str
    name: str
    role: str
    institution_id: str
    csrf: str | None = None
    expires_at: str | None = None


def sign_in(request: Request, response: Response, store: UkkStore, username: str, password: str) -> accounts.Session:
    """Check the password (throttled) and set the session cookie on the response."""
    settings = request.app.state.settings
    throttle = accounts.Throttle(per_user=settings.login_max_failures, window=settings.login_window)
    address = request.client.host if request.client else ""
    user = accounts.authenticate(store, username, password, address, throttle)
    session = accounts.start_session(store, user, settings.session_hours)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )
    return session


def sign_out(request: Request, response: Response, store: UkkStore) -> None:
    """End the request's session and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(store, token)
    response.delete_cookie(SESSION_COOKIE, path="/")


def _out(user: User, csrf: str | None, expires: str | None = None) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "institution_id": user.institution_id,
        "csrf": csrf,
        "expires_at": expires,
    }


@router.post("", response_model=SessionOut, responses={401: {"model": Problem}, 429: {"model": Problem}})
async def login(
    body: LoginIn, request: Request, response: Response, store: Annotated[UkkStore, Depends(get_ukk)]
) -> dict[str, Any]:
    """Sign in: sets the session cookie; too many failures answer 429 with Retry-After."""
    session = await run_in_threadpool(sign_in, request, response, store, body.username, body.password)
    return _out(session.user, session.csrf, session.expires_at)


@router.get("", response_model=SessionOut, **role_doc("lukija"))
def whoami(request: Request, user: Annotated[User, require("lukija")]) -> dict[str, Any]:
    """The signed-in user (and the session's CSRF token) (needs lukija)."""
    who = principal(request)
    return _out(user, who.csrf if who else None)


@router.delete("", status_code=204, **role_doc("lukija"))
def logout(
    request: Request,
    response: Response,
    _user: Annotated[User, require("lukija")],
    store: Annotated[UkkStore, Depends(get_ukk)],
) -> Response:
    """Sign out (needs lukija; with the cookie, the CSRF header too)."""
    sign_out(request, response, store)
    response.status_code = 204
    return response
