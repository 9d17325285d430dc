"""The permission vocabulary (resource:action), who holds what, and the one `can` check.

Deny by default: a permission not granted here is refused, to everyone.
"""

from __future__ import annotations

import enum
from typing import Any

from flask import g, has_app_context
from sqlalchemy import select

from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.db import db


class Permission(enum.StrEnum):
    # Site level (is_admin).
    ACADEMY_CREATE = "academy:create"
    USER_MANAGE = "user:manage"
    OUTBOX_READ = "outbox:read"
    # Academy level.
    ACADEMY_VIEW = "academy:view"
    ACADEMY_EDIT = "academy:edit"
    MEMBER_LIST = "member:list"
    MEMBER_INVITE = "member:invite"
    MEMBER_MANAGE = "member:manage"
    # Service accounts act in the academy with a role (its content included): managers only,
    # never the site admin as installer (ADMIN_IN_ACADEMY), who may not read the content.
    SERVICE_ACCOUNT_MANAGE = "service_account:manage"
    # The backlog.
    BRICK_VIEW = "brick:view"
    BRICK_CREATE = "brick:create"
    BRICK_EDIT = "brick:edit"
    BRICK_DELETE = "brick:delete"
    BRICK_COMMENT = "brick:comment"
    BACKLOG_REORDER = "backlog:reorder"
    BACKLOG_IMPORT = "backlog:import"
    BACKLOG_EXPORT = "backlog:export"
    CHECKLIST_MANAGE = "checklist:manage"  # definition-of-done templates
    CHECKLIST_TICK = "checklist:tick"
    PATH_VIEW = "path:view"
    PATH_MANAGE = "path:manage"
    RELEASE_VIEW = "release:view"
    RELEASE_MANAGE = "release:manage"
    SPRINT_VIEW = "sprint:view"
    SPRINT_MANAGE = "sprint:manage"
    # Velocity, cumulative flow, lead/cycle times: aggregates with no name or answer in them.
    REPORT_VIEW = "report:view"
    # The board and its stages.
    BOARD_VIEW = "board:view"
    CARD_MOVE = "card:move"
    STAGE_MANAGE = "stage:manage"
    DONE_OVERRIDE = "done:override"  # into a done stage with an incomplete checklist, with a reason
    # Training needs.
    NEED_SUBMIT = "need:submit"
    NEED_VIEW_ALL = "need:view_all"  # every need of the academy (else only one's own)
    NEED_TRIAGE = "need:triage"
    NEED_COVERAGE = "need:coverage"  # aggregates per business unit
    # Beta-test feedback rounds.
    PANEL_MANAGE = "panel:manage"  # tester panel: import, profiles, segments
    ROUND_VIEW = "round:view"  # rounds of the academy, their settings and progress
    ROUND_MANAGE = "round:manage"  # create, edit the questionnaire, open, invite, remind
    ROUND_CLOSE = "round:close"
    ROUND_RESULTS = "round:results"  # figures and free-text answers (never to stakeholders)
    ROUND_EXPORT = "round:export"
    ITEM_TRIAGE = "item:triage"  # feedback items: status, turn into a brick
    ROUND_ANSWER = "round:answer"  # "my rounds": only those one is invited to
    # Releases: go/no-go, release notes, the roadmap and the stakeholder's home.
    RELEASE_DECIDE = "release:decide"  # go/no-go, mark released (with an override, a reason)
    RELEASE_PUBLISH = "release:publish"  # write and publish release notes
    NOTES_READ = "notes:read"  # published notes; testers only those of releases they tested
    ROADMAP_VIEW = "roadmap:view"
    STAKEHOLDER_HOME = "stakeholder:home"  # the sponsor's page (managers may preview it)
    # Webhooks: subscribe URLs to the academy's events, read their delivery log (managers only:
    # the events carry the academy's content out of Brique).
    WEBHOOK_MANAGE = "webhook:manage"
    # Learning data (after the release): the LRS and LMS-export settings, pulls and imports;
    # learners' outcomes per brick are aggregates (no learner is ever shown).
    LEARNING_MANAGE = "learning:manage"
    LEARNING_LINK = "learning:link"  # a brick's LMS course id and xAPI activity IRIs
    OUTCOME_VIEW = "outcome:view"
    # Vendors (tracker/vendors).
    VENDOR_VIEW = "vendor:view"  # the directory, specifications, the scorecard
    VENDOR_MANAGE = "vendor:manage"  # edit the directory, invite contacts, assign, specify, send
    BUDGET_MANAGE = "budget:manage"  # quotes' decisions, planned costs, the budget and its export
    VENDOR_PORTAL = "vendor:portal"  # a vendor's member: their bricks, specifications, quotes


