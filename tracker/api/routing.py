"""The API's plumbing: its blueprints, bearer authentication, the access rule of each route,
problems (RFC 9457) for every error, ETag / If-Match, cursor pagination.

A leaf of tracker.api: the resource modules (bricks.py, planning.py...) attach their routes to
the blueprints declared here.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
from collections.abc import Callable
from functools import wraps
from importlib import import_module
from typing import Any, TypeVar
from urllib.parse import urlencode

import flask_smorest
import marshmallow as ma
from flask import Flask, Request, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest.utils import prepare_response
from marshmallow import missing
from sqlalchemy import select
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from tracker.academies.models import Academy, Role
from tracker.api import schemas, services
from tracker.auth.permissions import Permission, can, role_in
from tracker.db import db, utcnow
from tracker.errors import BadQuery, Conflict, DomainError, Forbidden, NotFound, Throttled
from tracker.web import ACCESS_ATTRIBUTE, problem, query_int

F = TypeVar("F", bound=Callable[..., Any])

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with `code` (the stable reason, also in `type`) and `errors`
    (field name -> messages) when fields are at fault."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())


class ApiSpec(flask_smorest.Api):
    """flask-smorest's Api beside the app's own pages: it serves no documentation blueprint of
    its own (meta.py serves the JSON and the vendored page, under the access rules) and installs
    no app-wide error handler (the pages keep theirs; the API blueprints answer problems)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_CONTENT_TYPE = PROBLEM

    def _register_doc_blueprint(self) -> None:
        return None

    def _register_error_handlers(self) -> None:
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def spec_settings(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Brique API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}],
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal access token or a service account's token "
                        "(brq_...), from Brique's profile or academy settings.",
                    }
                }
            },
            "info": {
                "description": "Brique's JSON API. Dates are ISO 8601 in UTC; lists are paged "
                "with a cursor (`next`); each brick's version is its ETag, and changes to it "
                "need If-Match (412 when stale, 428 when missing); errors are RFC 9457 problems."
            },
        },
    )


class NulFreeParser(FlaskParser):
    """webargs' parser reading JSON bodies through the request's own get_json (BriqueRequest:
    NUL characters dropped, which PostgreSQL refuses in text); malformed JSON is a 400."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return missing
        return req.get_json(force=True, cache=True)


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = NulFreeParser()


blueprints: dict[str, flask_smorest.Blueprint] = {}

# The modules whose routes attach to the API blueprints (imported before they are registered).
API_MODULES = (
    "meta_views",
    "academies_views",
    "bricks_views",
    "planning_views",
    "feedback_views",
    "needs_views",
)

spec = ApiSpec()


def init_api(app: Flask) -> None:
    """Register the API's routes with flask-smorest (which generates the OpenAPI description)."""
    for module in API_MODULES:
        import_module(f"tracker.api.{module}")
    spec_settings(app)
    spec.init_app(app)
    csrf = app.extensions["csrf"]
    for blueprint in blueprints.values():
        csrf.exempt(blueprint)  # bearer tokens, no cookie: nothing for a forged form to ride
        spec.register_blueprint(blueprint)


def api_blueprint(name: str, description: str) -> flask_smorest.Blueprint:
    """A group of API routes (a tag of the OpenAPI description), under /api/v1."""
    blueprint = ApiBlueprint(f"api_{name}", __name__, url_prefix=PREFIX, description=description)
    blueprint.before_request(_authenticate)
    blueprint.after_request(_check_response)
    blueprint.register_error_handler(HTTPException, _http_problem)
    blueprint.register_error_handler(DomainError, _domain_problem)
    blueprints[name] = blueprint
    return blueprint


def _check_response(response: Response) -> Response:
    """With API_CHECK_RESPONSES (the test suite): every JSON body is checked against the schema
    its route declares (a problem against ProblemSchema); a mismatch is a 500 naming it."""
    if not current_app.config.get("API_CHECK_RESPONSES") or not response.is_json:
        return response
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "_apidoc", {}).get("response", {}).get("responses", {})
    if response.mimetype == PROBLEM:
        schema: ma.Schema | None = ProblemSchema()
    else:
        found = declared.get(response.status_code) or [{}]
        schema = found[0].get("schema") if isinstance(found, list) else None
    if isinstance(schema, type):
        schema = schema()
    if schema is None:
        return response
    errors = schema.validate(response.get_json())
    if errors:
        current_app.logger.error("API response does not match its schema: %s", errors)
        return problem(500, f"Response does not match its schema: {errors}", code="server-error")
    return response


