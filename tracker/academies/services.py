"""Academies: creation with default stages, settings, members, roles and invitations."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager

from tracker import rows
from tracker.academies.defaults import DEFAULT_STAGES, install_default_checklists
from tracker.academies.models import (
    Academy,
    AcademyInvitation,
    Membership,
    Role,
    Stage,
)
from tracker.auth.models import User
from tracker.auth.services import create_user, get_user_by_email, normalize_email, set_password
from tracker.collation import folded
from tracker.errors import DomainError, NotFound
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


def brick_owners(session: Session, academy: Academy) -> list[User]:
    """The members who may own a brick (managers and designers), by name."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.academy_id == academy.id,
                Membership.role.in_((Role.MANAGER, Role.DESIGNER)),
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


def add_member(session: Session, academy: Academy, user: User, role: Role) -> Membership:
    """Give a person a role in the academy; an existing member keeps their membership row."""
    membership = session.scalar(
        select(Membership).where(Membership.academy_id == academy.id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(academy_id=academy.id, user_id=user.id, role=role)
        session.add(membership)
        session.flush()
    else:
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


def change_role(session: Session, membership: Membership, role: Role) -> None:
    if (
        membership.role == Role.MANAGER
        and role != Role.MANAGER
        and _manager_count(session, membership.academy) <= 1
    ):
        raise DomainError(_("An academy keeps at least one manager."), field="role")
    membership.role = role
    session.flush()


def remove_member(session: Session, membership: Membership) -> None:
    if membership.role == Role.MANAGER and _manager_count(session, membership.academy) <= 1:
        raise DomainError(_("An academy keeps at least one manager."))
    session.delete(membership)
    session.flush()


# -- Invitations --------------------------------------------------------------------------------


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
) -> AcademyInvitation | Membership:
    """Invite someone by e-mail.

    A person who already has an account just gains the membership (and is told by e-mail);
    anyone else receives a single-use link to set a password.
    """
    email = normalize_email(email)
    user = get_user_by_email(session, email)
    if user is not None and user.erased_at is None:
        membership = add_member(session, academy, user, role)
        with force_locale(user.locale or academy.default_locale):
            link = f"{base_url}/a/{academy.slug}/"
            _mail_newcomer(
                session, user.email, ("mail/added_to_academy", "academy_membership"), academy,
                role, actor, link,
            )  # fmt: skip
        return membership
    token = new_token()
    invitation = AcademyInvitation(
        academy_id=academy.id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by_id=actor.id,
        expires_at=now + dt.timedelta(days=valid_days),
    )
    session.add(invitation)
    session.flush()
    with force_locale(academy.default_locale):
        link = f"{base_url}/invitations/{token}"
        _mail_newcomer(
            session, email, ("mail/academy_invitation", "academy_invitation"), academy, role,
            actor, link,
            expires_at=invitation.expires_at,
        )  # fmt: skip
    return invitation


def _mail_newcomer(
    session: Session,
    to: str,
    mail: tuple[str, str],
    academy: Academy,
    role: Role,
    actor: User,
    link: str,
    **more: Any,
) -> None:
    """Tell someone they were added to the academy (`link`: its home) or invited to it
    (`link`: the invitation), by whom and with which role. `mail`: template and category."""
    template, category = mail
    context = {"academy": academy, "role": role, "actor": actor, "link": link, **more}
    queue_mail(
        session, to=to, template=template, category=category, academy_id=academy.id,
        context=context,
    )  # fmt: skip


def find_invitation(session: Session, token: str, *, now: dt.datetime) -> AcademyInvitation:
    invitation = session.scalar(
        select(AcademyInvitation).where(AcademyInvitation.token_hash == hash_token(token))
    )
    if invitation is None or not invitation.is_usable(now):
        raise NotFound(_("This invitation link is not valid any more. Ask for a new one."))
    return invitation


def pending_invitations(
    session: Session, academy: Academy, *, now: dt.datetime
) -> list[AcademyInvitation]:
    return list(
        session.scalars(
            select(AcademyInvitation)
            .where(
                AcademyInvitation.academy_id == academy.id,
                AcademyInvitation.accepted_at.is_(None),
                AcademyInvitation.revoked_at.is_(None),
                AcademyInvitation.expires_at > now,
            )
            .order_by(AcademyInvitation.created_at.desc())
        )
    )


def accept_invitation(
    session: Session,
    invitation: AcademyInvitation,
    *,
    display_name: str,
    password: str,
    locale: str | None = None,
    now: dt.datetime,
) -> User:
    """Create the account (or set its password), give the membership, spend the link.

    The link is spent first, with a conditional update, so that two clicks racing each other
    cannot both use it.
    """
    claimed = session.execute(
        update(AcademyInvitation)
        .where(AcademyInvitation.id == invitation.id, AcademyInvitation.accepted_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(_("This invitation link is not valid any more. Ask for a new one."))
    user = get_user_by_email(session, invitation.email)
    if user is None:
        user = create_user(
            session,
            email=invitation.email,
            display_name=display_name,
            password=password,
            locale=locale,
        )
    elif user.password_hash is None:
        # An account created without a password (for example a tester known only by e-mail).
        if not display_name.strip():
            raise DomainError(_("Give a name."), field="display_name")
        user.display_name = display_name.strip()
        set_password(session, user, password, now=now)
    add_member(session, invitation.academy, user, invitation.role)
    session.refresh(invitation)
    return user


def get_invitation(session: Session, academy: Academy, invitation_id: int) -> AcademyInvitation:
    return rows.get_in(
        session,
        AcademyInvitation,
        invitation_id,
        _("This page does not exist, or no longer does."),
        academy_id=academy.id,
    )


def revoke_invitation(session: Session, invitation: AcademyInvitation, *, now: dt.datetime) -> None:
    invitation.revoked_at = now
    session.flush()