P = Permission

SITE_ADMIN: frozenset[Permission] = frozenset({P.ACADEMY_CREATE, P.USER_MANAGE, P.OUTBOX_READ})

# The site admin runs the instance (SITE_ADMIN: academies, accounts, the outbox's metadata).
# Inside any academy he may run it as an installer (settings, its people), never read its
# content: backlog, board, sprints, rounds, results, exports are refused him (issue 18.2). What
# he does to an academy's people is in its history and e-mailed to its managers
# (academies.services.record_member_event); he cannot invite himself, so he reads content only
# as a member a manager invited, once he accepted, which the history marks too.
ADMIN_IN_ACADEMY: frozenset[Permission] = frozenset(
    {P.ACADEMY_VIEW, P.ACADEMY_EDIT, P.MEMBER_LIST, P.MEMBER_INVITE, P.MEMBER_MANAGE}
)

_ALL_MEMBERS: frozenset[Permission] = frozenset({P.ACADEMY_VIEW})

# The people who build bricks: they see the whole backlog and work on it, and add bricks to it
# (one by one, as they already do from a feedback item; importing, deleting and reordering the
# backlog stay the manager's).
_BUILDERS: frozenset[Permission] = frozenset(
    {
        P.BRICK_VIEW,
        P.BRICK_CREATE,
        P.BRICK_EDIT,
        P.BRICK_COMMENT,
        P.BACKLOG_EXPORT,
        P.CHECKLIST_TICK,
        P.PATH_VIEW,
        P.RELEASE_VIEW,
        P.SPRINT_VIEW,
        P.REPORT_VIEW,
        P.BOARD_VIEW,
        P.CARD_MOVE,
        P.NEED_VIEW_ALL,
        P.NEED_COVERAGE,
        P.ROUND_VIEW,
        P.ROUND_RESULTS,
        P.ROUND_EXPORT,
        P.ITEM_TRIAGE,
        P.NOTES_READ,
        P.ROADMAP_VIEW,
        P.LEARNING_LINK,
        P.OUTCOME_VIEW,
        P.VENDOR_VIEW,
    }
)

# What a vendor's member may do to a brick: only to a brick of their own vendor
# (`can(..., brick=...)`); without a brick, BRICK_VIEW means "the list of their bricks" (which
# every brick query narrows with `brick_scope`) and the others are refused.
BRICK_SCOPED: frozenset[Permission] = frozenset(
    {P.BRICK_VIEW, P.BRICK_EDIT, P.BRICK_COMMENT, P.CHECKLIST_TICK}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MANAGER: _ALL_MEMBERS
    | _BUILDERS
    | {
        P.ACADEMY_EDIT,
        P.MEMBER_LIST,
        P.MEMBER_INVITE,
        P.MEMBER_MANAGE,
        P.SERVICE_ACCOUNT_MANAGE,
        P.BRICK_DELETE,
        P.BACKLOG_REORDER,
        P.BACKLOG_IMPORT,
        P.CHECKLIST_MANAGE,
        P.PATH_MANAGE,
        P.RELEASE_MANAGE,
        P.SPRINT_MANAGE,
        P.STAGE_MANAGE,
        P.DONE_OVERRIDE,
        P.NEED_SUBMIT,
        P.NEED_TRIAGE,
        P.PANEL_MANAGE,
        P.ROUND_MANAGE,
        P.ROUND_CLOSE,
        P.RELEASE_DECIDE,
        P.RELEASE_PUBLISH,
        P.STAKEHOLDER_HOME,
        P.WEBHOOK_MANAGE,
        P.LEARNING_MANAGE,
        P.VENDOR_MANAGE,
        P.BUDGET_MANAGE,
    },
    Role.DESIGNER: _ALL_MEMBERS | _BUILDERS,
    # Testers see only the rounds they are invited to (feedback area), never the backlog.
    # NOTES_READ: the views narrow it to the releases of rounds the tester was invited to.
    Role.TESTER: _ALL_MEMBERS | {P.ROUND_ANSWER, P.NOTES_READ},
    # Stakeholders read aggregates and submit needs; they follow only their own needs.
    Role.STAKEHOLDER: _ALL_MEMBERS
    | {
        P.NEED_SUBMIT,
        P.NEED_COVERAGE,
        P.REPORT_VIEW,
        P.NOTES_READ,
        P.ROADMAP_VIEW,
        P.STAKEHOLDER_HOME,
    },
    # A vendor's contact: a designer limited to the bricks assigned to their vendor; no board,
    # sprint, round, release, path or need (they show other bricks), their portal instead.
    Role.VENDOR: _ALL_MEMBERS | BRICK_SCOPED | {P.VENDOR_PORTAL},
}