# -- Problems --------------------------------------------------------------------------------

CODES: dict[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    428: "precondition-required",
    429: "rate-limited",
    500: "server-error",
}


def api_problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    extensions: dict[str, Any] = {"errors": errors} if errors else {}
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="brique"'}
    return problem(
        status,
        detail,
        code=code or CODES.get(status, "error"),
        title=HTTP_STATUS_CODES.get(status, "Error"),
        headers=headers,
        **extensions,
    )


def _flatten(messages: Any) -> dict[str, list[str]]:
    """webargs' {location: {field: [messages]}} as {field: [messages]} (nested: a.0.b)."""
    found: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            found.setdefault(prefix or "_schema", []).extend(value)
        else:
            found.setdefault(prefix or "_schema", []).append(str(value))

    if isinstance(messages, dict):
        for location in messages.values():
            walk("", location)
    return found


def _http_problem(error: HTTPException) -> Response:
    db.session.rollback()
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    if code == 422 and "messages" in data:
        if set(data["messages"]) == {"query"}:
            # A query parameter out of its bounds or choices: 400, as the pages answer.
            return api_problem(
                400,
                _("A parameter of the address is not valid."),
                code="bad-query",
                errors=_flatten(data["messages"]),
            )
        return api_problem(
            422,
            _("Some of what you sent is not valid."),
            code="validation",
            errors=_flatten(data["messages"]),
        )
    headers: dict[str, str] = {}
    if code == 405:
        allow = error.get_response().headers.get("Allow")
        if allow:
            headers["Allow"] = allow
    return api_problem(code, error.description or HTTP_STATUS_CODES.get(code, ""), headers=headers)


# Stable codes of the domain's refusals (the `type` a script may rely on).
DOMAIN_CODES = {
    "WipLimitReached": "wip-limit-reached",
    "DefinitionOfDoneIncomplete": "definition-of-done-incomplete",
    "CardGone": "not-found",
    "BadQuery": "bad-query",
}


def _domain_problem(error: DomainError) -> Response:
    db.session.rollback()
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Throttled) else {}
    code = DOMAIN_CODES.get(type(error).__name__) or CODES.get(error.status, "invalid")
    if type(error) is DomainError:
        code = "rule"  # a rule of the domain refused it (422)
    errors = getattr(error, "errors", None) or (
        {error.field: [error.message]} if error.field else None
    )
    return api_problem(error.status, error.message, code=code, errors=errors, headers=headers)


# -- Authentication: a bearer token, no cookie ------------------------------------------------


