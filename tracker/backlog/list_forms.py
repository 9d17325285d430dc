"""Forms of the backlog list: filters (GET), moves, bulk assignment, import upload and confirm."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from tracker.backlog.columns import OPTIONAL_COLUMNS
from tracker.backlog.labels import FORMAT_LABELS
from tracker.backlog.models import BrickFormat, LearningPath
from tracker.backlog.queries import SORTS, UNASSIGNED, BacklogChoices, BacklogFilters
from tracker.backlog.reorder import Step
from tracker.db import INTEGER_MAX, parse_whole
from tracker.forms import BoundedIntegerField, choices, once_field, optional_number, whole

if TYPE_CHECKING:
    from tracker.releases.models import Release
    from tracker.sprints.models import Sprint


def _printable(text: str) -> str:
    """Search words without control characters (PostgreSQL refuses NUL in a string)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


NONE_VALUE = "none"  # "not assigned" in a filter or a bulk assignment


def _reference_choices(items: list[tuple[int, str]], *, empty: Any, none_label: Any) -> list[Any]:
    return choices([("", empty), (NONE_VALUE, none_label), *[(str(i), n) for i, n in items]])


class FilterBacklogForm(FlaskForm):
    """The filters, read from the query string so that a filtered view can be shared."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    q = SearchField(_l("Search"), description=_l("In titles and descriptions, or a key."))
    format = SelectField(_l("Format"), default="")
    path = SelectField(_l("Learning path"), default="")
    stage = SelectField(_l("Stage"), default="")
    owner = SelectField(_l("Owner"), default="")
    sprint = SelectField(_l("Sprint"), default="")
    release = SelectField(_l("Release"), default="")
    language = SelectField(_l("Language"), default="")
    # The column sorted by (queries.SORTS; "-" first: descending), set by the table's headers.
    sort = SelectField(
        _l("Sorted by"),
        default="",
        choices=choices(
            [("", ""), *[(f"{sign}{name}", name) for name in SORTS for sign in ("", "-")]]
        ),
    )

    def __init__(self, formdata: Any, *, options: BacklogChoices, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        anything = _l("All")
        self.format.choices = choices(
            [("", anything), *[(f.value, label) for f, label in FORMAT_LABELS.items()]]
        )
        self.path.choices = _reference_choices(
            [(p.id, p.name) for p in options.paths], empty=anything, none_label=_l("No path")
        )
        self.stage.choices = choices(
            [("", anything), *[(str(s.id), s.name) for s in options.stages]]
        )
        self.owner.choices = _reference_choices(
            [(u.id, u.display_name) for u in options.owners],
            empty=anything,
            none_label=_l("Nobody"),
        )
        self.sprint.choices = _reference_choices(
            [(s.id, s.name) for s in options.sprints], empty=anything, none_label=_l("No sprint")
        )
        self.release.choices = _reference_choices(
            [(r.id, r.name) for r in options.releases],
            empty=anything,
            none_label=_l("No release"),
        )
        self.language.choices = choices(
            [("", anything), *[(code, code) for code in options.languages]]
        )

    def to_filters(self) -> BacklogFilters:
        """The valid filters; a value not in its list (a stale link) is dropped, not an error."""
        self.validate()

        def ref(field: SelectField) -> int | None:
            if field.errors or not field.data:
                return None
            return UNASSIGNED if field.data == NONE_VALUE else int(field.data)

        return BacklogFilters(
            format=BrickFormat(self.format.data)
            if self.format.data and not self.format.errors
            else None,
            learning_path_id=ref(self.path),
            stage_id=None if self.stage.errors or not self.stage.data else int(self.stage.data),
            owner_id=ref(self.owner),
            sprint_id=ref(self.sprint),
            release_id=ref(self.release),
            language=self.language.data
            if self.language.data and not self.language.errors
            else None,
            text=_printable(self.q.data or "")[:200],
            sort="" if self.sort.errors else self.sort.data or "",
        )


def check_chosen_bricks(field: SelectMultipleField) -> None:
    """Bricks chosen by their checkboxes: at least one, at most 1,000, each a possible id."""
    if not field.data:
        raise ValidationError(_l("Select at least one brick."))
    if len(field.data) > 1000:
        raise ValidationError(_l("Select at most 1,000 bricks at once."))
    if any(not 0 < number <= INTEGER_MAX for number in field.data):
        raise ValidationError(_l("Choose a value from the list."))


class MoveBrickForm(FlaskForm):
    """The keyboard and no-JavaScript move controls of one row."""

    action = SelectField(
        choices=choices([*[(s.value, s.value) for s in Step], ("position", "position")]),
        validators=[DataRequired()],
    )
    position = optional_number(_l("Position"), 1, 1_000_000)

    def validate_position(self, field: BoundedIntegerField) -> None:
        if self.action.data == "position" and field.data is None:
            raise ValidationError(_l("Give a position number."))


_MOVE_RE = re.compile(r"^(\d{1,9}) (up|down|top|bottom|position)$")
_POSITION_NAME_RE = re.compile(r"^p(\d{1,9})$")
MAX_POSITION = 1_000_000


class MoveFromListForm(FlaskForm):
    """The move menus of the backlog's rows, one form for the page (its CSRF token said once):
    each row's buttons send "<number> <move>" and its position field is named p<number>. Enter
    in a position field submits the form's first button, which sends "": the one position
    field filled then says the row. Valid, the form knows `number`, `action` and `position`."""

    move = StringField(_l("Move"), validators=[Length(max=40)])

    def __init__(self, *args: Any, typed: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The position fields filled in (p<number> -> what was typed).
        self.typed = {
            int(match.group(1)): str(value).strip()
            for name, value in typed.items()
            if (match := _POSITION_NAME_RE.match(name)) and str(value).strip()
        }
        self.number: int | None = None
        self.action = ""
        self.position: int | None = None

    def validate_move(self, field: StringField) -> None:
        asked = (field.data or "").strip()
        if asked:
            match = _MOVE_RE.match(asked)
            if match is None:
                raise ValidationError(_l("Choose a move."))
            self.number, self.action = int(match.group(1)), match.group(2)
            if self.action != "position":
                return
            typed = self.typed.get(self.number, "")
        elif len(self.typed) > 1:
            raise ValidationError(_l("Type one position at a time."))
        elif not self.typed:
            raise ValidationError(_l("Give a position number."))
        else:
            (self.number, typed), *_others = self.typed.items()
            self.action = "position"
        if not typed:
            raise ValidationError(_l("Give a position number."))
        position = parse_whole(typed)
        if position is None or not 1 <= position <= MAX_POSITION:
            raise ValidationError(
                _(
                    "Enter a whole number between %(minimum)s and %(maximum)s.",
                    minimum=format_decimal(1),
                    maximum=format_decimal(MAX_POSITION),
                )
            )
        self.position = position


class ChooseColumnsForm(FlaskForm):
    """The backlog's optional columns the person shows (checked) or hides."""

    shown = SelectMultipleField(
        _l("Columns shown"), choices=choices(list(OPTIONAL_COLUMNS.items()))
    )


