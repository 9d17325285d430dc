"""Error pages (HTML in the reader's language, or an RFC 9457 JSON problem for JSON callers),
never a stack trace; domain errors no view caught become their status here (NotFound 404,
Forbidden 403, Conflict 409, Throttled 429)."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Any:
        # Whatever failed, the session may hold a broken transaction: drop it.
        try:
            db.session.rollback()
        except Exception:
            app.logger.exception("rollback failed while rendering a 500")
        return render_error(500)
