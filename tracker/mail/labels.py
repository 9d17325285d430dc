"""Labels of the mail queue's states."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.mail.models import MailStatus

MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: _l("Queued"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.OUTBOX: _l("Kept in outbox"),
    MailStatus.FAILED: _l("Failed"),
}
