"""What every view shares: access markers (deny by default), the form submission skeleton,
JSON problems, redirects. (Academy blueprints: tracker/academies/routing.py.)"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, g, jsonify, make_response, redirect, request, session, url_for
from flask_babel import format_decimal, get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from tracker import changes, submissions
from tracker.auth.permissions import Permission, can, can_on_brick_number
from tracker.db import FIRST_DATE, INTEGER_MAX, LAST_DATE, db, parse_integer, utcnow
from tracker.errors import BadQuery, DomainError, NotFound

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# Every view declares who may call it; app.before_request refuses any view that does not.
ACCESS_ATTRIBUTE = "_brique_access"


def public(view: F) -> F:
    """Anyone, logged in or not."""
    setattr(view, ACCESS_ATTRIBUTE, "public")
    return view


def authenticated(view: F) -> F:
    """Any logged-in person (their own account pages)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect_to_login()
        return view(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTRIBUTE, "authenticated")
    return wrapper  # type: ignore[return-value]


def requires(permission: Permission) -> Callable[[F], F]:
    """A logged-in person holding `permission` in the current academy (g.academy, or site)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect_to_login()
            academy = g.get("academy")
            # A brick's route (<number>) asks about the brick itself (a vendor's member: only
            # their vendor's bricks).
            number = kwargs.get("number")
            if isinstance(number, int):
                allowed = can_on_brick_number(current_user, permission, academy, number)
            else:
                allowed = can(current_user, permission, academy)
            if not allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, permission.value)
        return wrapper  # type: ignore[return-value]

    return decorator


def access_of(view: Callable[..., Any]) -> str | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)


READS_FIRST_ATTRIBUTE = "_brique_reads_first"


def reads_first(view: F) -> F:
    """A write view whose reads before its writing (the academy, the session, the roles, the
    checks) run outside SQLite's write lock: its transaction begins IMMEDIATE only at the board's
    lock or its first write (tracker.db.reads_first). Under `requires`, which copies it."""
    setattr(view, READS_FIRST_ATTRIBUTE, True)
    return view


def reads_first_of(view: Callable[..., Any] | None) -> bool:
    return bool(getattr(view, READS_FIRST_ATTRIBUTE, False))


# -- Conditional requests ------------------------------------------------------------------------

# Part of every validator: a new release of the application draws pages differently.
VALIDATOR_VERSION = "brique-1"


def validator(*parts: object) -> str:
    """A strong entity tag made from `parts` (hashed: it names no person and no token)."""
    digest = hashlib.sha256(repr((VALIDATOR_VERSION, *parts)).encode()).hexdigest()[:32]
    return f'"{digest}"'


def not_modified(tag: str, cache_control: str = "private, no-cache") -> Response:
    """304 Not Modified with the validator it confirms."""
    response = Response(status=304)
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = cache_control
    return response


def conditional(view: F) -> F:
    """A page of the current academy that is read far more often than it changes: it carries
    a validator (ETag) made from the academy's change counters (tracker/changes.py), the
    viewer, their session's CSRF token, language, time zone and day, and the page's address;
    a request that brings it back (If-None-Match) is answered 304 without running the view.
    Below `requires`: permissions are checked first. The page stays private to its viewer
    (`Cache-Control: private, no-cache`: the browser keeps it and asks each time). A page that
    shows a message (flash) gets no validator, as the message is not part of it."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD") or session.get("_flashes"):
            return view(*args, **kwargs)
        counted = changes.counters(db.session, g.academy.id)  # read before the page's data
        tag = page_validator(counted)
        if request.if_none_match.contains(tag.strip('"')):
            return not_modified(tag)
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not session.get("_flashes"):
            # Again: drawing the page may have given the session its CSRF token.
            response.headers["ETag"] = page_validator(counted)
            response.headers["Cache-Control"] = "private, no-cache"
        return response

    return wrapper  # type: ignore[return-value]


def page_validator(counted: tuple[int, int]) -> str:
    """The validator of the current page of g.academy for the current viewer, from the
    academy's change counters as read before the page (changes.counters)."""
    zone = get_timezone()
    today = utcnow().astimezone(zone).date() if zone is not None else utcnow().date()
    csrf = session.get("csrf_token")
    return validator(
        g.academy.id,
        *counted,
        current_user.get_id(),
        hashlib.sha256(str(csrf).encode()).hexdigest() if csrf else "",
        str(get_locale()),
        str(zone),
        today.isoformat(),
        request.full_path,
    )


def redirect_to_login() -> Response:
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), code=303)


def see_other(endpoint: str, **values: Any) -> Response:
    """Post/Redirect/Get."""
    return redirect(url_for(endpoint, **values), code=303)


def success(message: str, endpoint: str, **values: Any) -> Response:
    """A change done: say so, then Post/Redirect/Get to the page that shows it."""
    flash(message, "success")
    return see_other(endpoint, **values)


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no protocol-relative //, no backslash."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def carried_args(form: FlaskForm, names: Iterable[str]) -> dict[str, str]:
    """The query-string filters to carry along in links (pages, sorting, exports): those given
    and valid in `form`, a GET filter form."""
    return {
        name: str(request.args[name])
        for name in names
        if request.args.get(name) and not getattr(form, name).errors
    }


def name_rule(is_taken: Callable[..., bool], except_id: int | None = None) -> Callable[[str], bool]:
    """A UniqueNameForm's `is_name_taken`: the service's rule `is_taken(session, academy, name,
    except_id=...)` in the current academy; `except_id` is the row being renamed."""
    return lambda name: is_taken(db.session, g.academy, name, except_id=except_id)


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal beside the field it names (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), error.message]
    else:
        form.form_errors.append(error.message)


