"""Error pages (HTML in the reader's language, or an RFC 9457 JSON problem for JSON callers),
never a stack trace; domain errors no view caught become their status here (NotFound 404,
Forbidden 403, Conflict 409, Throttled 429). A database that does not answer (down, restarting,
no connection left in the pool) is a 503 with Retry-After; a form posted then comes back with
what was typed, ready to be sent again."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker.db import db
from tracker.errors import DomainError, Throttled
from tracker.web import problem

MESSAGES: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Reload the page and try again."),
    ),
    401: (_l("Login required"), _l("Log in to continue.")),
    403: (_l("Not allowed"), _l("Your role does not give access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist, or no longer does.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    409: (
        _l("Conflict"),
        _l("Someone changed this in the meantime. Reload to see the current state."),
    ),
    413: (_l("Too large"), _l("What you sent is larger than this server accepts.")),
    422: (_l("Cannot be processed"), _l("Some of what you sent is not valid.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes before trying again.")),
    503: (
        _l("Temporarily unavailable"),
        _l("Brique cannot reach its database for a moment. Try again in a few seconds."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred. It has been logged; try again in a moment."),
    ),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(
    code: int, detail: str | None = None, headers: dict[str, str] | None = None
) -> Any:
    title, message = MESSAGES.get(code, MESSAGES[500])
    if wants_json():
        return problem(code, detail or str(message), title=str(title), headers=headers)
    page = render_template("errors/error.html", code=code, title=title, message=detail or message)
    return page, code, headers or {}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Any:
        return render_error(
            400,
            str(
                _l("The form had expired or came from elsewhere. Reload the page and submit again.")
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        headers = {}
        if code == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        retry_after = getattr(error, "retry_after", None)
        if code == 429 and retry_after:
            headers["Retry-After"] = str(retry_after)
        return render_error(code, headers=headers)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        # A refusal no view caught (a missing object, a role, a stale version): nothing of the
        # request's writes may survive it.
        db.session.rollback()
        headers = {}
        if isinstance(error, Throttled):
            headers["Retry-After"] = str(error.retry_after)
        detail = error.message if error.status in (400, 409, 422, 429) else None
        return render_error(error.status, detail, headers=headers)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception) -> Any:
        if not is_outage(error):  # a wrong statement is a bug: the 500 page, logged as one
            app.logger.error("Exception on %s [%s]", request.path, request.method, exc_info=error)
            with suppress(Exception):
                db.session.rollback()
            return render_error(500)
        app.logger.warning("database unavailable: %s", type(error).__name__)
        return outage_page(int(app.config["OUTAGE_RETRY_AFTER"]))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Any:
        # Whatever failed, the session may hold a broken transaction: drop it.
        try:
            db.session.rollback()
        except Exception:
            app.logger.exception("rollback failed while rendering a 500")
        return render_error(500)


def is_outage(error: Exception) -> bool:
    """The database did not answer (no connection could be made, the connection dropped, no
    connection left in the pool), as opposed to a statement it refused."""
    if isinstance(error, PoolTimeout | InterfaceError):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated) or error.statement is None
    return False


def _posted_values() -> list[tuple[str, str]]:
    """What a form posted, to send it again: text fields only (files are not sent back) and
    never a password (it would be written into the page; the person types it again)."""
    if request.method != "POST" or request.is_json:
        return []
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if "password" not in name.lower()
    ]


def outage_page(retry_after: int) -> Any:
    """503 while the database is away. Nothing of the request is known to be written (its
    transaction did not commit). The page cannot read the database: the person is shown as
    not logged in, in the language of their session or browser."""
    with suppress(Exception):
        db.session.rollback()
    g._login_user = AnonymousUserMixin()
    g.pop("_flask_babel", None)  # the locale again, without the account's preference
    g.pop("academy", None)
    headers = {"Retry-After": str(retry_after)}
    title, message = MESSAGES[503]
    if wants_json():
        return problem(503, str(message), title=str(title), headers=headers)
    page = render_template(
        "errors/unavailable.html",
        code=503,
        title=title,
        message=message,
        posted=_posted_values(),
        action=request.path,
    )
    return page, 503, headers
