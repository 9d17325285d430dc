"""What templates can use: permissions, the current academy, labels, Markdown, formatting."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_locale, lazy_pgettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.academies.models import Role, StageCategory, WipPolicy
from tracker.auth.permissions import Permission, can
from tracker.backlog.models import NeedStatus
from tracker.mail.models import MailStatus
from tracker.markdown import render_markdown
from tracker.releases.models import ReleaseState
from tracker.sprints.models import SprintState

ROLE_LABELS = {
    Role.MANAGER: _l("Manager (DLM)"),
    Role.DESIGNER: _l("Designer"),
    Role.TESTER: _l("Beta tester"),
    Role.STAKEHOLDER: _l("Stakeholder"),
}
ROLE_DESCRIPTIONS = {
    Role.MANAGER: _l(
        "Everything in the academy: members, board, sprints, rounds, go/no-go, publishing."
    ),
    Role.DESIGNER: _l("Edits bricks, moves cards, comments, triages feedback."),
    Role.TESTER: _l("Answers the rounds they are invited to and reports feedback."),
    Role.STAKEHOLDER: _l(
        "Reads the roadmap, aggregates and release notes; submits training needs."
    ),
}
STAGE_CATEGORY_LABELS = {
    StageCategory.BACKLOG: _l("Backlog"),
    StageCategory.ACTIVE: _l("In progress"),
    StageCategory.REVIEW: _l("Review"),
    StageCategory.DONE: _l("Done"),
}
WIP_POLICY_LABELS = {WipPolicy.WARN: _l("Warn"), WipPolicy.BLOCK: _l("Block")}
RELEASE_STATE_LABELS = {
    # A context: French agrees these with "livraison" (feminine), unlike a sprint's states.
    ReleaseState.PLANNED: lazy_pgettext("release", "Planned"),
    ReleaseState.IN_BETA: lazy_pgettext("release", "In beta"),
    ReleaseState.APPROVED: lazy_pgettext("release", "Approved"),
    ReleaseState.REJECTED: lazy_pgettext("release", "Rejected"),
    ReleaseState.RELEASED: lazy_pgettext("release", "Released"),
}
SPRINT_STATE_LABELS = {
    SprintState.PLANNED: _l("Planned"),
    SprintState.ACTIVE: _l("Active"),
    SprintState.CLOSED: _l("Closed"),
}
NEED_STATUS_LABELS = {
    NeedStatus.NEW: _l("New"),
    NeedStatus.ACCEPTED: _l("Accepted"),
    NeedStatus.PLANNED: _l("Planned"),
    NeedStatus.DELIVERED: _l("Delivered"),
    NeedStatus.DECLINED: _l("Declined"),
}


def role_count(role: Role, count: int) -> str:
    """ "3 beta testers": the role's label agreeing with the number."""
    if role == Role.MANAGER:
        return ngettext("%(num)s manager (DLM)", "%(num)s managers (DLM)", count)
    if role == Role.DESIGNER:
        return ngettext("%(num)s designer", "%(num)s designers", count)
    if role == Role.TESTER:
        return ngettext("%(num)s beta tester", "%(num)s beta testers", count)
    return ngettext("%(num)s stakeholder", "%(num)s stakeholders", count)


LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: _l("Queued"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.OUTBOX: _l("Kept in outbox"),
    MailStatus.FAILED: _l("Failed"),
}


def my_academies() -> list[Any]:
    """The academies of the logged-in person (one query per request, shared by the layout)."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("_my_academies")
    if cached is None:
        from tracker.academies.services import academies_of
        from tracker.db import db

        cached = academies_of(db.session, current_user)
        g._my_academies = cached
    return cached


def init_app(app: Flask) -> None:
    from tracker.backlog.paths_services import colour_class

    app.jinja_env.filters["markdown"] = render_markdown
    # A learning path's colour as a CSS class (static/css/brique.css): no inline style.
    app.jinja_env.globals["path_colour_class"] = colour_class
    app.jinja_env.globals.update(
        can=can,
        role_count=role_count,
        P=Permission,
        Role=Role,
        ROLE_LABELS=ROLE_LABELS,
        ROLE_DESCRIPTIONS=ROLE_DESCRIPTIONS,
        STAGE_CATEGORY_LABELS=STAGE_CATEGORY_LABELS,
        WIP_POLICY_LABELS=WIP_POLICY_LABELS,
        RELEASE_STATE_LABELS=RELEASE_STATE_LABELS,
        SPRINT_STATE_LABELS=SPRINT_STATE_LABELS,
        NEED_STATUS_LABELS=NEED_STATUS_LABELS,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        MAIL_STATUS_LABELS=MAIL_STATUS_LABELS,
        my_academies=my_academies,
        current_locale=lambda: str(get_locale() or "fr"),
    )

    @app.context_processor
    def current_academy() -> dict[str, Any]:
        return {"academy": g.get("academy")}
