"""Release forms: shape checks; the unique-name rule comes in as a callable (STYLE.md ex. 3)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tracker.forms import (
    BoundedDateField,
    UniqueNameForm,
    choices,
    long_text,
    once_field,
    text_field,
)
from tracker.releases.models import DecisionOutcome


class CreateReleaseForm(UniqueNameForm):
    name_taken_message = _l("Another release already has this name.")

    once = once_field()  # the edit form inherits it, unused
    name = text_field(
        _l("Name"),
        120,
        required=True,
        in_headers=True,  # in the subject of the release-note e-mails
        description=_l("For example “Increment 1 — Digital foundations”."),
    )
    goal = long_text(_l("Goal"), 5000, _l("What this increment brings, and to whom. Markdown."))
    target_date = BoundedDateField(_l("Target date"), validators=[Optional()])


class EditReleaseForm(CreateReleaseForm):
    pass


class RecordDecisionForm(FlaskForm):
    """Go, go with reserves, or no-go, on the release's last closed round."""

    once = once_field()

    outcome = RadioField(
        _l("Decision"),
        choices=choices(
            [
                (DecisionOutcome.GO.value, _l("Go: release it as it is")),
                (DecisionOutcome.GO_WITH_RESERVES.value, _l("Go with reserves")),
                (DecisionOutcome.NO_GO.value, _l("No-go: back to planned, act on the feedback")),
            ]
        ),
        validators=[InputRequired(_l("Choose a decision."))],
    )
    reserves = long_text(
        _l("Reserves"),
        5000,
        _l("Required for a go with reserves: what must still be fixed, and by when."),
    )
    comment = long_text(
        _l("Comment"), 5000, _l("Why this decision: the team and the history keep it.")
    )


class MarkReleasedForm(FlaskForm):
    # Each unfinished brick's destination comes as brick_<number> (see releases.views).
    unfinished_reason = TextAreaField(
        _l("Reason for releasing unfinished bricks"),
        validators=[Length(max=2000)],
        description=_l(
            "Only for the bricks kept in the release although they are not done: why they "
            "ship anyway. The release's history keeps it with their keys."
        ),
    )
    override_reason = TextAreaField(
        _l("Reason for the override"),
        validators=[Length(max=2000)],
        description=_l(
            "Only when the gate of the last round did not pass: why the release goes out anyway. "
            "It is shown wherever the release is shown."
        ),
    )


class EditNotesForm(FlaskForm):
    """The release notes in Markdown; the pressed button (preview, save, publish) is `action`."""

    body = TextAreaField(
        _l("Release notes (Markdown)"),
        validators=[Length(max=100_000)],
        render_kw={"rows": 24, "spellcheck": "true"},
    )
