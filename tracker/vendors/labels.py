"""How the vendors' values read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.vendors.models import LmsStandard, QuoteStatus, SourceKind

LMS_LABELS = {
    LmsStandard.SCORM_12: _l("SCORM 1.2"),
    LmsStandard.SCORM_2004: _l("SCORM 2004"),
    LmsStandard.XAPI: _l("xAPI"),
    LmsStandard.CMI5: _l("cmi5"),
}
SOURCE_LABELS = {
    SourceKind.BRICK: _l("Brick"),
    SourceKind.PATH: _l("Learning path"),
    SourceKind.RELEASE: _l("Release"),
}
QUOTE_STATUS_LABELS = {
    QuoteStatus.PENDING: _l("Waiting for a decision"),
    QuoteStatus.ACCEPTED: _l("Accepted"),
    QuoteStatus.REFUSED: _l("Refused"),
}
