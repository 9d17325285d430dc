"""Health, readiness, metrics, request logs and the 503 of a database outage, through HTTP."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Client, make_test_app
from tests.feedback.factories import make_round
from tracker.db import utcnow
from tracker.mail.models import MailMessage, MailStatus
from tracker.ops.views import migration_heads


def _families(body: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(body):
        found.setdefault(family.name, []).extend(family.samples)
    return found


def _value(samples: list, name: str, **labels: str) -> float:
    matching = [
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert matching, f"no {name} {labels}"
    return sum(matching)


def test_healthz_answers_without_the_database_and_readyz_checks_it(app, client) -> None:
    health = client.get("/healthz")
    ready = client.get("/readyz")
    app.extensions["database"].engine.dispose()  # readyz opened its own connection

    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.get_json() == {"status": "ready"}
    body = ready.get_data(as_text=True) + str(ready.headers)
    for revision in migration_heads():
        assert revision not in body  # no version leaks
    assert "Server" not in ready.headers or "/" not in ready.headers["Server"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unreachable_app(tmp_path):
    """An app whose PostgreSQL does not answer (nothing listens on its port)."""
    url = f"postgresql+psycopg://brique@127.0.0.1:{_free_port()}/brique?connect_timeout=2"
    app = make_test_app(url, tmp_path)
    app.test_client_class = Client
    yield app
    app.extensions["database"].engine.dispose()


def test_readyz_is_503_when_the_database_is_away_or_behind(unreachable_app, tmp_path) -> None:
    away = unreachable_app.test_client().get("/readyz")
    assert away.status_code == 503
    assert away.get_json() == {"status": "unavailable", "reason": "database"}
    assert away.headers["Retry-After"] == "5"
    assert unreachable_app.test_client().get("/healthz").status_code == 200

    behind = make_test_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    answer = behind.test_client().get("/readyz")
    behind.extensions["database"].engine.dispose()
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "reason": "migrations"}


def test_metrics_expose_requests_pool_mail_and_due_rounds(client, db_session, world) -> None:
    now = utcnow()
    setup = make_round(
        db_session,
        world.academy,
        world.manager,
        now=now - dt.timedelta(days=2),
        closes_in=dt.timedelta(days=1),
    )
    assert setup.round.closes_at is not None and setup.round.closes_at < now
    db_session.add(
        MailMessage(
            to_address="a@example.com",
            subject="s",
            body_text="b",
            status=MailStatus.QUEUED,
            created_at=now - dt.timedelta(minutes=10),
        )
    )
    db_session.flush()
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = _families(response.get_data(as_text=True))
    requests = families["brique_http_requests"]
    assert (
        _value(
            requests, "brique_http_requests_total", route="core.health", method="GET", status="200"
        )
        >= 2
    )
    assert _value(requests, "brique_http_requests_total", route="unmatched", status="404") >= 1
    latency = families["brique_http_request_duration_seconds"]
    assert _value(latency, "brique_http_request_duration_seconds_count", route="core.health") >= 2
    assert (
        _value(
            latency, "brique_http_request_duration_seconds_bucket", route="core.health", le="+Inf"
        )
        >= 2
    )
    assert (
        _value(families["brique_db_pool_connections_in_use"], "brique_db_pool_connections_in_use")
        >= 0
    )
    assert _value(families["brique_mail_queue_depth"], "brique_mail_queue_depth") >= 1
    assert (
        _value(
            families["brique_mail_queue_oldest_age_seconds"], "brique_mail_queue_oldest_age_seconds"
        )
        >= 600
    )
    assert _value(families["brique_rounds_due_not_closed"], "brique_rounds_due_not_closed") >= 1


def test_metrics_are_for_internal_addresses_or_the_token(app, client, db_session) -> None:
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 404

    app.config["METRICS_TOKEN"] = "scrape-me-" + "x" * 20
    try:
        assert client.get("/metrics").status_code == 404  # loopback is not enough then
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        right = client.get(
            "/metrics",
            headers={"Authorization": f"Bearer {app.config['METRICS_TOKEN']}"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
        assert right.status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""


def _request_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tracker.requests"]


def test_one_json_line_per_request_with_its_id_and_no_personal_data(
    app, client, db_session, world, login, caplog
) -> None:
    login(world.manager)
    app.config["LOG_FORMAT"] = "json"
    try:
        with caplog.at_level(logging.INFO, logger="tracker.requests"):
            caplog.clear()
            given = client.get(
                f"/a/{world.academy.slug}/board", headers={"X-Request-ID": "abc-123"}
            )
            made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 200})
    finally:
        app.config["LOG_FORMAT"] = "text"

    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(made.headers["X-Request-ID"]) == 32
    lines = [json.loads(line) for line in _request_lines(caplog)]
    assert len(lines) == 2
    first, second = lines
    assert first["request_id"] == "abc-123" and first["event"] == "request"
    assert first["user_id"] == world.manager.id
    assert first["academy"] == world.academy.slug
    assert first["status"] == given.status_code
    assert isinstance(first["duration_ms"], float)
    assert first["route"] != "unmatched" and "/" not in first["route"]
    assert second["request_id"] == made.headers["X-Request-ID"]
    text = "\n".join(_request_lines(caplog))
    assert world.manager.email not in text
    assert "127.0.0.1" not in text  # no address unless LOG_CLIENT_ADDRESS


def test_a_database_outage_is_a_503_in_the_persons_language_keeping_the_form(
    unreachable_app,
) -> None:
    client = unreachable_app.test_client()

    page = client.post(
        "/login",
        data={"email": "lea@example.com", "password": "secret secret", "next": "/x"},
        headers={"Accept-Language": "fr"},
    )

    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "Temporairement indisponible" in html
    assert "Traceback" not in html and "psycopg" not in html and "OperationalError" not in html
    assert 'value="lea@example.com"' in html  # what was typed, ready to send again
    assert "secret secret" not in html  # never a password
    assert 'name="csrf_token"' in html

    english = client.post(
        "/login",
        data={"email": "lea@example.com", "password": "x"},
        headers={"Accept-Language": "en"},
    )
    assert "Temporarily unavailable" in english.get_data(as_text=True)
