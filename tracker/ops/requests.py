"""One structured line per request (logger `tracker.requests`): its request id (the caller's
X-Request-ID when it is a sane one, else a new one; returned in the response), method, route
(the endpoint's name: no path, so no id or token), status, duration, user id and academy. The
client's address only when LOG_CLIENT_ADDRESS is on; never an e-mail address. JSON lines when
LOG_FORMAT is json, else key=value.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from flask import Flask, Response, g, request

from tracker.ops import metrics

log = logging.getLogger("tracker.requests")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id() -> str:
    """This request's id (an empty string outside a request that went through the hooks)."""
    return str(g.get("request_id", ""))


def format_line(event: str, fields: dict[str, Any], *, as_json: bool) -> str:
    if as_json:
        return json.dumps({"event": event, **fields}, ensure_ascii=False, default=str)
    parts = [
        f"{key}={json.dumps(value) if isinstance(value, str) else value}"
        for key, value in fields.items()
    ]
    return f"{event} " + " ".join(parts)


def emit(app: Flask, event: str, fields: dict[str, Any], level: int = logging.INFO) -> None:
    log.log(level, format_line(event, fields, as_json=app.config["LOG_FORMAT"] == "json"))


def route_of() -> str:
    if request.url_rule is not None and request.endpoint:
        return request.endpoint
    return "unmatched"


def init_app(app: Flask) -> None:
    """Register first, so that every other hook (and a refusal) is inside the timing."""
    log.setLevel(app.config["LOG_LEVEL"])

    @app.before_request
    def start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SANE_ID.match(given) else secrets.token_hex(16)
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        started = g.pop("request_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        response.headers["X-Request-ID"] = request_id()
        route = route_of()
        metrics.observe_request(route, request.method, response.status_code, seconds)
        # Only what is already loaded: a log line never queries the database.
        user = g.get("_login_user")
        academy = g.get("academy")
        fields: dict[str, Any] = {
            "request_id": request_id(),
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": getattr(user, "id", None)
            if getattr(user, "is_authenticated", False)
            else None,
            "academy": getattr(academy, "slug", None),
        }
        if app.config["LOG_CLIENT_ADDRESS"]:
            fields["client"] = request.remote_addr
        emit(app, "request", fields)
        return response
