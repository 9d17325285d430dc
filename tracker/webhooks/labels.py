"""What people read about webhooks: the events' names, the deliveries' states."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.webhooks.events import EventType
from tracker.webhooks.models import DeliveryStatus

EVENT_LABELS = {
    EventType.BRICK_CREATED.value: _l("Brick created"),
    EventType.BRICK_UPDATED.value: _l("Brick updated"),
    EventType.BRICK_MOVED.value: _l("Brick moved on the board"),
    EventType.BRICK_DELETED.value: _l("Brick deleted"),
    EventType.SPRINT_STARTED.value: _l("Sprint started"),
    EventType.SPRINT_CLOSED.value: _l("Sprint closed"),
    EventType.ROUND_OPENED.value: _l("Feedback round opened"),
    EventType.ROUND_CLOSED.value: _l("Feedback round closed (with the gate's result)"),
    EventType.RELEASE_DECIDED.value: _l("Go/no-go decision on a release"),
    EventType.RELEASE_RELEASED.value: _l("Release released"),
    EventType.NOTES_PUBLISHED.value: _l("Release notes published"),
    EventType.NEED_CREATED.value: _l("Training need submitted"),
    EventType.NEED_TRIAGED.value: _l("Training need triaged"),
}

DELIVERY_LABELS = {
    DeliveryStatus.PENDING: _l("Pending"),
    DeliveryStatus.DELIVERED: _l("Delivered"),
    DeliveryStatus.FAILED: _l("Failed"),
}
