"""The events an academy publishes, and `emit`, called by the services where a change happens.

`emit` writes the event and one delivery per subscribed endpoint in the caller's transaction:
the event exists if and only if the change is committed, whichever path (a page, the API, a
command) made it. The worker sends the deliveries later (tracker.webhooks.sender).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tracker.academies.models import Academy
from tracker.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent


class EventType(enum.StrEnum):
    BRICK_CREATED = "brick.created"
    BRICK_UPDATED = "brick.updated"
    BRICK_MOVED = "brick.moved"
    BRICK_DELETED = "brick.deleted"
    SPRINT_STARTED = "sprint.started"
    SPRINT_CLOSED = "sprint.closed"
    ROUND_OPENED = "round.opened"
    ROUND_CLOSED = "round.closed"
    RELEASE_DECIDED = "release.decided"
    RELEASE_RELEASED = "release.released"
    NOTES_PUBLISHED = "notes.published"
    NEED_CREATED = "need.created"
    NEED_TRIAGED = "need.triaged"


EVENT_TYPES: tuple[str, ...] = tuple(e.value for e in EventType)


def iso(moment: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601, in UTC for a moment ("2026-12-05T16:20:00Z")."""
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return iso(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _known_without_webhooks(session: Session, academy_id: int) -> bool:
    """The academy is loaded in the session (not expired) and has no webhook endpoint."""
    academy = session.identity_map.get(identity_key(Academy, academy_id))
    if not isinstance(academy, Academy) or "has_webhooks" not in academy.__dict__:
        return False
    return not academy.has_webhooks


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(16)


def emit(
    session: Session,
    academy_id: int,
    event_type: EventType | str,
    payload: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    now: dt.datetime,
) -> WebhookEvent | None:
    """Record that `event_type` happened in the academy, for every endpoint subscribed to it.

    `payload` (the event's `data`) may be a function, called only when some endpoint listens:
    nothing is written, nor computed, when none does. Nor is anything looked up when the
    academy, loaded in this session, has no endpoint at all (Academy.has_webhooks: the common
    case costs no query; one when the academy is not loaded). A disabled endpoint misses the
    events of its disabled time.
    """
    event_type = EventType(event_type).value
    if _known_without_webhooks(session, academy_id):
        return None
    endpoints = [
        endpoint
        for endpoint in session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.academy_id == academy_id, WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookEndpoint.id)
        )
        if event_type in (endpoint.event_types or [])
    ]
    if not endpoints:
        return None
    data = payload() if callable(payload) else payload
    body = json.dumps(
        {"type": event_type, "timestamp": iso(now), "data": _plain(data)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    event = WebhookEvent(
        academy_id=academy_id,
        message_id=new_message_id(),
        event_type=event_type,
        body=body,
        created_at=now,
    )
    session.add(event)
    session.flush()
    for endpoint in endpoints:
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=event.id,
                status=DeliveryStatus.PENDING,
                created_at=now,
            )
        )
    session.flush()
    return event
