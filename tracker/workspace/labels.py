"""What each notification says."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from tracker.workspace.models import DigestFrequency, NotificationKind

KIND_LABELS: dict[NotificationKind, LazyString] = {
    NotificationKind.MENTION: _l("You were mentioned"),
    NotificationKind.ASSIGNED: _l("A brick was assigned to you"),
    NotificationKind.REVIEWER: _l("You are the reviewer of a brick"),
    NotificationKind.IN_REVIEW: _l("Your brick moved into review"),
    NotificationKind.DONE: _l("Your brick is done"),
    NotificationKind.INVITED: _l("You are invited to a feedback round"),
    NotificationKind.DECISION: _l("A go/no-go decision was taken"),
    NotificationKind.NOTES: _l("Release notes were published"),
    NotificationKind.EVALUATION: _l("An evaluation opened: share its public link"),
    NotificationKind.EVALUATION_CLOSING: _l("An evaluation closes soon: share its link again"),
}
FREQUENCY_LABELS: dict[DigestFrequency, LazyString] = {
    DigestFrequency.IMMEDIATE: _l("Right away"),
    DigestFrequency.DAILY: _l("Once a day"),
    DigestFrequency.NEVER: _l("Never"),
}
