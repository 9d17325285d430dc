"""What the search page calls each kind of result."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from tracker.search.models import DocumentKind

KIND_LABELS: dict[DocumentKind, LazyString] = {
    DocumentKind.BRICK: _l("Bricks"),
    DocumentKind.NEED: _l("Training needs"),
    DocumentKind.RELEASE: _l("Releases"),
    DocumentKind.ROUND: _l("Feedback rounds"),
    DocumentKind.PATH: _l("Learning paths"),
}
