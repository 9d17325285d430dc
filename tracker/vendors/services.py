"""The vendor directory: vendors, their contacts, archiving; bricks assigned to a vendor; a
contact invited as the academy's member limited to their vendor. Services flush, never commit,
and take `now`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from tracker import rows
from tracker.academies.models import Academy, AcademyInvitation, Membership, Role
from tracker.academies.services import create_invitation, is_member
from tracker.auth.models import User
from tracker.auth.services import normalize_email
from tracker.backlog.models import Brick
from tracker.errors import Conflict, DomainError, NotFound
from tracker.vendors.models import (
    LmsStandard,
    Quote,
    Specification,
    Vendor,
    VendorContact,
    VendorSettings,
)


def _clean_list(values: Sequence[str] | None, limit: int = 40) -> list[str]:
    """Distinct, stripped, non-empty values in the order given (tags, languages, formats)."""
    seen: list[str] = []
    for value in values or ():
        value = " ".join(str(value).split())[:limit]
        if value and value.lower() not in (v.lower() for v in seen):
            seen.append(value)
    return seen[:30]


def split_tags(text: str | None) -> list[str]:
    """Tags typed as "serious game, 3D; mobile": separated by commas or semicolons."""
    return _clean_list((text or "").replace(";", ",").split(","))


def is_vendor_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    return rows.name_taken(session, Vendor.name, name, except_id=except_id, academy_id=academy.id)


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    start, end = fields.get("contract_start"), fields.get("contract_end")
    if start is not None and end is not None and end < start:
        raise DomainError(_("The contract ends before it starts."), field="contract_end")
    return {
        "name": " ".join((fields.get("name") or "").split())[:120],
        "company": (fields.get("company") or "").strip()[:200],
        "specialties": _clean_list(fields.get("specialties")),
        "languages": _clean_list(fields.get("languages"), 8),
        "tags": _clean_list(fields.get("tags")),
        "contract_reference": (fields.get("contract_reference") or "").strip()[:120],
        "contract_start": start,
        "contract_end": end,
        "notes": fields.get("notes") or "",
    }


def create_vendor(session: Session, academy: Academy, *, now: dt.datetime, **fields: Any) -> Vendor:
    values = _fields(fields)
    if not values["name"]:
        raise DomainError(_("Give a name."), field="name")
    if is_vendor_name_taken(session, academy, values["name"]):
        raise DomainError(_("Another vendor already has this name."), field="name")
    vendor = Vendor(academy_id=academy.id, created_at=now, **values)
    session.add(vendor)
    session.flush()
    return vendor


def update_vendor(session: Session, vendor: Vendor, **fields: Any) -> Vendor:
    values = _fields(fields)
    if not values["name"]:
        raise DomainError(_("Give a name."), field="name")
    academy_id = vendor.academy_id
    if rows.name_taken(
        session, Vendor.name, values["name"], except_id=vendor.id, academy_id=academy_id
    ):
        raise DomainError(_("Another vendor already has this name."), field="name")
    for key, value in values.items():
        setattr(vendor, key, value)
    session.flush()
    return vendor


def get_vendor(session: Session, academy: Academy, vendor_id: int) -> Vendor:
    return rows.get_in(session, Vendor, vendor_id, _("No such vendor."), academy_id=academy.id)


def list_vendors(session: Session, academy: Academy, *, archived: bool = False) -> list[Vendor]:
    """The academy's vendors by name (the archived ones apart), with their contacts."""
    return list(
        session.scalars(
            select(Vendor)
            .where(
                Vendor.academy_id == academy.id,
                Vendor.archived_at.is_not(None) if archived else Vendor.archived_at.is_(None),
            )
            .options(selectinload(Vendor.contacts))
            .order_by(func.lower(Vendor.name), Vendor.id)
        )
    )


def brick_counts(session: Session, academy: Academy) -> dict[int, int]:
    """Bricks assigned per vendor (one query)."""
    counts: dict[int, int] = {}
    for vendor_id, count in session.execute(
        select(Brick.vendor_id, func.count(Brick.id))
        .where(Brick.academy_id == academy.id, Brick.vendor_id.is_not(None))
        .group_by(Brick.vendor_id)
    ):
        if vendor_id is not None:
            counts[vendor_id] = int(count)
    return counts


def set_archived(session: Session, vendor: Vendor, archived: bool, *, now: dt.datetime) -> None:
    """Archive (kept with its history, out of the lists and choices) or bring back."""
    vendor.archived_at = now if archived else None
    session.flush()


def references(session: Session, vendor: Vendor) -> int:
    """Bricks, members, specifications and quotes that name the vendor."""
    total = 0
    for model, column in (
        (Brick, Brick.vendor_id),
        (Membership, Membership.vendor_id),
        (Specification, Specification.vendor_id),
        (Quote, Quote.vendor_id),
    ):
        total += (
            session.scalar(select(func.count()).select_from(model).where(column == vendor.id)) or 0
        )
    return total


def delete_vendor(session: Session, vendor: Vendor) -> None:
    """Only a vendor nothing names is deleted; any other is archived instead."""
    if references(session, vendor):
        raise Conflict(
            _("This vendor has bricks, members, specifications or quotes: archive it instead.")
        )
    session.delete(vendor)
    session.flush()


# -- Contacts --------------------------------------------------------------------------------------


