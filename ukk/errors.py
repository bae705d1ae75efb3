"""Typed errors of the UKK store; search_api turns them into the one problem shape, the CLI into one line."""

from __future__ import annotations


class UkkError(Exception):
    """Base class of every UKK error."""

    status = 400
    title = "Invalid request"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(UkkError):
    """A field of a request or an import has a value the store refuses (names the field)."""

    status = 422


class NotFound(UkkError):
    """No such entry, user or institution — or one the user may not see (never says which)."""

    status = 404
    title = "Not found"


class StaleVersion(UkkError):
    """An edit was made against an older version of the entry than the one stored."""

    status = 409
    title = "Conflict"


class NotAllowed(UkkError):
    """The user is signed in but their role or institution does not allow this."""

    status = 403
    title = "Forbidden"


class AuthenticationFailed(UkkError):
    """Wrong or missing credentials, a disabled user, an expired session or token."""

    status = 401
    title = "Unauthorized"


class Throttled(UkkError):
    """Too many failed sign-ins for this user name or address; try again later."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
