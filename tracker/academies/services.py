"""Academies: creation with default stages, settings, members, roles and invitations."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, contains_eager

from tracker import history, rows
from tracker.academies.defaults import DEFAULT_STAGES, install_default_checklists
from tracker.academies.models import (
    Academy,
    AcademyInvitation,
    MemberEvent,
    MemberEventKind,
    Membership,
    Role,
    Stage,
)
from tracker.auth.models import User
from tracker.auth.services import create_user, get_user_by_email, normalize_email, set_password
from tracker.collation import folded
from tracker.errors import DomainError, Forbidden, NotFound
from tracker.mail.services import queue_mail
from tracker.tokens import hash_token, new_token

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def suggest_key_prefix(name: str) -> str:
    letters = re.sub(r"[^A-Z0-9]", "", slugify(name).upper())
    return (letters or "ACAD")[:4] if letters[:1].isalpha() else "ACAD"


def get_academy(session: Session, slug: str) -> Academy:
    academy = session.scalar(select(Academy).where(Academy.slug == slug))
    if academy is None:
        raise NotFound(_("No such academy."))
    return academy


def is_slug_taken(session: Session, slug: str, *, except_id: int | None = None) -> bool:
    query = select(Academy.id).where(Academy.slug == slug)
    if except_id is not None:
        query = query.where(Academy.id != except_id)
    return session.scalar(query) is not None


def create_academy(
    session: Session,
    *,
    name: str,
    slug: str,
    key_prefix: str,
    description: str = "",
    default_locale: str = "fr",
    actor: User,
) -> Academy:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise DomainError(
            _("Use lower-case letters, digits and dashes (for example: digital-academy)."),
            field="slug",
        )
    if is_slug_taken(session, slug):
        raise DomainError(_("Another academy already uses this address."), field="slug")
    key_prefix = key_prefix.strip().upper()
    if not KEY_PREFIX_RE.match(key_prefix):
        raise DomainError(
            _("2 to 10 capital letters or digits, starting with a letter (for example: ACAD)."),
            field="key_prefix",
        )
    locale = default_locale if default_locale in DEFAULT_STAGES else "fr"
    academy = Academy(
        name=name.strip(),
        slug=slug,
        key_prefix=key_prefix,
        description=description,
        default_locale=locale,
    )
    academy.stages = [
        Stage(name=stage_name, position=i, category=category)
        for i, (stage_name, category) in enumerate(DEFAULT_STAGES[locale])
    ]
    session.add(academy)
    session.flush()
    install_default_checklists(session, academy)
    return academy


def update_academy(
    session: Session,
    academy: Academy,
    *,
    name: str,
    description: str,
    default_locale: str,
    sprint_length_days: int,
    gate_min_responses: int,
    gate_min_response_rate: float,
    gate_min_csat: float,
    gate_min_nps: float,
    gate_max_blocking: int,
) -> None:
    academy.name = name.strip()
    academy.description = description
    academy.default_locale = default_locale if default_locale in DEFAULT_STAGES else "fr"
    academy.sprint_length_days = sprint_length_days
    academy.gate_min_responses = gate_min_responses
    academy.gate_min_response_rate = gate_min_response_rate
    academy.gate_min_csat = gate_min_csat
    academy.gate_min_nps = gate_min_nps
    academy.gate_max_blocking = gate_max_blocking
    session.flush()


def academies_of(session: Session, user: User) -> list[tuple[Academy, Role]]:
    rows = session.execute(
        select(Academy, Membership.role)
        .join(Membership, Membership.academy_id == Academy.id)
        .where(Membership.user_id == user.id, Academy.archived.is_(False))
        .order_by(folded(Academy.name), Academy.id)
    ).all()
    return [(academy, role) for academy, role in rows]


def all_academies(session: Session) -> list[Academy]:
    return list(session.scalars(select(Academy).order_by(folded(Academy.name), Academy.id)))


def list_stages(session: Session, academy: Academy) -> list[Stage]:
    """The academy's board stages, left to right (every domain reads them from here; their
    settings are tracker.board.stages)."""
    return list(
        session.scalars(
            select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position, Stage.id)
        )
    )


# -- Members ------------------------------------------------------------------------------------


def brick_owners(
    session: Session, academy: Academy, *, seen_by_vendor: int | None = None
) -> list[User]:
    """The members who may own a brick (managers, designers, vendors' contacts), by name.
    `seen_by_vendor`: the viewer is a member of that vendor, who is offered the academy's team
    and their own colleagues only (never another vendor's contacts)."""
    contacts = (
        Membership.role == Role.VENDOR
        if seen_by_vendor is None
        else (Membership.role == Role.VENDOR) & (Membership.vendor_id == seen_by_vendor)
    )
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.academy_id == academy.id,
                Membership.role.in_((Role.MANAGER, Role.DESIGNER)) | contacts,
            )
            .order_by(folded(User.display_name), User.id)
        )
    )