def _memberships(user: Any) -> tuple[dict[int, Role], dict[int, int]]:
    """The user's role in each academy and, for a vendor's member, their vendor there; loaded
    once per request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}, {}
    cached = g.get("_roles") if has_app_context() else None
    if cached is not None and cached[0] == user.id:
        return cached[1], cached[2]
    rows = db.session.execute(
        select(Membership.academy_id, Membership.role, Membership.vendor_id).where(
            Membership.user_id == user.id
        )
    ).all()
    roles = {academy_id: role for academy_id, role, _vendor in rows}
    vendors = {academy_id: vendor for academy_id, _role, vendor in rows if vendor is not None}
    if has_app_context():
        g._roles = (user.id, roles, vendors)
    return roles, vendors


def roles_of(user: Any) -> dict[int, Role]:
    """The user's role in each academy, loaded once per request."""
    return _memberships(user)[0]


def vendor_of(user: Any, academy: Academy | None) -> int | None:
    """The vendor a vendor's member works for in `academy` (None for everyone else)."""
    if academy is None:
        return None
    return _memberships(user)[1].get(academy.id)


def forget_roles() -> None:
    """Call after changing memberships within a request."""
    if has_app_context():
        g.pop("_roles", None)


def role_in(user: Any, academy: Academy | None) -> Role | None:
    if academy is None:
        return None
    return roles_of(user).get(academy.id)


def can(
    user: Any, permission: Permission | str, academy: Academy | None = None, *, brick: Any = None
) -> bool:
    """May this user do this, here (to this `brick`, anything with a `vendor_id`)? Unknown
    permissions and anonymous users are refused.

    The user's role comes from roles_of (read once per request); a service, which reads no
    request state, asks `allows` with the role it read itself."""
    return allows(
        user,
        permission,
        academy,
        role=role_in(user, academy),
        vendor_id=vendor_of(user, academy),
        brick=brick,
    )


def can_on_brick_number(
    user: Any, permission: Permission | str, academy: Academy | None, number: int
) -> bool:
    """`can` for the brick numbered `number` of the academy (a route's <number>). Only a vendor's
    member costs a query: everyone else's answer does not depend on the brick."""
    if academy is not None and role_in(user, academy) == Role.VENDOR:
        vendor_id = db.session.scalar(
            select(Brick.vendor_id).where(Brick.academy_id == academy.id, Brick.number == number)
        )
        return can(user, permission, academy, brick=_BrickRef(vendor_id))
    return can(user, permission, academy)


class _BrickRef:
    def __init__(self, vendor_id: int | None) -> None:
        self.vendor_id = vendor_id


def brick_scope(user: Any, academy: Academy) -> Any:
    """The SQL condition narrowing every list of bricks to what the user may see: a vendor's
    member sees the bricks of their vendor only; everyone else with BRICK_VIEW the academy's.
    None: no narrowing."""
    if role_in(user, academy) != Role.VENDOR:
        return None
    return Brick.vendor_id == vendor_of(user, academy)


def allows(
    user: Any,
    permission: Permission | str,
    academy: Academy | None,
    *,
    role: Role | None,
    vendor_id: int | None = None,
    brick: Any = None,
) -> bool:
    """The rule itself, reading nothing: may `user`, whose role in `academy` is `role` (None: no
    membership; `vendor_id`: the vendor of a vendor's member), do this there (to `brick`)? Used
    by `can` and by every service that checks a role."""
    try:
        permission = Permission(permission)
    except ValueError:
        return False
    if role == Role.VENDOR and permission in BRICK_SCOPED:
        if brick is None:
            if permission != P.BRICK_VIEW:
                return False
        elif vendor_id is None or getattr(brick, "vendor_id", None) != vendor_id:
            return False
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if isinstance(user, User) and user.is_admin:
        if permission in SITE_ADMIN:
            return True
        if academy is not None and permission in ADMIN_IN_ACADEMY:
            return True
    if academy is None:
        return False
    return role is not None and permission in ROLE_PERMISSIONS[role]
