"""Labels of the academy's vocabulary: roles, stage categories, WIP policies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from tracker.academies.models import MemberEventKind, Role, StageCategory, WipPolicy

ROLE_LABELS = {
    Role.MANAGER: _l("Manager (DLM)"),
    Role.DESIGNER: _l("Designer"),
    Role.TESTER: _l("Beta tester"),
    Role.STAKEHOLDER: _l("Stakeholder"),
    Role.VENDOR: _l("Vendor"),
}
ROLE_DESCRIPTIONS = {
    Role.MANAGER: _l(
        "Everything in the academy: members, board, sprints, rounds, go/no-go, publishing."
    ),
    Role.DESIGNER: _l("Creates and edits bricks, moves cards, comments, triages feedback."),
    Role.TESTER: _l("Answers the rounds they are invited to and reports feedback."),
    Role.STAKEHOLDER: _l(
        "Reads the roadmap, aggregates and release notes; submits training needs."
    ),
    Role.VENDOR: _l(
        "A vendor's contact: works only on the bricks assigned to their vendor, reads and "
        "answers its specifications, sends quotes."
    ),
}
STAGE_CATEGORY_LABELS = {
    StageCategory.BACKLOG: _l("Backlog"),
    StageCategory.ACTIVE: _l("In progress"),
    StageCategory.REVIEW: _l("Review"),
    StageCategory.DONE: _l("Done"),
}
MEMBER_EVENT_LABELS = {
    MemberEventKind.INVITED: _l("invited"),
    MemberEventKind.JOINED: _l("joined"),
    MemberEventKind.DECLINED: _l("declined the invitation"),
    MemberEventKind.INVITATION_REVOKED: _l("invitation cancelled"),
    MemberEventKind.ROLE_CHANGED: _l("role changed"),
    MemberEventKind.REMOVED: _l("removed"),
}
WIP_POLICY_LABELS = {WipPolicy.WARN: _l("Warn"), WipPolicy.BLOCK: _l("Block")}


def role_count(role: Role, count: int) -> str:
    """ "3 beta testers": the role's label agreeing with the number."""
    if role == Role.MANAGER:
        return ngettext("%(num)s manager (DLM)", "%(num)s managers (DLM)", count)
    if role == Role.DESIGNER:
        return ngettext("%(num)s designer", "%(num)s designers", count)
    if role == Role.TESTER:
        return ngettext("%(num)s beta tester", "%(num)s beta testers", count)
    return ngettext("%(num)s stakeholder", "%(num)s stakeholders", count)
