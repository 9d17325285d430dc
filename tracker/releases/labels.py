"""Labels of the releases' vocabulary: states and go/no-go outcomes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from tracker.releases.models import DecisionOutcome, ReleaseState

RELEASE_STATE_LABELS = {
    # A context: French agrees these with "livraison" (feminine), unlike a sprint's states.
    ReleaseState.PLANNED: lazy_pgettext("release", "Planned"),
    ReleaseState.IN_BETA: lazy_pgettext("release", "In beta"),
    ReleaseState.APPROVED: lazy_pgettext("release", "Approved"),
    ReleaseState.REJECTED: lazy_pgettext("release", "Rejected"),
    ReleaseState.RELEASED: lazy_pgettext("release", "Released"),
}
DECISION_LABELS = {
    DecisionOutcome.GO: _l("Go"),
    DecisionOutcome.GO_WITH_RESERVES: _l("Go with reserves"),
    DecisionOutcome.NO_GO: _l("No-go"),
}