def add_contact(
    session: Session, vendor: Vendor, *, name: str, email: str, phone: str = "", job_title: str = ""
) -> VendorContact:
    name = " ".join((name or "").split())[:120]
    if not name:
        raise DomainError(_("Give a name."), field="name")
    email = normalize_email(email or "")
    if not email or "@" not in email:
        raise DomainError(_("Give an e-mail address."), field="email")
    if any(contact.email == email for contact in vendor.contacts):
        raise DomainError(_("This vendor already has a contact with this address."), field="email")
    contact = VendorContact(
        vendor_id=vendor.id,
        name=name,
        email=email,
        phone=" ".join((phone or "").split())[:40],
        job_title=" ".join((job_title or "").split())[:120],
    )
    vendor.contacts.append(contact)
    session.flush()
    return contact


def get_contact(session: Session, vendor: Vendor, contact_id: int) -> VendorContact:
    return rows.get_in(
        session, VendorContact, contact_id, _("No such contact."), vendor_id=vendor.id
    )


def remove_contact(session: Session, contact: VendorContact) -> None:
    session.delete(contact)
    session.flush()


def invite_contact(
    session: Session,
    academy: Academy,
    contact: VendorContact,
    *,
    actor: User,
    base_url: str,
    valid_days: int = 14,
    now: dt.datetime,
) -> AcademyInvitation:
    """Invite the contact as the academy's member limited to their vendor (the academy's
    invitation flow: they accept or decline through the e-mailed link)."""
    vendor = contact.vendor
    if vendor.archived_at is not None:
        raise DomainError(_("This vendor is archived."))
    if contact.email == actor.email:
        raise DomainError(_("You cannot invite yourself. Ask one of the academy's managers."))
    if is_member(session, academy, contact.email):
        raise DomainError(_("This person is already a member of the academy."))
    return create_invitation(
        session,
        academy,
        email=contact.email,
        role=Role.VENDOR,
        actor=actor,
        base_url=base_url,
        valid_days=valid_days,
        display_name=contact.name,
        vendor_id=vendor.id,
        now=now,
    )


def members_of(session: Session, vendor: Vendor) -> list[Membership]:
    """The academy's members working for this vendor."""
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.vendor_id == vendor.id)
            .options(selectinload(Membership.user))
            .order_by(Membership.id)
        )
    )


def member_emails(session: Session, vendor: Vendor) -> set[str]:
    return {membership.user.email for membership in members_of(session, vendor)}


def pending_emails(session: Session, vendor: Vendor, *, now: dt.datetime) -> set[str]:
    """Addresses with an invitation for this vendor still waiting for an answer."""
    return set(
        session.scalars(
            select(AcademyInvitation.email).where(
                AcademyInvitation.vendor_id == vendor.id,
                AcademyInvitation.accepted_at.is_(None),
                AcademyInvitation.revoked_at.is_(None),
                AcademyInvitation.declined_at.is_(None),
                AcademyInvitation.expires_at > now,
            )
        )
    )


# -- Bricks assigned to a vendor -------------------------------------------------------------------


def assign_bricks(
    session: Session, vendor: Vendor | None, academy: Academy, numbers: Sequence[int]
) -> int:
    """Give the bricks numbered `numbers` to `vendor` (None: to nobody). Returns how many."""
    if vendor is not None and vendor.archived_at is not None:
        raise DomainError(_("This vendor is archived."), field="vendor")
    numbers = sorted({n for n in numbers if isinstance(n, int)})
    if not numbers:
        raise DomainError(_("Choose at least one brick."), field="bricks")
    result = session.execute(
        update(Brick)
        .where(Brick.academy_id == academy.id, Brick.number.in_(numbers))
        .values(vendor_id=vendor.id if vendor is not None else None, version=Brick.version + 1)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if not count:
        raise NotFound(_("The selected bricks no longer exist."))
    # A vendor's contact reviews only bricks of their vendor: one who reviewed a brick that
    # leaves their vendor no longer does.
    other_vendors_contacts = select(Membership.user_id).where(
        Membership.academy_id == academy.id,
        Membership.role == Role.VENDOR,
        *([Membership.vendor_id != vendor.id] if vendor is not None else []),
    )
    session.execute(
        update(Brick)
        .where(
            Brick.academy_id == academy.id,
            Brick.number.in_(numbers),
            Brick.reviewer_id.in_(other_vendors_contacts),
        )
        .values(reviewer_id=None)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return count


def vendor_bricks(session: Session, vendor: Vendor) -> list[Brick]:
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.vendor_id == vendor.id)
            .options(selectinload(Brick.stage), selectinload(Brick.sprint))
            .order_by(Brick.rank, Brick.id)
        )
    )


def assignable_bricks(session: Session, academy: Academy) -> list[Brick]:
    """The academy's bricks with no vendor yet, in backlog order (the assignment's choices)."""
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, Brick.vendor_id.is_(None))
            .order_by(Brick.rank, Brick.id)
            .limit(500)
        )
    )


# -- Settings for specifications -------------------------------------------------------------------


def settings_of(session: Session, academy: Academy) -> VendorSettings:
    """The academy's settings (their defaults, not stored, until a manager saves them)."""
    settings = session.scalar(select(VendorSettings).where(VendorSettings.academy_id == academy.id))
    if settings is None:
        settings = VendorSettings(
            academy_id=academy.id,
            lms_standard=LmsStandard.SCORM_2004,
            accessibility_target="RGAA 4.1 (WCAG 2.1 AA)",
            devices="",
            template="",
        )
    return settings


def update_settings(
    session: Session,
    academy: Academy,
    *,
    lms_standard: LmsStandard,
    accessibility_target: str,
    devices: str,
    template: str,
) -> VendorSettings:
    settings = settings_of(session, academy)
    if settings.id is None:
        session.add(settings)
    settings.lms_standard = lms_standard
    settings.accessibility_target = " ".join(accessibility_target.split())[:120]
    settings.devices = " ".join(devices.split())[:255]
    settings.template = template or ""
    session.flush()
    return settings
