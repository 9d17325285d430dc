"""Rounds, testers and invitations built through the services (the tester's side tests)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy.orm import Session

from tests.conftest import SECRET
from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import User
from tracker.backlog.models import Brick, BrickFormat
from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.feedback import services
from tracker.feedback.models import (
    FeedbackRound,
    Question,
    QuestionKind,
    RoundInvitation,
    TesterProfile,
)
from tracker.releases.services import create_release

BASE_URL = "http://brique.test"
_counter = itertools.count(1)


def make_tester(
    session: Session,
    academy: Academy,
    *,
    name: str | None = None,
    email: str | None = None,
    business_unit: str = "Finance",
    job_family: str = "Analyst",
    site: str = "Paris",
    language: str = "fr",
    role: Role | None = Role.TESTER,
    active: bool = True,
) -> User:
    """A panel member without a password (as the CSV import makes them)."""
    n = next(_counter)
    user = User(
        email=email or f"tester{n}@example.com",
        display_name=name or f"Tester {n}",
        password_hash=None,
        locale=language,
        is_active_account=True,
    )
    session.add(user)
    session.flush()
    if role is not None:
        session.add(Membership(academy_id=academy.id, user_id=user.id, role=role))
    session.add(
        TesterProfile(
            academy_id=academy.id,
            user_id=user.id,
            business_unit=business_unit,
            job_family=job_family,
            site=site,
            language=language,
            active=active,
        )
    )
    session.flush()
    return user


def give_profile(session: Session, academy: Academy, user: User, **values: str) -> TesterProfile:
    profile = TesterProfile(academy_id=academy.id, user_id=user.id, language="en", **values)
    session.add(profile)
    session.flush()
    return profile


@dataclass
class Setup:
    round: FeedbackRound
    bricks: list[Brick]

    @property
    def questions(self) -> list[Question]:
        return list(self.round.questions)

    def question(self, kind: QuestionKind, *, per_brick: bool = False) -> Question:
        return next(q for q in self.questions if q.kind == kind and q.per_brick == per_brick)


def make_round(
    session: Session,
    academy: Academy,
    manager: User,
    *,
    anonymous: bool = False,
    bricks: int = 2,
    per_brick: bool = True,
    open_it: bool = True,
    now: dt.datetime | None = None,
    closes_in: dt.timedelta = dt.timedelta(days=7),
) -> Setup:
    """A round on a new release with `bricks` bricks, the default questionnaire (+ a required
    per-brick rating), opened unless told otherwise."""
    now = now or utcnow()
    release = create_release(
        session, academy, name=f"Incrément {next(_counter)}", actor=manager, now=utcnow()
    )
    made = [
        create_brick(
            session,
            academy,
            actor=manager,
            title=f"Module {i + 1}",
            format=BrickFormat.VIDEO,
            release_id=release.id,
            learner_minutes=20,
            content_url=f"https://lms.example.com/module-{i + 1}",
            now=utcnow(),
        )
        for i in range(bricks)
    ]
    round_ = services.create_round(
        session,
        academy,
        release_id=release.id,
        title=f"Bêta {next(_counter)}",
        closes_at=now + closes_in,
        anonymous=anonymous,
        actor=manager,
        now=now,
    )
    if per_brick:
        services.add_question(
            session,
            round_,
            services.QuestionInput(
                kind=QuestionKind.RATING,
                prompt="Ce module est-il clair ?",
                required=True,
                per_brick=True,
            ),
        )
    if open_it:
        services.open_round(session, round_, actor=manager, now=now)
    session.refresh(round_)
    return Setup(round=round_, bricks=made)


def invite(
    session: Session,
    round_: FeedbackRound,
    users: Sequence[User],
    *,
    now: dt.datetime | None = None,
) -> list[RoundInvitation]:
    with force_locale("en"):
        services.invite_testers(
            session,
            round_,
            [u.id for u in users],
            secret_key=SECRET,
            base_url=BASE_URL,
            now=now or utcnow(),
        )
    return [services.invitation_of(session, round_, u.id) for u in users]  # type: ignore[misc]


def token_of(round_: FeedbackRound, user: User) -> str:
    return services.invitation_token(SECRET, round_.id, user.id)


def complete_values(setup: Setup) -> dict[str, list[str]]:
    """Answers to every question of the round (all required ones included)."""
    values: dict[str, list[str]] = {}
    for slot in services.slots_of(setup.questions, setup.bricks):
        kind = slot.question.kind
        if kind == QuestionKind.RATING:
            values[slot.name] = ["4"]
        elif kind == QuestionKind.NPS:
            values[slot.name] = ["9"]
        elif kind == QuestionKind.YES_NO:
            values[slot.name] = ["1"]
        elif kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
            values[slot.name] = [slot.question.choices[0]]
        else:
            values[slot.name] = ["Plus d'exemples concrets."]
    return values
