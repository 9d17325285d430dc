"""Sending the deliveries: by the worker (`flask worker`) or cron (`flask send-webhooks`), never
inside a web request.

One sender at a time per endpoint: a sender claims the endpoint (a conditional update with a
lease) before sending, and sends its pending deliveries one by one in id order, recording each
outcome under the claim. So two senders never send the same delivery, and an endpoint receives
its events in order: when the oldest pending delivery fails, the later ones wait behind it.
A failed attempt is retried with exponential backoff and jitter over about a day; then the
delivery fails, the endpoint is disabled and its managers are told by e-mail.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import User
from tracker.mail.services import queue_mail
from tracker.tokens import new_token
from tracker.webhooks import sealing, signing
from tracker.webhooks.addresses import Answer, post
from tracker.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

# A claim older than this was left by a sender that died: another may take the endpoint.
LEASE = dt.timedelta(minutes=5)
# The wait after attempt n fails (n = 1, 2...), before jitter: about 28 hours in all, then the
# delivery fails (after len(RETRY_DELAYS) + 1 attempts).
RETRY_DELAYS = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2  # each wait is drawn within ±20 %

USER_AGENT = "Brique-Webhooks/1"
# Not translated: the delivery log shows what happened as a sender writes it.
GAVE_UP = "Disabled after {attempts} failed attempts over about a day."
UNREADABLE = (
    "Not sent: the signing secret cannot be read (the app's secret key changed?):"
    " give the webhook a new secret."
)

# (url, body, headers, timeout, allow_private) -> Answer
Poster = Callable[..., Answer]


@dataclass(frozen=True)
class WebhookSettings:
    timeout: float = 10.0
    allow_private: bool = False
    base_url: str = ""
    app_secret_key: str = ""  # unseals the endpoints' signing secrets
    secret_key_fallbacks: tuple[str, ...] = ()  # keys being rotated out, which still unseal

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WebhookSettings:
        return cls(
            timeout=float(config["WEBHOOKS_TIMEOUT"]),
            allow_private=bool(config["WEBHOOKS_ALLOW_PRIVATE"]),
            base_url=str(config["BASE_URL"]),
            app_secret_key=str(config["SECRET_KEY"]),
            secret_key_fallbacks=tuple(config.get("SECRET_KEY_FALLBACKS") or ()),
        )


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0  # a failed attempt, to try again later
    failed: int = 0  # out of tries: the endpoint is disabled
    endpoints: int = 0  # endpoints claimed by this sender


def retry_delay(attempts: int, rng: Callable[[], float] = random.random) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt, with jitter."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * (1 - JITTER + 2 * JITTER * rng())


def _due_endpoint_ids(session: Session, now: dt.datetime) -> list[int]:
    """Enabled, unclaimed endpoints whose oldest pending delivery is due (the others wait
    behind it: an endpoint receives its events in order)."""
    head = (
        select(
            WebhookDelivery.endpoint_id.label("endpoint_id"),
            func.min(WebhookDelivery.id).label("delivery_id"),
        )
        .where(WebhookDelivery.status == DeliveryStatus.PENDING)
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(WebhookEndpoint.id)
            .join(head, head.c.endpoint_id == WebhookEndpoint.id)
            .join(WebhookDelivery, WebhookDelivery.id == head.c.delivery_id)
            .where(
                WebhookEndpoint.enabled.is_(True),
                or_(WebhookEndpoint.claim_token.is_(None), WebhookEndpoint.lease_until < now),
                or_(
                    WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                ),
            )
            .order_by(WebhookEndpoint.id)
        )
    )


def _claim(session: Session, endpoint_id: int, now: dt.datetime) -> str | None:
    token = new_token()[:32]
    claimed = session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.enabled.is_(True),
            or_(WebhookEndpoint.claim_token.is_(None), WebhookEndpoint.lease_until < now),
        )
        .values(claim_token=token, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token if claimed.rowcount else None  # type: ignore[attr-defined]


def _renew(session: Session, endpoint_id: int, token: str, now: dt.datetime) -> bool:
    """Still ours? (Then the lease counts from now.)"""
    renewed = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.claim_token == token)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return bool(renewed.rowcount)  # type: ignore[attr-defined]


def _release(session: Session, endpoint_id: int, token: str) -> None:
    session.rollback()
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.claim_token == token)
        .values(claim_token=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def send_webhooks(
    session: Session,
    settings: WebhookSettings,
    *,
    clock: Callable[[], dt.datetime],
    poster: Poster = post,
    rng: Callable[[], float] = random.random,
    per_endpoint: int = 100,
) -> DeliveryReport:
    """One pass: every endpoint with a delivery due that no other sender holds, at most
    `per_endpoint` deliveries each (a long queue does not hold the others back)."""
    report = DeliveryReport()
    endpoint_ids = _due_endpoint_ids(session, clock())
    session.commit()  # no read transaction held (SQLite: the write lock) while calling out
    for endpoint_id in endpoint_ids:
        token = _claim(session, endpoint_id, clock())
        if token is None:
            continue  # another sender has it
        report.endpoints += 1
        try:
            _send_endpoint(
                session, endpoint_id, token, settings, clock, poster, rng, report, per_endpoint
            )
        except Exception:  # one endpoint's trouble never stops the others' deliveries
            session.rollback()
            log.exception("webhook endpoint %s: sending failed", endpoint_id)
        finally:
            _release(session, endpoint_id, token)
    return report


def _send_endpoint(
    session: Session,
    endpoint_id: int,
    token: str,
    settings: WebhookSettings,
    clock: Callable[[], dt.datetime],
    poster: Poster,
    rng: Callable[[], float],
    report: DeliveryReport,
    limit: int,
) -> None:
    for _ in range(limit):
        endpoint = session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
        if endpoint is None or not endpoint.enabled or endpoint.claim_token != token:
            session.commit()
            return
        delivery = session.scalars(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .order_by(WebhookDelivery.id)
            .limit(1)
            .execution_options(populate_existing=True)
        ).first()
        now = clock()
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            session.commit()  # nothing more, or the oldest waits for its retry: the rest too
            return
        event = session.get(WebhookEvent, delivery.event_id)
        assert event is not None  # deleted with its deliveries
        url, sealed, delivery_id = endpoint.url, endpoint.sealed_secret, delivery.id
        message_id, body = event.message_id, event.body
        session.commit()

        attempted_at = clock()
        try:
            secret = sealing.unseal(sealed, settings.app_secret_key, settings.secret_key_fallbacks)
        except sealing.SecretUnreadable:
            answer = Answer(None, 0, UNREADABLE)
        else:
            headers = {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                **signing.headers(secret, message_id, int(attempted_at.timestamp()), body),
            }
            answer = poster(
                url,
                body.encode(),
                headers,
                timeout=settings.timeout,
                allow_private=settings.allow_private,
            )
        now = clock()
        if not _renew(session, endpoint_id, token, now):
            session.rollback()  # taken over after our lease: the other sender records it
            return
        if not _record(session, delivery_id, attempted_at, answer, now, settings, rng, report):
            session.commit()
            return
        session.commit()


def _record(
    session: Session,
    delivery_id: int,
    attempted_at: dt.datetime,
    answer: Answer,
    now: dt.datetime,
    settings: WebhookSettings,
    rng: Callable[[], float],
    report: DeliveryReport,
) -> bool:
    """Write the attempt's outcome; True when the endpoint's next delivery may go now."""
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    assert delivery is not None
    succeeded = answer.status_code is not None and 200 <= answer.status_code < 300
    delivery.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=attempted_at,
            succeeded=succeeded,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            error=answer.error[:500],
        )
    )
    if succeeded:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.next_attempt_at = None
        delivery.finished_at = now
        report.delivered += 1
        return True
    if delivery.attempts < MAX_ATTEMPTS:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts, rng)
        report.retried += 1
        return False
    delivery.status = DeliveryStatus.FAILED
    delivery.finished_at = now
    report.failed += 1
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    disable_after_failures(session, endpoint, settings.base_url, attempts=delivery.attempts)
    return False


def disable_after_failures(
    session: Session, endpoint: WebhookEndpoint, base_url: str, *, attempts: int
) -> None:
    """The endpoint failed for about a day: disable it and tell the academy's managers."""
    endpoint.enabled = False
    endpoint.disabled_reason = GAVE_UP.format(attempts=attempts)
    academy = session.get(Academy, endpoint.academy_id)
    assert academy is not None
    managers = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.academy_id == academy.id,
            Membership.role == Role.MANAGER,
            User.is_active_account.is_(True),
        )
        .order_by(User.id)
    ).all()
    for manager in managers:
        with force_locale(manager.locale or academy.default_locale):
            queue_mail(
                session,
                to=manager.email,
                template="mail/webhook_disabled",
                category="webhook_disabled",
                academy_id=academy.id,
                context={
                    "academy": academy,
                    "endpoint": endpoint,
                    "manager": manager,
                    "attempts": attempts,
                    "link": f"{base_url}/a/{academy.slug}/settings/webhooks/{endpoint.id}",
                },
            )
    session.flush()


# Delivered and failed deliveries (with their attempts) are kept this long in the log.
KEEP_LOG = dt.timedelta(days=30)


def prune(session: Session, *, now: dt.datetime, keep: dt.timedelta = KEEP_LOG) -> int:
    """Forget the deliveries finished before `now - keep` (their attempts go with them), then
    the events no delivery needs any more; returns how many deliveries went."""
    cutoff = now - keep
    gone = session.execute(
        delete(WebhookDelivery)
        .where(
            WebhookDelivery.status != DeliveryStatus.PENDING,
            WebhookDelivery.finished_at < cutoff,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(WebhookEvent)
        .where(
            WebhookEvent.created_at < cutoff,
            ~select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id).exists(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
