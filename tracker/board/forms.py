"""Board forms: the filters (GET, shared in links) and the "move to" form (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tracker.academies.models import Stage
from tracker.backlog.labels import FORMAT_LABELS
from tracker.backlog.models import BrickFormat
from tracker.board.queries import NONE, BoardFilters, BoardOptions
from tracker.forms import choices, optional_number

ALL_VALUE = "all"
NONE_VALUE = "none"


class FilterBoardForm(FlaskForm):
    """The filters, read from the query string so that a board can be shared as a link.

    The sprint defaults to the active one; "all" shows every sprint (and none).
    """

    class Meta:
        csrf = False  # a GET form that changes nothing

    sprint = SelectField(_l("Sprint"), default="")
    owner = SelectField(_l("Owner"), default="")
    format = SelectField(_l("Format"), default="")
    path = SelectField(_l("Learning path"), default="")
    lanes = HiddenField(default="")
    done = HiddenField(default="")

    def __init__(self, formdata: Any, *, options: BoardOptions, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        anything = _l("All")
        active = options.active_sprint
        default = (
            [
                # gettext, not lazy_gettext: a lazy string counts as safe HTML (__html__), so
                # the sprint's name in it would reach the page unescaped.
                ("", _("Current sprint (%(name)s)", name=active.name)),
                (ALL_VALUE, _l("All sprints")),
            ]
            if active
            else [("", _l("All sprints"))]
        )
        self.sprint.choices = choices(
            [
                *default,
                (NONE_VALUE, _l("No sprint")),
                *[(str(s.id), s.name) for s in options.sprints if s is not active],
            ]
        )
        self.owner.choices = choices(
            [
                ("", anything),
                (NONE_VALUE, _l("Nobody")),
                *[(str(u.id), u.display_name) for u in options.owners],
            ]
        )
        self.format.choices = choices(
            [("", anything), *[(f.value, label) for f, label in FORMAT_LABELS.items()]]
        )
        self.path.choices = choices(
            [
                ("", anything),
                (NONE_VALUE, _l("No path")),
                *[(str(p.id), p.name) for p in options.paths],
            ]
        )
        self._active_id = active.id if active else None

    def to_filters(self) -> BoardFilters:
        """The valid filters; a value not in its list (a stale link) is dropped, not an error."""
        self.validate()

        def ref(field: SelectField) -> int | None:
            if field.errors or not field.data or field.data == ALL_VALUE:
                return None
            return NONE if field.data == NONE_VALUE else int(field.data)

        sprint = self._active_id if not self.sprint.data else ref(self.sprint)
        return BoardFilters(
            sprint_id=sprint,
            owner_id=ref(self.owner),
            format=BrickFormat(self.format.data)
            if self.format.data and not self.format.errors
            else None,
            learning_path_id=ref(self.path),
            all_done=self.done.data == ALL_VALUE,
            lanes=self.lanes.data == "path",
        )


class MoveCardForm(FlaskForm):
    """Move one card: to a column, at a position; the version is the one the person saw."""

    stage = SelectField(_l("Column"), validators=[DataRequired()])
    position = optional_number(
        _l("Position in the column"),
        1,
        1_000_000,
        _l("1 puts it at the top; leave empty for the bottom."),
    )
    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
    override_reason = TextAreaField(
        _l("Reason to override the definition of done"),
        validators=[Optional(), Length(max=1000)],
        description=_l(
            "Only when moving to a done column a card whose checklist is not complete. "
            "The reason is kept in its history."
        ),
    )

    def __init__(self, *args: Any, stages: list[Stage], can_override: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = choices([(str(s.id), s.name) for s in stages])
        if not can_override:
            del self.override_reason
