"""What every view shares: access markers (deny by default), form errors, redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from tracker.auth.permissions import Permission, can
from tracker.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])

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
            if not can(current_user, permission, g.get("academy")):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, permission.value)
        return wrapper  # type: ignore[return-value]

    return decorator


def access_of(view: Callable[..., Any]) -> str | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def redirect_to_login() -> Response:
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), code=303)


def see_other(endpoint: str, **values: Any) -> Response:
    """Post/Redirect/Get."""
    return redirect(url_for(endpoint, **values), code=303)


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no protocol-relative //, no backslash."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal beside the field it names (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), error.message]
    else:
        form.form_errors.append(error.message)
