"""What the feedback pages share: the labels and time zone their templates read, the round_time
filter, the application's secret key, and the POST of a button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, flash, url_for
from flask_wtf import FlaskForm

from tracker.backlog.labels import FORMAT_LABELS
from tracker.feedback import answer_bp, bp
from tracker.feedback.labels import (
    GATE_METRIC_LABELS,
    ITEM_KIND_LABELS,
    ITEM_STATUS_LABELS,
    MY_STATUS_LABELS,
    PHASE_LABELS,
    QUESTION_KIND_LABELS,
    ROUND_STATE_LABELS,
    SEVERITY_HINTS,
    SEVERITY_LABELS,
)
from tracker.formatting import moment
from tracker.web import Submission, submit

T = TypeVar("T")


def feedback_labels() -> dict[str, Any]:
    return {
        "ROUND_STATE_LABELS": ROUND_STATE_LABELS,
        "PHASE_LABELS": PHASE_LABELS,
        "QUESTION_KIND_LABELS": QUESTION_KIND_LABELS,
        "GATE_METRIC_LABELS": GATE_METRIC_LABELS,
        "ITEM_KIND_LABELS": ITEM_KIND_LABELS,
        "SEVERITY_LABELS": SEVERITY_LABELS,
        "SEVERITY_HINTS": SEVERITY_HINTS,
        "ITEM_STATUS_LABELS": ITEM_STATUS_LABELS,
        "MY_STATUS_LABELS": MY_STATUS_LABELS,
        "FORMAT_LABELS": FORMAT_LABELS,
        "time_zone": current_app.config["DEFAULT_TIMEZONE"],
    }


bp.context_processor(feedback_labels)
answer_bp.context_processor(feedback_labels)


@bp.app_template_filter("round_time")
def round_time(value: Any) -> str:
    """A deadline as people read it, in the reader's language and time zone, without seconds,
    in the one style of a moment (tracker.formatting): "5 déc. 2026, 17:56", "Dec 5, 2026,
    5:56 PM" (the mails use it too)."""
    return moment(value)


def secret_key() -> str:
    """The application's secret key: the one new draft keys are made with."""
    return str(current_app.config["SECRET_KEY"])


def old_secret_keys() -> tuple[str, ...]:
    """The keys being rotated out (TRACKER_SECRET_KEY_FALLBACKS): drafts made under one are
    still found, and moved to the current key when next saved."""
    return tuple(current_app.config.get("SECRET_KEY_FALLBACKS") or ())


def time_zone() -> str:
    return str(current_app.config["DEFAULT_TIMEZONE"])


def endpoint_url(endpoint: str, **values: Any) -> str | None:
    """A link to another area's page, when that page exists (the results side, for one)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def press(form: FlaskForm, action: Callable[[], T]) -> Submission[T]:
    """A button's POST (a form of hidden fields): 400 when the form is not valid (its CSRF token,
    a tampered value), else submit(); a service's refusal is flashed, and the caller redirects
    whatever happened."""
    if not form.validate_on_submit():
        abort(400)
    done = submit(form, action)
    for message in [*form.form_errors, *(m for field in form for m in field.errors)]:
        flash(message, "error")
    return done
