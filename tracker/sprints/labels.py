"""Labels of the sprints' vocabulary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.sprints.models import SprintState

SPRINT_STATE_LABELS = {
    SprintState.PLANNED: _l("Planned"),
    SprintState.ACTIVE: _l("Active"),
    SprintState.CLOSED: _l("Closed"),
}
