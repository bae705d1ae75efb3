"""What every signed-in page shares: the UI language and strings, who is asking (or the sign-in page), forms, CSRF."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from fastapi import Request, Response

from ukk import accounts

from .auth import Principal, principal
from .i18n import pick_ui_lang
from .web import login_redirect, render
from .web import page_strings as strings


def ui_of(request: Request) -> tuple[str, dict[str, Any]]:
    """The UI language and the state every page's links keep."""
    params = request.query_params
    ui = pick_ui_lang(params.get("ui"), request.headers.get("accept-language"))
    return ui, {"ui": params.get("ui") if params.get("ui") in ("fi", "sv") else None, "q": ""}


def local_path(path: str | None) -> str:
    """Only a path of this site is followed after signing in (no open redirect)."""
    # Browsers read a backslash as a slash ("/\\evil.example" is "//evil.example").
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or urlparse(path).netloc:
        return "/"
    if any(ord(ch) < 32 for ch in path):
        return "/"
    return path


def who_or_redirect(request: Request, role: str) -> Principal | Response:
    """The signed-in user with the role; else the sign-in page (anonymous) or a 403 page."""
    ui, state = ui_of(request)
    who = principal(request)
    if who is None:
        return login_redirect(request)
    if not who.user.can(role):
        message = strings(ui)["forbidden"].format(role=role)
        return render(request, "ukk_message.html", ui, status=403, state=state, message=message)
    return who


async def read_form(request: Request) -> dict[str, Any]:
    """A posted form: lists for the repeated fields, strings for the rest."""
    form = await request.form()
    return {k: form.getlist(k) if k in ("c", "quote", "drop") else str(form.get(k) or "") for k in form.keys()}


def form_csrf_ok(who: Principal, form: dict[str, Any]) -> bool:
    """The form carries the session's CSRF token."""
    return accounts.csrf_ok(who.csrf or "", form.get("csrf"))