class QuickAddForm(FlaskForm):
    """A brick from one line at the top of the backlog: a title and a format; the rest takes
    the defaults of a new brick (first stage, the academy's language, bottom of the backlog)."""

    once = once_field()
    title = StringField(
        _l("Title of the new brick"),
        validators=[DataRequired(), Length(max=200)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    format = SelectField(
        _l("Format"),
        validators=[DataRequired()],
        choices=choices(
            [("", _l("Choose a format")), *[(f.value, label) for f, label in FORMAT_LABELS.items()]]
        ),
    )


class SaveViewForm(FlaskForm):
    """Names the filters shown, to find them again (tracker.backlog.saved_views)."""

    name = StringField(
        _l("Name of the view"),
        validators=[DataRequired(), Length(max=80)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    shared = BooleanField(_l("Share with the team"))


class AssignBricksForm(FlaskForm):
    """Bulk assignment: each select either leaves the field unchanged, clears it, or sets it."""

    bricks = SelectMultipleField(_l("Bricks"), coerce=whole, validate_choice=False)
    sprint = SelectField(_l("Sprint"), default="")
    release = SelectField(_l("Release"), default="")
    path = SelectField(_l("Learning path"), default="")
    owner = SelectField(_l("Owner"), default="")
    scope_reason = StringField(
        _l("Why the sprint's scope changes"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Needed when bricks join or leave a sprint that has started."),
    )

    def __init__(self, *args: Any, options: BacklogChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named: list[tuple[SelectField, Sequence[Sprint | Release | LearningPath], Any]] = [
            (self.sprint, options.sprints, _l("Remove from its sprint")),
            (self.release, options.releases, _l("Remove from its release")),
            (self.path, options.paths, _l("Remove from its path")),
        ]
        for field, rows, none_label in named:
            pairs = [(row.id, row.name) for row in rows]
            field.choices = _reference_choices(pairs, empty=_l("Unchanged"), none_label=none_label)
        self.owner.choices = _reference_choices(
            [(u.id, u.display_name) for u in options.owners],
            empty=_l("Unchanged"),
            none_label=_l("Nobody"),
        )

    def validate_bricks(self, field: SelectMultipleField) -> None:
        check_chosen_bricks(field)

    def changes(self) -> dict[str, int | None]:
        """The brick fields to set ({} when every select says "unchanged")."""
        found: dict[str, int | None] = {}
        for name, brick_field in (
            ("sprint", "sprint_id"),
            ("release", "release_id"),
            ("path", "learning_path_id"),
            ("owner", "owner_id"),
        ):
            value = getattr(self, name).data
            if value:
                found[brick_field] = None if value == NONE_VALUE else int(value)
        return found

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.changes():
            self.form_errors.append(str(_l("Choose what to assign to the selected bricks.")))
            return False
        return valid


class ImportBricksForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel (XLSX) file"),
        validators=[FileRequired(_l("Choose a file to import."))],
    )