def _authenticate() -> Response | None:
    view = current_app.view_functions.get(request.endpoint or "")
    # The route's own rule: never a session cookie on the API, whatever the browser sends.
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    g.pop("api_token", None)
    if view is not None and getattr(view, ACCESS_ATTRIBUTE, None) == "public":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return api_problem(401, _("Send a token: Authorization: Bearer <token>."))
    limit = services.RateLimit(
        int(current_app.config["API_RATE_LIMIT"]),
        int(current_app.config["API_RATE_WINDOW_SECONDS"]),
    )
    try:
        token = services.authenticate(db.session, secret.strip(), limit=limit, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        return _domain_problem(error)
    db.session.commit()  # the request's count and "last used", whatever the request does next
    g.api_token = token
    g._login_user = token.user
    body = request.method in ("POST", "PUT", "PATCH") and (request.content_length or request.data)
    if body and request.mimetype != "application/json":
        return api_problem(415, _("Send JSON (Content-Type: application/json)."))
    return None


def token() -> Any:
    return g.api_token


# -- The access rule of each route ------------------------------------------------------------


def reachable(academy: Academy) -> bool:
    """Does this token reach the academy: its owner is a member (roles_of, read once per
    request and used again by can()), and the token is not narrowed to another academy."""
    scope = g.api_token.academy_id
    return (scope is None or scope == academy.id) and role_in(current_user, academy) is not None


def load_academy(slug: str) -> Academy:
    """The academy of the URL, if this token reaches it; else 404, as if it did not exist."""
    academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
    if academy is None or not reachable(academy):
        raise NotFound(_("No such academy."))
    g.academy = academy
    return academy


def allowed(permission: Permission | None, *, write: bool = False) -> Callable[[F], F]:
    """The route's access rule: a live token (else 401), allowed to write when `write` (else
    403), reaching the URL's academy (else 404), whose principal holds `permission` there (else
    403). `slug` in the URL becomes g.academy."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.get("api_token") is None:
                return api_problem(401, _("Send a token: Authorization: Bearer <token>."))
            slug = kwargs.pop("slug", None)
            if slug is not None:
                load_academy(slug)
            academy = g.get("academy")
            if academy is not None and role_in(current_user, academy) == Role.VENDOR:
                # A vendor's member works on their vendor's bricks in the pages only: the API's
                # lists are not narrowed to a vendor (tracker.auth.permissions.brick_scope).
                raise Forbidden(_("A vendor's account cannot use the API."))
            if write and not g.api_token.can_write:
                raise Forbidden(_("This token may only read."))
            if permission is not None and not can(current_user, permission, g.get("academy")):
                raise Forbidden(_("Your role does not allow this."))
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, f"api:{permission.value if permission else 'token'}")
        return wrapper  # type: ignore[return-value]

    return decorator


def public_api(view: F) -> F:
    setattr(view, ACCESS_ATTRIBUTE, "public")
    return view


# -- ETag and If-Match: an object's version ---------------------------------------------------


class PreconditionFailed(Conflict):
    status = 412


class PreconditionRequired(DomainError):
    status = 428


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(current: int) -> int:
    """The version If-Match names: 428 when absent, 412 when it is not the current one."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise PreconditionRequired(
            _("Send If-Match with the ETag you read: changes need the version they apply to.")
        )
    for candidate in raw.split(","):
        value = candidate.strip()
        if value.startswith("W/"):
            continue  # a weak tag never matches (RFC 9110 13.1.1)
        value = value.strip('"')
        if value.isdigit() and len(value) < 12 and int(value) == current:
            return current
    raise PreconditionFailed(_("Someone changed this in the meantime: read it again."))


# -- Cursor pagination ------------------------------------------------------------------------


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(count: int) -> list[int] | None:
    """?cursor= as `count` whole numbers (what encode_cursor wrote); None when absent."""
    raw = str(request.args.get("cursor", "")).strip()
    if not raw:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != count
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        or not all(abs(v) < 2**62 for v in values)
    ):
        raise BadQuery(_("The parameter “cursor” is not one this API gave."), field="cursor")
    return values


def next_link(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    args["cursor"] = cursor
    return f"{request.base_url}?{urlencode(args)}"


def page_of(items: list[Any], limit: int) -> dict[str, Any]:
    """One page of a list a service returned whole (a handful of rows: sprints, releases...):
    the cursor is the offset of the next page."""
    cursor = decode_cursor(1)
    start = max(0, cursor[0]) if cursor is not None else 0
    chosen = items[start : start + limit]
    more = start + limit < len(items)
    return {"items": chosen, "next": next_link(encode_cursor([start + limit]) if more else None)}


def paged(blp: flask_smorest.Blueprint, page: type[ma.Schema]) -> Callable[[F], F]:
    """A list's route: `limit` and `cursor` in the query, `page` as the answer's schema. The
    view returns the whole list (a handful of rows: sprints, releases...); one page is sent."""

    def decorate(view: F) -> F:
        @wraps(view)
        def one_page(args: dict[str, Any], *view_args: Any, **view_kwargs: Any) -> Any:
            return page_of(view(*view_args, **view_kwargs), args["limit"])

        answered = blp.response(200, page)(one_page)
        return blp.arguments(schemas.Paging, location="query", as_kwargs=False)(answered)

    return decorate


def limit_arg(default: int = 50, maximum: int = 100) -> int:
    return query_int("limit", maximum=maximum, default=default) or default
