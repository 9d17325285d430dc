"""/readyz and /metrics: for the load balancer and the monitoring, without a login and without
any version in their answers."""

from __future__ import annotations

import hmac
import ipaddress
from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Response, abort, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker import migrate
from tracker.db import db, utcnow
from tracker.ops import bp, metrics
from tracker.web import public


@cache
def migration_heads() -> frozenset[str]:
    """The revisions the code expects (read once per process: they change only with the code)."""
    return frozenset(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())


@bp.route("/readyz")
@public
def ready() -> Any:
    """Ready to take traffic: the database answers and its schema is the one this code expects.
    503 otherwise (the balancer sends the requests elsewhere); the answer names no version."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return _not_ready("database")
    if current != migration_heads():
        return _not_ready("migrations")
    return jsonify(status="ready")


def _not_ready(reason: str) -> Any:
    response = jsonify(status="unavailable", reason=reason)
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def _allowed() -> bool:
    """METRICS_TOKEN set: the scraper sends it as a bearer token. Otherwise the caller's
    address must be in METRICS_ALLOW (loopback by default)."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        caller = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for network in str(current_app.config["METRICS_ALLOW"]).replace(",", " ").split():
        try:
            if caller in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


@bp.route("/metrics")
@public
def metrics_page() -> Any:
    """The Prometheus exposition; 404 to anyone not allowed (nothing says it exists)."""
    if not _allowed():
        abort(404)
    body, content_type = metrics.exposition(db.session, utcnow())
    return Response(body, content_type=content_type)