# -- The form skeleton: validate, call one service, commit ----------------------------------------


@dataclass
class Submission(Generic[T]):
    """What submit() did: `done` with the service's `value`, or the status to re-render with
    (200 for a first display, 422 for invalid input, the domain error's status otherwise)."""

    status: int
    value: T | None = None
    done: bool = False

    def __bool__(self) -> bool:
        return self.done


def submit_once(
    form: FlaskForm, model: type[T], action: Callable[[], T], *, kind: str | None = None
) -> Submission[T]:
    """submit() for a create form: `action` creates at most once per display of `form` (its
    `once` token, tracker.submissions). Sent again, the form is done with what the first
    submission created (a `model` row), even before validation: a unique name taken by that
    very first submission is no error to show."""
    kind = kind or str(model.__tablename__)  # type: ignore[attr-defined]
    field = getattr(form, "once", None)
    token = field.data if field is not None and request.method == "POST" else None
    user_id = current_user.id if current_user.is_authenticated else None
    found_id = submissions.earlier(db.session, token, user_id=user_id, kind=kind)
    found = db.session.get(model, found_id) if found_id is not None else None
    if found is not None:
        return Submission(200, found, done=True)
    return submit(
        form,
        lambda: submissions.once(
            db.session, token, user_id=user_id, kind=kind, create=action,
            load=lambda id_: db.session.get(model, id_),
            id_of=lambda created: int(created.id),  # type: ignore[attr-defined]
            now=utcnow(),
        ),
    )  # fmt: skip


def submit(form: FlaskForm, action: Callable[[], T]) -> Submission[T]:
    """Post/Redirect/Get's first half. On a valid POST call `action` (one service call); on a
    domain error roll back and show the message beside its field; else commit. The caller
    flashes and redirects when the submission is done, and re-renders the form otherwise:

        done = submit(form, lambda: services.create_release(db.session, ...))
        if done:
            flash(...)
            return see_other("releases.show", release_id=done.value.id)
        return render_template("releases/form.html", form=form), done.status
    """
    if not form.validate_on_submit():
        return Submission(422 if request.method == "POST" else 200)
    try:
        value = action()
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        # A reference that vanished meanwhile is a bad value of the form, not a missing page.
        return Submission(422 if isinstance(error, NotFound) else error.status)
    db.session.commit()
    return Submission(200, value, done=True)


# -- Query parameters: bounded like form fields, a 400 with a clear message otherwise -------------

# No list is longer than this many pages (50 rows a page: five million rows).
MAX_PAGE = 100_000


def query_int(
    name: str, *, minimum: int = 1, maximum: int = INTEGER_MAX, default: int | None = None
) -> int | None:
    """?name= as a whole number within bounds; absent or empty: `default`. Anything else (not a
    number, out of bounds) is a BadQuery: 400, a page or a JSON problem saying which parameter."""
    raw = str(request.args.get(name, "")).strip()
    if not raw:
        return default
    value = parse_integer(raw)
    if value is None or not minimum <= value <= maximum:
        raise BadQuery(
            _(
                "The parameter “%(name)s” must be a whole number between %(minimum)s and "
                "%(maximum)s.",
                name=name,
                minimum=format_decimal(minimum),
                maximum=format_decimal(maximum),
            )
        )
    return value


def query_page() -> int:
    """?page= (1 when absent)."""
    return query_int("page", maximum=MAX_PAGE, default=1) or 1


def query_date(name: str) -> dt.date | None:
    """?name= as an ISO date (2026-03-31) within the supported range; absent: None."""
    raw = str(request.args.get(name, "")).strip()
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not FIRST_DATE <= value <= LAST_DATE:
        raise BadQuery(
            _(
                "The parameter “%(name)s” must be a date between %(first)s and %(last)s.",
                name=name,
                first=FIRST_DATE.isoformat(),
                last=LAST_DATE.isoformat(),
            )
        )
    return value


def query_choice(name: str, allowed: Iterable[str], *, default: str = "") -> str:
    """?name= as one of `allowed`; absent or empty: `default`; anything else: BadQuery."""
    raw = str(request.args.get(name, "")).strip()
    if not raw:
        return default
    if raw not in set(allowed):
        raise BadQuery(_("The parameter “%(name)s” has an unknown value.", name=name))
    return raw


def query_text(name: str, *, max_length: int = 200) -> str:
    """?name= as text (a search), at most `max_length` characters."""
    raw = str(request.args.get(name, "")).strip()
    if len(raw) > max_length:
        raise BadQuery(
            ngettext(
                "The parameter “%(name)s” is longer than %(count)s character.",
                "The parameter “%(name)s” is longer than %(count)s characters.",
                max_length,
                name=name,
                count=format_decimal(max_length),
            )
        )
    return raw


# -- JSON problems (RFC 9457), shared by the pages' JSON endpoints and the API -------------------

PROBLEM_TYPE_PREFIX = "urn:brique:problem:"


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """An `application/problem+json` answer. `code` is the stable machine-readable reason
    (`type` is urn:brique:problem:<code>, and `code` repeats it for scripts); without one the
    type is about:blank and the title the HTTP status phrase."""
    from werkzeug.http import HTTP_STATUS_CODES

    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}" if code else "about:blank",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    body.update(extensions)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
