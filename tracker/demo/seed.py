"""Seeding the demo: its people and academy, and on the first run its story played in the
past (see timeline.py); on later runs only the people's password and roles are given back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.academies.services import add_member, create_academy
from tracker.auth.models import User
from tracker.auth.passwords import hash_password
from tracker.auth.services import create_user, get_user_by_email
from tracker.db import utcnow
from tracker.demo import timeline
from tracker.demo.player import Player
from tracker.demo.story import DEMO_DESCRIPTION, DEMO_PEOPLE, DEMO_SLUG, DemoPerson


def seed_demo(
    session: Session,
    *,
    password: str,
    secret_key: str | None = None,
    base_url: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Academy, list[DemoPerson]]:
    """Create the demo academy and play its story (first run), or bring its people back.

    Running it again changes nothing but the demo people's password and roles. The secret key
    (which derives the testers' personal links and finds their answers) and the base URL (of
    the links in e-mails) default to the application's; `now`, to the current time.
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
    fresh = academy is None
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
    if fresh:
        config = current_app.config
        player = Player(
            session,
            academy,
            users,
            secret_key=secret_key or config["SECRET_KEY"],
            base_url=(base_url or config["BASE_URL"]).rstrip("/"),
            tz=ZoneInfo(config.get("DEFAULT_TIMEZONE") or "Europe/Paris"),
            now=now or utcnow(),
        )
        timeline.play(player)
    return academy, list(DEMO_PEOPLE)
