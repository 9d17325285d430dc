"""Labels of the feedback vocabulary: round states and phases, question kinds, feedback items."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from tracker.feedback.models import (
    GateMetric,
    ItemKind,
    ItemStatus,
    QuestionKind,
    ResponseState,
    RoundState,
    Severity,
)

ROUND_STATE_LABELS = {
    RoundState.DRAFT: _l("Draft"),
    RoundState.OPEN: _l("Open"),
    RoundState.CLOSED: lazy_pgettext("round", "Closed"),  # French agrees with "campagne"
}
PHASE_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Starts later"),
    "open": _l("Open"),
    "closed": lazy_pgettext("round", "Closed"),
}
QUESTION_KIND_LABELS = {
    QuestionKind.RATING: _l("Rating 1-5"),
    QuestionKind.NPS: _l("Recommendation 0-10 (NPS)"),
    QuestionKind.SINGLE_CHOICE: _l("Single choice"),
    QuestionKind.MULTI_CHOICE: _l("Multiple choice"),
    QuestionKind.YES_NO: _l("Yes / no"),
    QuestionKind.TEXT: _l("Free text"),
}
GATE_METRIC_LABELS = {
    GateMetric.CSAT: _l("CSAT"),
    GateMetric.NPS: _l("NPS"),
    GateMetric.INTENTION: _l("Intention to apply"),
}
ITEM_KIND_LABELS = {
    ItemKind.ISSUE: _l("Problem"),
    ItemKind.IDEA: _l("Idea"),
    ItemKind.PRAISE: _l("Praise"),
    ItemKind.QUESTION: _l("Question"),
}
SEVERITY_LABELS = {
    Severity.BLOCKING: _l("Blocking"),
    Severity.MAJOR: _l("Major"),
    Severity.MINOR: _l("Minor"),
    Severity.COSMETIC: _l("Cosmetic"),
}
SEVERITY_HINTS = {
    Severity.BLOCKING: _l("I could not go on."),
    Severity.MAJOR: _l("It gets in the way of learning."),
    Severity.MINOR: _l("A small hindrance."),
    Severity.COSMETIC: _l("Looks only: a typo, a layout detail."),
}
ITEM_STATUS_LABELS = {
    ItemStatus.NEW: _l("New"),
    ItemStatus.ACCEPTED: _l("Accepted"),
    ItemStatus.PLANNED: _l("Planned"),
    ItemStatus.DONE: _l("Done"),
    ItemStatus.DECLINED: _l("Declined"),
    ItemStatus.DUPLICATE: _l("Duplicate"),
}
MY_STATUS_LABELS = {
    "not_started": _l("Not started"),
    ResponseState.DRAFT.value: _l("Draft saved"),
    ResponseState.SUBMITTED.value: lazy_pgettext("response state", "Submitted"),
}