def role_counts(session: Session, academy: Academy) -> dict[Role, int]:
    """How many members hold each role (roles nobody holds are missing): one query."""
    return dict(
        session.execute(
            select(Membership.role, func.count(Membership.id))
            .where(Membership.academy_id == academy.id)
            .group_by(Membership.role)
        ).all()
    )


def list_members(session: Session, academy: Academy) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .options(contains_eager(Membership.user))
            .where(Membership.academy_id == academy.id)
            .order_by(Membership.role, folded(User.display_name), User.id)
        )
    )


def add_member(
    session: Session, academy: Academy, user: User, role: Role, *, vendor_id: int | None = None
) -> Membership:
    """Give a person a role in the academy; an existing member keeps their membership row.
    A VENDOR member works for `vendor_id` (tracker/vendors), and only a VENDOR member does."""
    vendor_id = vendor_id if role == Role.VENDOR else None
    if role == Role.VENDOR and vendor_id is None:
        raise DomainError(_("A vendor's member is invited from the vendor's page."), field="role")
    membership = session.scalar(
        select(Membership).where(Membership.academy_id == academy.id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(
            academy_id=academy.id, user_id=user.id, role=role, vendor_id=vendor_id
        )
        session.add(membership)
        session.flush()
    else:
        membership.vendor_id = vendor_id
        change_role(session, membership, role)  # an invitation must not demote the last manager
    return membership


def _manager_count(session: Session, academy: Academy) -> int:
    return (
        session.scalar(
            select(func.count(Membership.id)).where(
                Membership.academy_id == academy.id, Membership.role == Role.MANAGER
            )
        )
        or 0
    )


def get_membership(session: Session, academy: Academy, membership_id: int) -> Membership:
    return rows.get_in(
        session, Membership, membership_id, _("No such member."), academy_id=academy.id
    )


def change_role(
    session: Session,
    membership: Membership,
    role: Role,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Give a member another role; with `now`, the academy's history records it."""
    if (
        membership.role == Role.MANAGER
        and role != Role.MANAGER
        and _manager_count(session, membership.academy) <= 1
    ):
        raise DomainError(_("An academy keeps at least one manager."), field="role")
    if role == Role.VENDOR and membership.vendor_id is None:
        raise DomainError(_("A vendor's member is invited from the vendor's page."), field="role")
    if role != Role.VENDOR:
        membership.vendor_id = None
    changed = membership.role != role
    membership.role = role
    session.flush()
    if changed and now is not None:
        record_member_event(
            session,
            membership.academy,
            MemberEventKind.ROLE_CHANGED,
            email=membership.user.email,
            role=role,
            actor=actor,
            now=now,
        )


def remove_member(
    session: Session,
    membership: Membership,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> None:
    if membership.role == Role.MANAGER and _manager_count(session, membership.academy) <= 1:
        raise DomainError(_("An academy keeps at least one manager."))
    academy, email, role = membership.academy, membership.user.email, membership.role
    session.delete(membership)
    session.flush()
    if now is not None:
        record_member_event(
            session, academy, MemberEventKind.REMOVED, email=email, role=role, actor=actor, now=now
        )


# -- History of the academy's people --------------------------------------------------------------


def record_member_event(
    session: Session,
    academy: Academy,
    kind: MemberEventKind,
    *,
    email: str,
    role: Role | None = None,
    actor: User | None,
    now: dt.datetime,
) -> MemberEvent:
    """Write a line of the academy's history of its people. A site admin acting here without
    being its manager, or joining it, is marked, so that the managers see it."""
    by_admin = False
    if actor is not None and actor.is_admin:
        role_here = session.scalar(
            select(Membership.role).where(
                Membership.academy_id == academy.id, Membership.user_id == actor.id
            )
        )
        by_admin = kind == MemberEventKind.JOINED or role_here != Role.MANAGER
    event = history.record(
        session,
        MemberEvent,
        actor=actor,
        at=now,
        academy_id=academy.id,
        kind=kind,
        email=email,
        role=role,
        by_site_admin=by_admin,
    )
    session.flush()
    if by_admin:
        _tell_managers(session, academy, event)
    return event


def _invitation_event(
    session: Session,
    invitation: AcademyInvitation,
    kind: MemberEventKind,
    actor: User | None,
    now: dt.datetime,
) -> None:
    """A line of the academy's history about one invitation (joined, declined, revoked)."""
    record_member_event(
        session,
        invitation.academy,
        kind,
        email=invitation.email,
        role=invitation.role,
        actor=actor,
        now=now,
    )


def _tell_managers(session: Session, academy: Academy, event: MemberEvent) -> None:
    """What a site admin did to the academy's people is e-mailed to its managers."""
    managers = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.academy_id == academy.id,
            Membership.role == Role.MANAGER,
            User.is_active_account.is_(True),
            User.id != event.actor_id,
        )
    ).all()
    for manager in managers:
        with force_locale(manager.locale or academy.default_locale):
            queue_mail(
                session,
                to=manager.email,
                template="mail/site_admin_notice",
                category="site_admin_notice",
                academy_id=academy.id,
                context={"academy": academy, "event": event, "manager": manager},
            )


def member_history(session: Session, academy: Academy, *, limit: int = 50) -> list[MemberEvent]:
    """The latest lines of the academy's history of its people, newest first."""
    return list(
        session.scalars(
            select(MemberEvent)
            .where(MemberEvent.academy_id == academy.id)
            .order_by(MemberEvent.at.desc(), MemberEvent.id.desc())
            .limit(limit)
        )
    )


# -- Invitations --------------------------------------------------------------------------------
# Nobody becomes a member without accepting. The same invitation goes to every address, whether
# an account exists behind it or not, and the inviter is told the same thing in both cases: an
# academy learns nothing about accounts it does not share.


def is_member(session: Session, academy: Academy, email: str) -> bool:
    return (
        session.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.academy_id == academy.id, User.email == normalize_email(email))
        )
        is not None
    )


