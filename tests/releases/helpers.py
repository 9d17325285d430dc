"""Beta rounds on a given release, run through the feedback services (create, open, invite,
answer, report, close): what the go/no-go and the notes are decided on. Shared with the browser
test (tests/browser/test_release_flow.py), which passes its live server's secret key."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Role, StageCategory
from tracker.auth.models import User
from tracker.backlog.models import Brick, BrickFormat
from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.feedback.answers import invitation_of, save_response
from tracker.feedback.invitations import invite_testers
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    ItemKind,
    QuestionKind,
    Severity,
    TesterProfile,
)
from tracker.feedback.questionnaire import round_bricks, slots_of
from tracker.feedback.rounds import GateCriteria, close_round, create_round, open_round
from tracker.releases.models import Release

BASE_URL = "http://brique.test"
_counter = itertools.count(1)

# Small thresholds, so that a handful of testers decides the gate.
GATE = GateCriteria(
    min_responses=2, min_response_rate=50.0, min_csat=75.0, min_nps=0.0, max_blocking=0
)


def make_testers(
    session: Session, academy: Academy, count: int, *, password: str | None = None
) -> list[User]:
    """Panel members (tester role and profile); a password lets them log in."""
    from tracker.academies.services import add_member
    from tracker.auth.services import create_user

    people = []
    for _ in range(count):
        n = next(_counter)
        user = create_user(
            session,
            email=f"beta{n}.{academy.slug}@example.com",
            display_name=f"Bêta {n}",
            password=password,
            locale="fr",
        )
        add_member(session, academy, user, Role.TESTER)
        session.add(
            TesterProfile(
                academy_id=academy.id, user_id=user.id, business_unit="Finance", language="fr"
            )
        )
        people.append(user)
    session.flush()
    return people


def add_bricks(
    session: Session, academy: Academy, release: Release, count: int = 2, *, done: bool = True
) -> list[Brick]:
    """Bricks of the release, done by default (a release delivers done bricks only)."""
    stage = next(s for s in academy.stages if s.category == StageCategory.DONE) if done else None
    return [
        create_brick(
            session,
            academy,
            actor=None,
            title=f"Module {i + 1}",
            format=BrickFormat.VIDEO,
            release_id=release.id,
            learner_minutes=30,
            stage_id=stage.id if stage else None,
            now=utcnow(),
        )
        for i in range(count)
    ]


def _answers(round_: FeedbackRound, bricks: Sequence[Brick], rating: int, nps: int) -> dict:
    values: dict[str, list[str]] = {}
    for slot in slots_of(list(round_.questions), list(bricks)):
        kind = slot.question.kind
        if kind == QuestionKind.RATING:
            values[slot.name] = [str(rating)]
        elif kind == QuestionKind.NPS:
            values[slot.name] = [str(nps)]
        elif kind == QuestionKind.YES_NO:
            values[slot.name] = ["1"]
        elif kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
            values[slot.name] = [slot.question.choices[0]]
        else:
            values[slot.name] = ["Plus d'exemples."]
    return values


@dataclass
class RoundRun:
    round: FeedbackRound
    items: list[FeedbackItem]


def run_round(
    session: Session,
    academy: Academy,
    release: Release,
    manager: User,
    testers: Sequence[User],
    *,
    secret_key: str,
    rating: int,
    nps: int,
    blocking: Sequence[str] = (),
    close: bool = True,
    anonymous: bool = False,
    now: dt.datetime | None = None,
) -> RoundRun:
    """A round on `release` (opening it puts a planned release in beta), every tester invited
    and answering `rating` and `nps`, the first tester reporting one blocking issue per title
    in `blocking`; closed (gate evaluated) unless told otherwise."""
    now = now or utcnow()
    round_ = create_round(
        session,
        academy,
        release_id=release.id,
        title=f"Bêta {next(_counter)}",
        closes_at=now + dt.timedelta(days=7),
        anonymous=anonymous,
        gate=GATE,
        actor=manager,
        now=now,
    )
    open_round(session, round_, actor=manager, now=now)
    with force_locale("fr"):
        invite_testers(
            session,
            round_,
            [t.id for t in testers],
            secret_key=secret_key,
            base_url=BASE_URL,
            now=now,
        )
    session.refresh(round_)
    bricks = round_bricks(session, round_)
    items = []
    for index, tester in enumerate(testers):
        invitation = invitation_of(session, round_, tester.id)
        assert invitation is not None
        save_response(
            session,
            invitation,
            _answers(round_, bricks, rating, nps),
            submit=True,
            secret_key=secret_key,
            now=now,
        )
        if index == 0:
            for title in blocking:
                items.append(
                    report_item(
                        session,
                        invitation,
                        ItemInput(
                            bricks[0].id if bricks else None,
                            "slide 4",
                            ItemKind.ISSUE,
                            Severity.BLOCKING,
                            title,
                        ),
                        secret_key=secret_key,
                        now=now,
                    )
                )
    if close:
        close_round(session, round_, actor=manager, now=now)
    session.refresh(release)
    return RoundRun(round_, items)
