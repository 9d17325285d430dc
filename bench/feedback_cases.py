"""Benchmark cases of the feedback results side (registered in bench.cases.CASES on import).

.venv/bin/python bench/run.py round-results round-results-open --sizes 2000
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case
from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.demo import DEMO_SLUG
from tracker.feedback.gate import evaluate_gate
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
    RoundState,
    Severity,
)
from tracker.releases.models import Release

QUESTIONS: tuple[tuple[QuestionKind, bool, list[str], GateMetric | None], ...] = (
    (QuestionKind.RATING, False, [], GateMetric.CSAT),
    (QuestionKind.NPS, False, [], GateMetric.NPS),
    (QuestionKind.RATING, True, [], None),
    (QuestionKind.YES_NO, False, [], None),
    (QuestionKind.SINGLE_CHOICE, False, ["< 30 min", "30-60 min", "1-2 h", "> 2 h"], None),
    (QuestionKind.TEXT, False, [], None),
    (QuestionKind.RATING, False, [], None),
    (QuestionKind.RATING, False, [], None),
    (QuestionKind.MULTI_CHOICE, False, ["Téléphone", "Ordinateur", "Tablette", "Papier"], None),
    (QuestionKind.YES_NO, True, [], None),
    (QuestionKind.NPS, False, [], None),
    (QuestionKind.TEXT, True, [], None),
    (QuestionKind.RATING, False, [], None),
    (QuestionKind.SINGLE_CHOICE, False, ["Oui", "Plutôt oui", "Plutôt non", "Non"], None),
    (QuestionKind.YES_NO, False, [], None),
    (QuestionKind.MULTI_CHOICE, False, ["Vidéo", "Quiz", "Fiche", "Forum", "Classe"], None),
    (QuestionKind.RATING, True, [], None),
    (QuestionKind.TEXT, False, [], None),
    (QuestionKind.RATING, False, [], None),
    (QuestionKind.TEXT, False, [], None),
)
UNITS = ("Ventes", "Finance", "RH", "DSI", "Juridique", "Achats", "Marketing", "Logistique")
FAMILIES = ("Manager", "Expert", "Technicien", "Assistant")
SITES = ("Lyon", "Paris", "Nantes", "Lille", "Toulouse", "Bordeaux")
WORDS = ("la vidéo", "le quiz", "trop long", "clair", "utile", "le son", "parfait", "ennuyeux")


def seed_round_results(session: Session, size: int | None) -> Mapping[str, Any]:
    """A closed anonymous round on a demo release: 20 questions (3 per brick), `size` submitted
    responses plus drafts, invitations for 1.25 x size testers, 200 feedback items; bulk
    inserted."""
    return _seed_round(session, size, open_=False)


def seed_open_round_results(session: Session, size: int | None) -> Mapping[str, Any]:
    """The same round still open (closing tomorrow): its aggregates are computed per request."""
    return _seed_round(session, size, open_=True)


def _seed_round(session: Session, size: int | None, *, open_: bool) -> Mapping[str, Any]:
    count = size or 2000
    rng = random.Random(20261128)
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    release_id = session.scalar(
        select(Brick.release_id)
        .where(Brick.academy_id == academy.id, Brick.release_id.is_not(None))
        .group_by(Brick.release_id)
        .order_by(func.count(Brick.id).desc())
        .limit(1)
    ) or session.scalar(select(Release.id).where(Release.academy_id == academy.id))
    bricks = list(
        session.scalars(select(Brick.id).where(Brick.release_id == release_id).order_by(Brick.id))
    )
    now = dt.datetime.now(dt.UTC)
    round_ = FeedbackRound(
        academy_id=academy.id,
        release_id=release_id,
        title="Banc : campagne de 2 000 réponses",
        state=RoundState.OPEN if open_ else RoundState.CLOSED,
        anonymous=True,
        opens_at=now - dt.timedelta(days=14),
        closes_at=now + dt.timedelta(days=1) if open_ else now - dt.timedelta(hours=1),
        opened_at=now - dt.timedelta(days=14),
        closed_at=None if open_ else now - dt.timedelta(hours=1),
    )
    session.add(round_)
    session.flush()
    questions: list[Question] = []
    for position, (kind, per_brick, choices, metric) in enumerate(QUESTIONS):
        question = Question(
            round_id=round_.id,
            position=position,
            kind=kind,
            prompt=f"Question {position + 1} ({kind.value})",
            per_brick=per_brick and bool(bricks),
            choices=choices,
            gate_metric=metric,
        )
        session.add(question)
        questions.append(question)
    session.flush()

    # Testers: bulk inserted, no password (nobody logs in as them).
    invited = count + count // 4
    session.execute(
        insert(User),
        [
            {
                "email": f"bench-round-{n}@brique.example",
                "display_name": f"Testeur {n}",
                "password_hash": None,
                "locale": "fr",
                "is_admin": False,
                "is_active_account": True,
                "created_at": now,
            }
            for n in range(invited)
        ],
    )
    user_ids = list(
        session.scalars(
            select(User.id).where(User.email.like("bench-round-%@brique.example")).order_by(User.id)
        )
    )
    session.execute(
        insert(Membership),
        [{"academy_id": academy.id, "user_id": uid, "role": Role.TESTER} for uid in user_ids],
    )
    session.execute(
        insert(RoundInvitation),
        [
            {
                "round_id": round_.id,
                "user_id": uid,
                "token_hash": secrets.token_hex(32),
                "created_at": now,
                "expires_at": round_.closes_at,
                "sent_at": now,
                "reminder_count": 0,
                "completed_at": now if n < count else None,
            }
            for n, uid in enumerate(user_ids)
        ],
    )

    drafts = count // 10
    response_rows = [
        {
            "round_id": round_.id,
            "respondent_id": None,
            "lookup_key": secrets.token_hex(32),
            "state": ResponseState.SUBMITTED if n < count else ResponseState.DRAFT,
            # A few small units, so that the anonymous round hides some segments.
            "business_unit": UNITS[min(int(rng.expovariate(0.45)), len(UNITS) - 1)],
            "job_family": rng.choice(FAMILIES),
            "site": rng.choice(SITES),
            "language": "fr" if rng.random() < 0.8 else "en",
            "created_at": now,
            "updated_at": now,
            "submitted_at": now if n < count else None,
        }
        for n in range(count + drafts)
    ]
    response_ids = list(
        session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True),
                        response_rows)
    )  # fmt: skip

    answers: list[dict[str, Any]] = []

    def add(response_id: int, question: Question, brick_id: int | None) -> None:
        row: dict[str, Any] = {
            "response_id": response_id,
            "question_id": question.id,
            "brick_id": brick_id,
            "value_int": None,
            "value_text": None,
        }
        if question.kind == QuestionKind.RATING:
            answers.append({**row, "value_int": min(5, max(1, round(rng.gauss(3.9, 0.9))))})
        elif question.kind == QuestionKind.NPS:
            answers.append({**row, "value_int": min(10, max(0, round(rng.gauss(7.6, 2.0))))})
        elif question.kind == QuestionKind.YES_NO:
            answers.append({**row, "value_int": int(rng.random() < 0.7)})
        elif question.kind == QuestionKind.SINGLE_CHOICE:
            answers.append({**row, "value_text": rng.choice(question.choices)})
        elif question.kind == QuestionKind.MULTI_CHOICE:
            for choice in rng.sample(question.choices, rng.randint(0, 3)):
                answers.append({**row, "value_text": choice})
        elif rng.random() < 0.4:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            answers.append({**row, "value_text": text.capitalize() + "."})

    for response_id in response_ids:
        for question in questions:
            if question.per_brick:
                for brick_id in bricks:
                    add(response_id, question, brick_id)
            else:
                add(response_id, question, None)
    for start in range(0, len(answers), 10000):
        session.execute(insert(Answer), answers[start : start + 10000])

    session.execute(
        insert(FeedbackItem),
        [
            {
                "round_id": round_.id,
                "brick_id": bricks[n % len(bricks)] if bricks else None,
                "reporter_id": None,
                "lookup_key": secrets.token_hex(32),
                "location": f"diapo {n % 30}",
                "kind": list(ItemKind)[n % 4],
                "severity": list(Severity)[n % 4],
                "title": f"Retour de banc {n}",
                "description": "Un retour de banc d'essai.",
                "status": list(ItemStatus)[n % 6],
                "created_at": now,
                "updated_at": now,
            }
            for n in range(200)
        ],
    )
    session.flush()
    if not open_:  # Closed rounds have their gate snapshot (the page shows it, not a preview).
        evaluate_gate(session, round_, now=now)
    if session.get_bind().dialect.name == "postgresql":
        # Real answers arrive over days and autovacuum keeps the statistics; after a bulk load
        # the planner would still believe these tables empty and pick nested loops.
        session.execute(text("ANALYZE"))
    return {"round_id": round_.id, "round_answers": len(answers)}


@case("round-results", seed=seed_round_results, sized=True, login_as="manager")
def round_results(ctx: Context) -> Request:
    """A closed round's results page, as the manager; size = submitted responses (20 questions)."""
    return Request(f"/a/{ctx.facts['academy_slug']}/rounds/{ctx.facts['round_id']}/results")


@case("round-results-open", seed=seed_open_round_results, sized=True, login_as="manager")
def round_results_open(ctx: Context) -> Request:
    """An open round's results page (aggregates computed per request: a few GROUP BY queries),
    as the manager; size = submitted responses (20 questions). The issue's budget: within 2x
    the board's time at 1,000 bricks."""
    return round_results(ctx)


@case("round-results-search", seed=seed_round_results, sized=True, login_as="manager")
def round_results_search(ctx: Context) -> Request:
    """The same page read by site, free text searched and paged."""
    page = 1 + ctx.iteration % 5
    return Request(
        f"/a/{ctx.facts['academy_slug']}/rounds/{ctx.facts['round_id']}/results"
        f"?dim=site&q=vid%C3%A9o&page={page}"
    )