def create_invitation(
    session: Session,
    academy: Academy,
    *,
    email: str,
    role: Role,
    actor: User | None,
    base_url: str,
    valid_days: int = 14,
    display_name: str = "",
    profile: dict[str, str] | None = None,
    vendor_id: int | None = None,
    now: dt.datetime,
) -> AcademyInvitation:
    """A new invitation with a fresh link, e-mailed to the address. An invitation still pending
    for the same address here is cancelled: re-inviting rotates the link."""
    email = normalize_email(email)
    session.execute(
        update(AcademyInvitation)
        .where(
            AcademyInvitation.academy_id == academy.id,
            AcademyInvitation.email == email,
            *_unspent(),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = new_token()
    invitation = AcademyInvitation(
        academy_id=academy.id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by_id=actor.id if actor is not None else None,
        created_at=now,
        expires_at=now + dt.timedelta(days=valid_days),
        display_name=display_name.strip()[:120],
        profile=profile,
        vendor_id=vendor_id,
    )
    session.add(invitation)
    session.flush()
    # The academy's language: which language an account prefers is not the academy's business.
    with force_locale(academy.default_locale):
        queue_mail(
            session,
            to=email,
            template="mail/academy_invitation",
            category="academy_invitation",
            academy_id=academy.id,
            context={
                "academy": academy,
                "role": role,
                "actor": actor,
                "panel": profile is not None,
                "link": f"{base_url}/invitations/{token}",
                "expires_at": invitation.expires_at,
            },
        )
    record_member_event(
        session, academy, MemberEventKind.INVITED, email=email, role=role, actor=actor, now=now
    )
    return invitation


def invite_member(
    session: Session,
    academy: Academy,
    *,
    email: str,
    role: Role,
    actor: User,
    base_url: str,
    valid_days: int = 14,
    now: dt.datetime,
) -> AcademyInvitation:
    """Invite someone by e-mail to join with a role; they accept or decline through the link.

    Nobody invites their own address (a site admin cannot make himself a member unseen; a
    member changes roles through the members' list).
    """
    email = normalize_email(email)
    if email == actor.email:
        raise DomainError(
            _("You cannot invite yourself. Ask one of the academy's managers."), field="email"
        )
    if is_member(session, academy, email):
        raise DomainError(
            _("This person is already a member: change their role in the list below."),
            field="email",
        )
    return create_invitation(
        session,
        academy,
        email=email,
        role=role,
        actor=actor,
        base_url=base_url,
        valid_days=valid_days,
        now=now,
    )


def find_invitation(session: Session, token: str, *, now: dt.datetime) -> AcademyInvitation:
    invitation = session.scalar(
        select(AcademyInvitation).where(AcademyInvitation.token_hash == hash_token(token))
    )
    if invitation is None or not invitation.is_usable(now):
        raise NotFound(_("This invitation link is not valid any more. Ask for a new one."))
    return invitation


def _unspent() -> tuple[ColumnElement[bool], ...]:
    """An invitation nobody accepted, declined or revoked yet."""
    return (
        AcademyInvitation.accepted_at.is_(None),
        AcademyInvitation.revoked_at.is_(None),
        AcademyInvitation.declined_at.is_(None),
    )


def pending_invitations(
    session: Session, academy: Academy, *, now: dt.datetime
) -> list[AcademyInvitation]:
    return list(
        session.scalars(
            select(AcademyInvitation)
            .where(
                AcademyInvitation.academy_id == academy.id,
                *_unspent(),
                AcademyInvitation.expires_at > now,
            )
            .order_by(AcademyInvitation.created_at.desc())
        )
    )


def _claim(session: Session, invitation: AcademyInvitation, column: str, now: dt.datetime) -> None:
    """Spend the link with a conditional update: two clicks racing each other cannot both."""
    claimed = session.execute(
        update(AcademyInvitation)
        .where(
            AcademyInvitation.id == invitation.id,
            *_unspent(),
        )
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(_("This invitation link is not valid any more. Ask for a new one."))
    session.refresh(invitation)


def invitation_account(session: Session, invitation: AcademyInvitation) -> User | None:
    """The account behind the invitation's address, if any (told only to the link's holder)."""
    user = get_user_by_email(session, invitation.email)
    return user if user is not None and user.erased_at is None else None


def accept_invitation(
    session: Session,
    invitation: AcademyInvitation,
    *,
    user: User | None = None,
    display_name: str = "",
    password: str | None = None,
    locale: str | None = None,
    now: dt.datetime,
) -> User:
    """Accept: `user` is the logged-in account the invitation is addressed to; without one, the
    link's holder creates the account (`password` None: an account for personal links only)
    or, for an account that never had a password, chooses their name and password.

    An existing account's name and details are never changed by what the academy typed.
    """
    existing = invitation_account(session, invitation)
    if user is not None and (existing is None or existing.id != user.id):
        raise Forbidden(_("This invitation was sent to another address."))
    if existing is not None and existing.password_hash is not None and user is None:
        raise Forbidden(_("Log in to accept this invitation."))
    if existing is not None and not existing.is_active:
        raise DomainError(_("This account is closed. Ask the site administrator."))
    _claim(session, invitation, "accepted_at", now)
    if existing is None:
        name = display_name.strip() or invitation.display_name
        if not name:
            raise DomainError(_("Give a name."), field="display_name")
        existing = create_user(
            session, email=invitation.email, display_name=name, password=password, locale=locale
        )
    elif existing.password_hash is None and password is not None:
        # The person sets their own credentials, the link proving the address is theirs.
        if not display_name.strip():
            raise DomainError(_("Give a name."), field="display_name")
        existing.display_name = display_name.strip()
        set_password(session, existing, password, now=now)
    add_member(
        session, invitation.academy, existing, invitation.role, vendor_id=invitation.vendor_id
    )
    _invitation_event(session, invitation, MemberEventKind.JOINED, existing, now)
    return existing


def decline_invitation(
    session: Session, invitation: AcademyInvitation, *, user: User | None, now: dt.datetime
) -> None:
    """Say no: the link is spent and the academy's history says so. A person with an account
    declines while logged in, as they would accept."""
    existing = invitation_account(session, invitation)
    if existing is not None and existing.password_hash is not None:
        if user is None:
            raise Forbidden(_("Log in to accept this invitation."))
        if existing.id != user.id:
            raise Forbidden(_("This invitation was sent to another address."))
    _claim(session, invitation, "declined_at", now)
    _invitation_event(session, invitation, MemberEventKind.DECLINED, user, now)


def get_invitation(session: Session, academy: Academy, invitation_id: int) -> AcademyInvitation:
    return rows.get_in(
        session,
        AcademyInvitation,
        invitation_id,
        _("This page does not exist, or no longer does."),
        academy_id=academy.id,
    )


def revoke_invitation(
    session: Session, invitation: AcademyInvitation, *, actor: User | None = None, now: dt.datetime
) -> None:
    invitation.revoked_at = now
    session.flush()
    _invitation_event(session, invitation, MemberEventKind.INVITATION_REVOKED, actor, now)
