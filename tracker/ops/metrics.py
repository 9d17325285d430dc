"""Prometheus metrics (prometheus_client).

Per process: requests counted and timed per route (the endpoint's name, never a path with ids
or tokens), and the database pool's connections in use. Under gunicorn, set
PROMETHEUS_MULTIPROC_DIR (an empty folder, emptied at each start) so that every worker writes
its figures there and any worker's /metrics adds them up (prometheus_client's multiprocess
mode). From the database, read at each scrape (the same whichever process answers): the mail
queue's depth and its oldest message's age, and the rounds past their closing time not yet
closed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from tracker.feedback.models import FeedbackRound, RoundState
from tracker.mail.models import MailMessage, MailStatus

# Unregistered: create_app's registry (one process) or the multiprocess files collect them.
REQUESTS = Counter(
    "brique_http_requests",
    "HTTP requests answered, by route (endpoint), method and status.",
    ["route", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "brique_http_request_duration_seconds",
    "Time to answer a request, by route (endpoint) and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
POOL_IN_USE = Gauge(
    "brique_db_pool_connections_in_use",
    "Database connections checked out of the pool (all processes together).",
    registry=None,
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "brique_db_pool_size",
    "Connections each process's pool keeps (all processes together).",
    registry=None,
    multiprocess_mode="livesum",
)

MAIL_WAITING = (MailStatus.QUEUED, MailStatus.SENDING)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def watch_pool(engine: Engine) -> None:
    """Count the connections this process's pool lends out (checkout/checkin events)."""
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.inc(size())

    @event.listens_for(engine, "checkout")
    def _out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.info["brique_counted"] = True
        POOL_IN_USE.inc()

    @event.listens_for(engine, "checkin")
    def _in(_dbapi: Any, record: Any) -> None:
        # Only a connection counted on its way out (one lent before this listener existed,
        # or invalidated in between, would drive the gauge below zero).
        if record is not None and record.info.pop("brique_counted", False):
            POOL_IN_USE.dec()


class DatabaseCollector(Collector):
    """Figures read from the database at each scrape."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session = session
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now, session = self.now, self.session
        depth, oldest = session.execute(
            select(func.count(MailMessage.id), func.min(MailMessage.created_at)).where(
                MailMessage.status.in_(MAIL_WAITING)
            )
        ).one()
        due = session.scalar(
            select(func.count(FeedbackRound.id)).where(
                FeedbackRound.state == RoundState.OPEN,
                FeedbackRound.closes_at.is_not(None),
                FeedbackRound.closes_at <= now,
            )
        )
        yield GaugeMetricFamily(
            "brique_mail_queue_depth", "E-mails waiting to be sent (queued or sending).", depth
        )
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "brique_mail_queue_oldest_age_seconds",
            "Age of the oldest e-mail waiting to be sent (0 when none waits).",
            age,
        )
        yield GaugeMetricFamily(
            "brique_rounds_due_not_closed",
            "Open feedback rounds whose closing time has passed (the worker closes them).",
            due or 0,
        )


def exposition(session: Session, now: dt.datetime) -> tuple[bytes, str]:
    """The text exposition format, and its content type."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, POOL_IN_USE, POOL_SIZE):
            registry.register(metric)
    registry.register(DatabaseCollector(session, now))
    return generate_latest(registry), CONTENT_TYPE_LATEST
