"""A manager's webhooks: subscribe, change, disable or enable, delete; the delivery log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.errors import DomainError, NotFound
from tracker.webhooks import sealing, signing
from tracker.webhooks.addresses import RefusedUrl, parse_url
from tracker.webhooks.events import EVENT_TYPES
from tracker.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

MAX_ENDPOINTS = 20  # per academy


def list_endpoints(session: Session, academy: Academy) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.academy_id == academy.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(session: Session, academy: Academy, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.academy_id != academy.id:
        raise NotFound(_("This webhook does not exist, or no longer does."))
    return endpoint


def _check(url: str, event_types: Sequence[str], *, allow_private: bool) -> tuple[str, list[str]]:
    url = url.strip()
    try:
        parse_url(url, allow_private=allow_private)
    except RefusedUrl:
        if allow_private:
            message = _("Give a web address starting with https:// or http://.")
        else:
            message = _("Give a public web address starting with https://.")
        raise DomainError(message, field="url") from None
    chosen = [t for t in EVENT_TYPES if t in set(event_types)]
    if not chosen or len(chosen) != len(set(event_types)):
        raise DomainError(_("Choose at least one event."), field="event_types")
    return url, chosen


def create_endpoint(
    session: Session,
    academy: Academy,
    *,
    url: str,
    description: str,
    event_types: Sequence[str],
    actor: User | None,
    allow_private: bool,
    app_secret_key: str,
    now: dt.datetime,
) -> tuple[WebhookEndpoint, str]:
    """Subscribe a URL; returns the endpoint and its secret (to show once; kept sealed with
    `app_secret_key`)."""
    url, chosen = _check(url, event_types, allow_private=allow_private)
    count = session.scalar(
        select(func.count(WebhookEndpoint.id)).where(WebhookEndpoint.academy_id == academy.id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise DomainError(
            ngettext(
                "An academy has at most %(num)d webhook.",
                "An academy has at most %(num)d webhooks.",
                MAX_ENDPOINTS,
            ),
            field="url",
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        academy_id=academy.id,
        url=url,
        description=description.strip(),
        event_types=chosen,
        sealed_secret=sealing.seal(secret, app_secret_key),
        enabled=True,
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(endpoint)
    academy.has_webhooks = True  # its events are looked up from now on (events.emit)
    session.flush()
    return endpoint, secret


def update_endpoint(
    session: Session,
    endpoint: WebhookEndpoint,
    *,
    url: str,
    description: str,
    event_types: Sequence[str],
    allow_private: bool,
) -> WebhookEndpoint:
    endpoint.url, endpoint.event_types = _check(url, event_types, allow_private=allow_private)
    endpoint.description = description.strip()
    session.flush()
    return endpoint


def set_enabled(session: Session, endpoint: WebhookEndpoint, enabled: bool) -> WebhookEndpoint:
    """Enabled again, it sends what is pending, in order (with a fresh set of tries)."""
    endpoint.enabled = enabled
    endpoint.disabled_reason = ""
    if enabled:
        for delivery in session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
        ):
            delivery.next_attempt_at = None
            delivery.attempts = 0
    session.flush()
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    academy_id = endpoint.academy_id
    session.delete(endpoint)
    session.flush()
    academy = session.get(Academy, academy_id)
    if academy is not None:
        academy.has_webhooks = bool(
            session.scalar(
                select(WebhookEndpoint.id).where(WebhookEndpoint.academy_id == academy_id).limit(1)
            )
        )
        session.flush()


@dataclass(frozen=True)
class DeliveryLine:
    delivery: WebhookDelivery
    event: WebhookEvent
    attempts: list[WebhookAttempt]


def delivery_log(
    session: Session, endpoint: WebhookEndpoint, *, page: int, page_size: int
) -> tuple[list[DeliveryLine], int]:
    """A page of the endpoint's deliveries, newest first, with their attempts: three queries."""
    total = (
        session.scalar(
            select(func.count(WebhookDelivery.id)).where(WebhookDelivery.endpoint_id == endpoint.id)
        )
        or 0
    )
    rows = session.execute(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    ids = [delivery.id for delivery, _event in rows]
    attempts: dict[int, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(ids))
            .order_by(WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryLine(d, e, attempts[d.id]) for d, e in rows], total


def send_again(
    session: Session, endpoint: WebhookEndpoint, delivery_id: int, *, now: dt.datetime
) -> WebhookDelivery:
    """A new delivery of the same event (same `webhook-id`), after the endpoint's pending ones."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(_("This delivery does not exist, or no longer does."))
    again = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=delivery.event_id,
        status=DeliveryStatus.PENDING,
        created_at=now,
    )
    session.add(again)
    session.flush()
    return again


def rotate_secret(session: Session, endpoint: WebhookEndpoint, *, app_secret_key: str) -> str:
    """A new secret (returned, to show once); the next deliveries are signed with it."""
    secret = signing.new_secret()
    endpoint.sealed_secret = sealing.seal(secret, app_secret_key)
    session.flush()
    return secret
