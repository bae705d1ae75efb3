"""Signing in and out on the web pages (/kirjaudu): a plain form, a double-submit CSRF cookie, throttling."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from ukk.errors import AuthenticationFailed, Throttled

from .auth import FORM_COOKIE, get_ukk, principal
from .page_helpers import form_csrf_ok, local_path, read_form, strings, ui_of
from .session_api import sign_in, sign_out
from .web import render

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    ui, state = ui_of(request)
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)
    page = render(
        request,
        "login.html",
        ui,
        status=status,
        state=state,
        error=error,
        form_csrf=token,
        next=local_path(request.query_params.get("next")),
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
    ui, _state = ui_of(request)
    t = strings(ui)
    form = await read_form(request)
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), (form.get("csrf") or "").encode()):
        return _login_page(request, 403, t["form_expired"])
    target = local_path(form.get("next") or request.query_params.get("next"))
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
    form = await read_form(request)
    response = RedirectResponse("/", status_code=303)
    if who is not None and form_csrf_ok(who, form):
        sign_out(request, response, get_ukk(request))
    return response
