"""Labels of the learning data's vocabulary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.learning.models import EvaluationKind

EVALUATION_KIND_LABELS = {
    EvaluationKind.REACTION: _l("Reaction at J+0"),
    EvaluationKind.TRANSFER_30: _l("Transfer at J+30"),
    EvaluationKind.TRANSFER_90: _l("Transfer at J+90"),
}
