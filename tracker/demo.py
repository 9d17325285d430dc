"""The demo academy ("Académie Digitale"): believable people and settings, created idempotently."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Role
from tracker.academies.services import add_member, create_academy
from tracker.auth.models import User
from tracker.auth.passwords import hash_password
from tracker.auth.services import create_user, get_user_by_email

DEMO_SLUG = "academie-digitale"
DEMO_DOMAIN = "brique.example"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role | None  # None: site admin without membership
    locale: str = "fr"


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(f"admin@{DEMO_DOMAIN}", "Camille Admin (DSI)", None),
    DemoPerson(f"sophie.rosier@{DEMO_DOMAIN}", "Sophie Rosier", Role.MANAGER),
    DemoPerson(f"karim.benali@{DEMO_DOMAIN}", "Karim Benali", Role.DESIGNER),
    DemoPerson(f"lea.martin@{DEMO_DOMAIN}", "Léa Martin", Role.TESTER),
    DemoPerson(f"thomas.nguyen@{DEMO_DOMAIN}", "Thomas Nguyen", Role.TESTER),
    DemoPerson(f"ines.dubois@{DEMO_DOMAIN}", "Inès Dubois", Role.TESTER, "en"),
    DemoPerson(f"marc.lefevre@{DEMO_DOMAIN}", "Marc Lefèvre", Role.STAKEHOLDER),
)

DEMO_DESCRIPTION = """\
L'école digitale du groupe, construite **brique par brique** comme un produit :
un backlog de modules, des sprints de deux semaines, et près de 200 bêta-testeurs qui évaluent
chaque incrément avant sa mise en place.

- Parcours « Culture digitale » pour tous les collaborateurs
- Parcours « Data & IA » pour les métiers
- Parcours « Sécurité du SI » avec la DSI
"""


def seed_demo(session: Session, *, password: str) -> tuple[Academy, list[DemoPerson]]:
    """Create (or bring back to its initial access) the demo academy and its people.

    Running it again changes nothing but the demo people's password and roles.
    """
    users: dict[str, User] = {}
    for person in DEMO_PEOPLE:
        user = get_user_by_email(session, person.email)
        if user is None:
            user = create_user(
                session,
                email=person.email,
                display_name=person.name,
                password=password,
                locale=person.locale,
                is_admin=person.role is None,
            )
        else:
            user.password_hash = hash_password(password)
            user.is_active_account = True
        users[person.email] = user
    academy = session.scalar(select(Academy).where(Academy.slug == DEMO_SLUG))
    if academy is None:
        academy = create_academy(
            session,
            name="Académie Digitale",
            slug=DEMO_SLUG,
            key_prefix="ACAD",
            description=DEMO_DESCRIPTION,
            default_locale="fr",
            actor=users[DEMO_PEOPLE[0].email],
        )
    for person in DEMO_PEOPLE:
        if person.role is not None:
            add_member(session, academy, users[person.email], person.role)
    session.flush()
    return academy, list(DEMO_PEOPLE)
