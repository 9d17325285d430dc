"""Feedback rounds: panel members, rounds, invitations, answers, items; beta rounds on a release.

Test data two ways:

- Through the services (the tester's side and the manager's pages): `make_round` builds a round
  the way a manager does (a release with bricks, the default questionnaire, opened), `invite`
  invites through invite_testers, `make_tester` is a panel member, `complete_values` answers
  every question.
- Straight from the models (the results, gate, triage and export tests need many responses
  quickly, and test the reading side, not the tester's form): `add_round`, `add_question`,
  `add_invitation`, `respond`, `add_item` (with `make_release` and `add_brick` of the releases
  and backlog factories).

And `run_round`: a beta round on a given release run through the services (create, open,
invite, answer, report, close), what the go/no-go and the notes are decided on; shared with the
browser test (tests/browser/test_release_flow.py), which passes its live server's secret key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from sqlalchemy.orm import Session

from tests.factories.academies import BASE_URL, SECRET, World
from tests.factories.backlog import make_brick
from tests.factories.releases import make_release
from tracker.academies.models import Academy, Membership, Role
from tracker.academies.services import add_member
from tracker.auth.models import User
from tracker.auth.services import create_user
from tracker.backlog.models import Brick
from tracker.db import utcnow
from tracker.feedback.answers import invitation_of, save_response
from tracker.feedback.invitations import invite_testers
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.keys import invitation_token
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    GateMetric,
    ItemKind,
    ItemStatus,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
    Severity,
    TesterProfile,
)
from tracker.feedback.questionnaire import QuestionInput, round_bricks, slots_of
from tracker.feedback.questionnaire import add_question as add_question_through_service
from tracker.feedback.rounds import GateCriteria, close_round, create_round, open_round
from tracker.releases.models import Release
from tracker.releases.services import create_release

_counter = itertools.count(1)

# -- Through the services -------------------------------------------------------------------------


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
        make_brick(
            session,
            academy,
            f"Module {i + 1}",
            actor=manager,
            release_id=release.id,
            learner_minutes=20,
            content_url=f"https://lms.example.com/module-{i + 1}",
        )
        for i in range(bricks)
    ]
    round_ = create_round(
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
        add_question_through_service(
            session,
            round_,
            QuestionInput(
                kind=QuestionKind.RATING,
                prompt="Ce module est-il clair ?",
                required=True,
                per_brick=True,
            ),
        )
    if open_it:
        open_round(session, round_, actor=manager, now=now)
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
        invite_testers(
            session,
            round_,
            [u.id for u in users],
            secret_key=SECRET,
            base_url=BASE_URL,
            now=now or utcnow(),
        )
    return [invitation_of(session, round_, u.id) for u in users]  # type: ignore[misc]


def token_of(round_: FeedbackRound, user: User) -> str:
    return invitation_token(SECRET, round_.id, user.id)


def answer_values(
    questions: Sequence[Question],
    bricks: Sequence[Brick],
    *,
    rating: int = 4,
    nps: int = 9,
    text: str = "Plus d'exemples concrets.",
) -> dict[str, list[str]]:
    """Form values answering every question (per brick where asked): `rating` to the ratings,
    `nps` to the NPS, yes, the first choice, `text`."""
    values: dict[str, list[str]] = {}
    for slot in slots_of(list(questions), list(bricks)):
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
            values[slot.name] = [text]
    return values


def complete_values(setup: Setup) -> dict[str, list[str]]:
    """Answers to every question of the round (all required ones included)."""
    return answer_values(setup.questions, setup.bricks)


# -- Straight from the models ---------------------------------------------------------------------


def add_round(
    session: Session,
    academy: Academy,
    release: Release | None = None,
    *,
    anonymous: bool = False,
    **values: Any,
) -> FeedbackRound:
    release = release or make_release(session, academy)
    round_ = FeedbackRound(
        academy_id=academy.id,
        release_id=release.id,
        title=values.pop("title", f"Round {next(_counter)}"),
        anonymous=anonymous,
        **values,
    )
    session.add(round_)
    session.flush()
    return round_


def add_question(
    session: Session,
    round_: FeedbackRound,
    kind: QuestionKind,
    prompt: str = "",
    *,
    per_brick: bool = False,
    choices: list[str] | None = None,
    gate_metric: GateMetric | None = None,
) -> Question:
    question = Question(
        round_id=round_.id,
        position=next(_counter),
        kind=kind,
        prompt=prompt or f"{kind.value} question",
        per_brick=per_brick,
        choices=choices or [],
        gate_metric=gate_metric,
    )
    session.add(question)
    session.flush()
    return question


def add_invitation(
    session: Session, round_: FeedbackRound, user: User, *, completed: bool = False
) -> RoundInvitation:
    invitation = RoundInvitation(
        round_id=round_.id,
        user_id=user.id,
        token_hash=secrets.token_hex(32),
        completed_at=utcnow() if completed else None,
    )
    session.add(invitation)
    session.flush()
    return invitation


def _answers_for(question: Question, value: Any, brick_id: int | None) -> list[Answer]:
    if question.kind == QuestionKind.MULTI_CHOICE:
        return [
            Answer(question_id=question.id, brick_id=brick_id, value_text=choice)
            for choice in value
        ]
    if question.kind in (QuestionKind.TEXT, QuestionKind.SINGLE_CHOICE):
        return [Answer(question_id=question.id, brick_id=brick_id, value_text=value)]
    if question.kind == QuestionKind.YES_NO:
        return [Answer(question_id=question.id, brick_id=brick_id, value_int=1 if value else 0)]
    return [Answer(question_id=question.id, brick_id=brick_id, value_int=value)]


def respond(
    session: Session,
    round_: FeedbackRound,
    answers: Mapping[Question, Any],
    *,
    respondent: User | None = None,
    submitted: bool = True,
    submitted_at: dt.datetime | None = None,
    flush: bool = True,
    **segment: str,
) -> Response:
    """answers: {question: value}, or {question: {brick: value}} for per-brick questions."""
    response = Response(
        round_id=round_.id,
        respondent_id=None if round_.anonymous or respondent is None else respondent.id,
        lookup_key=secrets.token_hex(32),
        state=ResponseState.SUBMITTED if submitted else ResponseState.DRAFT,
        submitted_at=(submitted_at or utcnow()) if submitted else None,
        **segment,
    )
    for question, value in answers.items():
        if question.per_brick:
            for brick, brick_value in value.items():
                response.answers.extend(_answers_for(question, brick_value, brick.id))
        else:
            response.answers.extend(_answers_for(question, value, None))
    session.add(response)
    if flush:
        session.flush()
    return response


def add_item(
    session: Session,
    round_: FeedbackRound,
    *,
    title: str = "",
    kind: ItemKind = ItemKind.ISSUE,
    severity: Severity = Severity.MINOR,
    status: ItemStatus = ItemStatus.NEW,
    brick: Brick | None = None,
    reporter: User | None = None,
    **values: Any,
) -> FeedbackItem:
    item = FeedbackItem(
        round_id=round_.id,
        brick_id=brick.id if brick else None,
        reporter_id=None if round_.anonymous or reporter is None else reporter.id,
        kind=kind,
        severity=severity,
        status=status,
        title=title or f"Item {next(_counter)}",
        **values,
    )
    session.add(item)
    session.flush()
    return item


# -- Beta rounds on a release ---------------------------------------------------------------------

# Small thresholds, so that a handful of testers decides the gate.
GATE = GateCriteria(
    min_responses=2, min_response_rate=50.0, min_csat=75.0, min_nps=0.0, max_blocking=0
)


def make_testers(
    session: Session, academy: Academy, count: int, *, password: str | None = None
) -> list[User]:
    """Panel members (tester role and profile); a password lets them log in."""
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
            answer_values(
                list(round_.questions), bricks, rating=rating, nps=nps, text="Plus d'exemples."
            ),
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


def failing_round(
    session: Session, world: World, release: Release, testers: Sequence[User], **values: Any
) -> RoundRun:
    """A closed round on `release` whose gate fails: poor marks and one blocking issue."""
    return run_round(
        session, world.academy, release, world.manager, testers, secret_key=SECRET,
        rating=2, nps=3, blocking=["La vidéo ne démarre pas"], **values,
    )  # fmt: skip


def passing_round(
    session: Session, world: World, release: Release, testers: Sequence[User], **values: Any
) -> RoundRun:
    """A closed round on `release` whose gate passes: top marks, nothing blocking."""
    return run_round(
        session, world.academy, release, world.manager, testers, secret_key=SECRET,
        rating=5, nps=10, **values,
    )  # fmt: skip
