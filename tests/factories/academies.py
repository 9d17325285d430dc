"""People and academies: users, academies, memberships, and the `world` of one person per role
(and a vendor's contact, limited to the bricks of the vendor `studio`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Role
from tracker.academies.services import add_member, create_academy
from tracker.auth.models import User
from tracker.auth.services import create_user
from tracker.db import utcnow
from tracker.vendors.models import Vendor
from tracker.vendors.services import create_vendor

PASSWORD = "correct horse battery staple"
# The app's secret key in the tests (tokens in links are derived from it) and its base URL.
SECRET = "test-secret-key-not-used-anywhere-else"
BASE_URL = "http://brique.test"
_counter = itertools.count(1)


def make_user(
    session: Session,
    *,
    name: str | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
    is_admin: bool = False,
    locale: str | None = "en",
) -> User:
    n = next(_counter)
    return create_user(
        session,
        email=email or f"person{n}@example.com",
        display_name=name or f"Person {n}",
        password=password,
        is_admin=is_admin,
        locale=locale,
    )


def make_academy(
    session: Session, *, name: str | None = None, actor: User | None = None
) -> Academy:
    n = next(_counter)
    actor = actor or make_user(session, is_admin=True)
    return create_academy(
        session,
        name=name or f"Academy {n}",
        slug=f"academy-{n}",
        key_prefix=f"AC{n}",
        default_locale="en",
        actor=actor,
    )


def make_member(session: Session, academy: Academy, role: Role, **kwargs: object) -> User:
    user = make_user(session, **kwargs)  # type: ignore[arg-type]
    add_member(session, academy, user, role)
    return user


@dataclass
class World:
    academy: Academy
    other_academy: Academy
    admin: User
    manager: User
    designer: User
    tester: User
    stakeholder: User
    outsider: User  # a manager of the other academy, nothing here
    vendor: User  # a vendor's contact, member limited to the bricks of `studio`
    studio: Vendor

    def principal(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PRINCIPALS = (
    "anonymous",
    "admin",
    "manager",
    "designer",
    "tester",
    "stakeholder",
    "outsider",
    "vendor",
)


def make_world(session: Session) -> World:
    admin = make_user(session, name="Ada Admin", is_admin=True)
    academy = make_academy(session, name="Main Academy", actor=admin)
    other = make_academy(session, name="Other Academy", actor=admin)
    studio = create_vendor(session, academy, name="Studio Nord", now=utcnow())
    vendor = make_user(session, name="Vic Vendor")
    add_member(session, academy, vendor, Role.VENDOR, vendor_id=studio.id)
    world = World(
        academy=academy,
        other_academy=other,
        admin=admin,
        manager=make_member(session, academy, Role.MANAGER, name="Maya Manager"),
        designer=make_member(session, academy, Role.DESIGNER, name="Dan Designer"),
        tester=make_member(session, academy, Role.TESTER, name="Tess Tester"),
        stakeholder=make_member(session, academy, Role.STAKEHOLDER, name="Sam Stakeholder"),
        outsider=make_member(session, other, Role.MANAGER, name="Otto Outsider"),
        vendor=vendor,
        studio=studio,
    )
    session.flush()
    return world
