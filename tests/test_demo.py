"""The demo academy: believable content, a past played through the services (sprints, rounds,
releases) that the charts and pages can show, and a seed that never duplicates anything."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.factories import SECRET
from tracker import demo
from tracker.academies.models import Academy, Membership, StageCategory
from tracker.academies.services import list_stages
from tracker.auth.models import User
from tracker.backlog.models import (
    Activity,
    ActivityKind,
    Brick,
    ChecklistItem,
    Comment,
    LearningObjective,
    LearningPath,
    NeedStatus,
    TrainingNeed,
    need_brick,
)
from tracker.backlog.needs_models import NeedEvent
from tracker.db import utcnow
from tracker.demo import (
    DEMO_BRICKS,
    DEMO_NEEDS,
    DEMO_PATHS,
    DEMO_TESTER_EMAILS,
    DEMO_TESTERS,
    PILOT,
    PILOT_ROUND,
    SOCLE,
    SOCLE_ROUND,
    seed_demo,
)
from tracker.feedback import panel
from tracker.feedback.answers import my_rounds
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    GateSnapshot,
    ItemStatus,
    Question,
    Response,
    ResponseState,
    RoundInvitation,
    RoundState,
    Segment,
    Severity,
)
from tracker.feedback.models import TesterProfile as Profile
from tracker.feedback.triage_models import FeedbackItemEvent
from tracker.mail.models import MailMessage
from tracker.releases.models import (
    Decision,
    DecisionOutcome,
    Release,
    ReleaseEvent,
    ReleaseNotes,
    ReleaseState,
)
from tracker.sprints import charts
from tracker.sprints import queries as sprint_queries
from tracker.sprints import services as sprint_services
from tracker.sprints.models import (
    Sprint,
    SprintBaselineItem,
    SprintResult,
    SprintScopeChange,
    SprintState,
)

PASSWORD = "demo password 123"
PARIS = ZoneInfo("Europe/Paris")

COUNTED = (
    User,
    Academy,
    Membership,
    Profile,
    Segment,
    Brick,
    LearningPath,
    Release,
    ReleaseEvent,
    Decision,
    ReleaseNotes,
    Sprint,
    SprintBaselineItem,
    SprintScopeChange,
    SprintResult,
    TrainingNeed,
    NeedEvent,
    Activity,
    ChecklistItem,
    LearningObjective,
    Comment,
    FeedbackRound,
    Question,
    RoundInvitation,
    Response,
    Answer,
    FeedbackItem,
    FeedbackItemEvent,
    GateSnapshot,
    MailMessage,
)


def counts(session) -> dict[str, int]:
    result = {
        model.__name__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED
    }
    result["need_brick"] = session.scalar(select(func.count()).select_from(need_brick))
    return result


def seed(session, now=None):
    with force_locale("fr"):
        academy, _people = seed_demo(session, password=PASSWORD, now=now)
    session.flush()
    return academy


def by_name(session, model, academy, name_column, name):
    return session.scalars(
        select(model).where(model.academy_id == academy.id, name_column == name)
    ).one()


def user(session, email):
    return session.scalars(select(User).where(User.email == email)).one()


def test_the_demo_academy_has_believable_planning_content(db_session):
    academy = seed(db_session)

    bricks = db_session.scalars(select(Brick).where(Brick.academy_id == academy.id)).all()
    needs = db_session.scalars(
        select(TrainingNeed).where(TrainingNeed.academy_id == academy.id)
    ).all()
    assert len(bricks) == len(DEMO_BRICKS) + 1 >= 30  # and the one made from feedback
    assert len({b.format for b in bricks}) >= 10
    assert len({b.stage_id for b in bricks}) == len(academy.stages)  # every column has some
    assert all(b.objectives and b.owner_id and b.estimate_points for b in bricks)
    assert {p.name for p in db_session.scalars(select(LearningPath))} >= {
        p.name for p in DEMO_PATHS
    }
    assert len(needs) == len(DEMO_NEEDS)
    assert {n.status for n in needs} == set(NeedStatus)
    assert all(n.decline_reason for n in needs if n.status == NeedStatus.DECLINED)
    assert sum(1 for n in needs if n.bricks) >= 5
    done = [b for b in bricks if b.stage.category == StageCategory.DONE]
    assert done and all(item.done for b in done for item in b.checklist)


def test_the_sprints_have_a_past_the_charts_can_show(db_session):
    academy = seed(db_session)
    now = utcnow()

    sprints = {s.name: s for s in sprint_services.list_sprints(db_session, academy)}
    first, second, third = sprints["Sprint 1"], sprints["Sprint 2"], sprints["Sprint 3"]
    stages = list_stages(db_session, academy)
    done_ids = charts.done_stage_ids(stages)

    # Sprint 1 ran from two weeks ago to last week, and closed.
    assert first.state == SprintState.CLOSED
    assert first.start_date < first.end_date < now.date() - dt.timedelta(days=1)
    assert first.started_at < first.closed_at < now
    result = sprint_queries.result_of(db_session, first)
    assert 0 < result.completed_points < result.baseline_points + result.added_points
    assert result.added_points > 0 and result.to_sprint_count > 0  # a scope change, a carry-over
    # ... with bricks completed on different days of it, so the burndown has a shape.
    series = charts.sprint_series(db_session, first, done_ids, tz=PARIS, now=now)
    remaining = [d.tally.remaining_points for d in series.days if d.tally is not None]
    assert len(set(remaining)) >= 4
    velocity = charts.velocity(db_session, academy, done_ids)
    assert [v.completed for v in velocity.sprints] == [result.completed_points]

    # Sprint 2 started a few days ago and has made some progress; Sprint 3 is planned next.
    assert second.state == SprintState.ACTIVE
    assert 2 <= (now.astimezone(PARIS).date() - second.start_date).days <= 8
    progress = charts.sprint_series(db_session, second, done_ids, tz=PARIS, now=now).final
    assert 0 < progress.done_points < progress.scope_points
    assert third.state == SprintState.PLANNED and third.start_date > second.end_date
    for sprint in (second, third):
        commitment = sprint_queries.commitment(db_session, sprint)
        assert 0 < commitment.points <= (sprint.capacity_points or 0)

    # Every event of the history is in the past, spread over weeks.
    moments = db_session.scalars(select(Activity.at).where(Activity.academy_id == academy.id))
    days = {moment.astimezone(PARIS).date() for moment in moments}
    assert max(days) < now.astimezone(PARIS).date() and len(days) >= 20
    done_moves = db_session.scalars(
        select(Activity.at).where(
            Activity.academy_id == academy.id,
            Activity.kind == ActivityKind.MOVED,
            Activity.sprint_id == first.id,
            Activity.stage_id.in_(done_ids),
        )
    ).all()
    assert len({moment.date() for moment in done_moves}) >= 4


def test_the_panel_is_forty_colleagues_from_the_bank(db_session):
    academy = seed(db_session)

    rows = db_session.execute(
        select(Profile, User)
        .join(User, User.id == Profile.user_id)
        .where(Profile.academy_id == academy.id)
    ).all()
    assert len(rows) == len(DEMO_TESTERS) == 40
    assert {p.business_unit for p, _u in rows} == {
        "DRH",
        "Banque de détail",
        "DSI",
        "Conformité",
        "Direction des risques",
    }
    assert {p.site for p, _u in rows} == {"Paris", "Lyon", "Lille", "Nantes"}
    assert len({p.job_family for p, _u in rows}) >= 10
    assert all(u.email.endswith("@brique.example") for _p, u in rows)
    assert len({u.display_name for _p, u in rows}) == 40
    assert set(DEMO_TESTER_EMAILS) <= {u.email for _p, u in rows}
    segments = panel.list_segments(db_session, academy)
    assert len(segments) == 3 and all(count > 0 for _segment, count in segments)


def test_the_pilot_was_tested_decided_released_and_announced(db_session, client, login):
    academy = seed(db_session)
    release = by_name(db_session, Release, academy, Release.name, PILOT)
    round_ = by_name(db_session, FeedbackRound, academy, FeedbackRound.title, PILOT_ROUND)

    # A round closed with about thirty responses, whose gate passed.
    assert release.state == ReleaseState.RELEASED
    assert round_.state == RoundState.CLOSED
    snapshot = db_session.scalars(
        select(GateSnapshot).where(GateSnapshot.round_id == round_.id)
    ).one()
    criteria = {c["name"]: c for c in snapshot.criteria}
    assert snapshot.passed and snapshot.completed >= 30
    assert criteria["min_csat"]["value"] >= 75 and criteria["min_nps"]["value"] >= 0
    responses = db_session.scalars(select(Response).where(Response.round_id == round_.id)).all()
    submitted = [r for r in responses if r.state == ResponseState.SUBMITTED]
    assert len(submitted) == snapshot.completed
    assert len({len(r.answers) for r in submitted}) > 1  # not everybody wrote a comment

    # In time order: opened, answered, closed, decided, released.
    decision = db_session.scalars(select(Decision).where(Decision.release_id == release.id)).one()
    assert decision.outcome == DecisionOutcome.GO and decision.gate_passed
    assert round_.opened_at < round_.closed_at <= snapshot.evaluated_at < decision.decided_at
    assert decision.decided_at < release.released_at < utcnow()
    assert all(round_.opened_at.date() <= r.submitted_at.date() for r in submitted)
    assert all(r.submitted_at < round_.closed_at for r in submitted)

    # Feedback acted on: one item became a brick, done since.
    items = db_session.scalars(select(FeedbackItem).where(FeedbackItem.round_id == round_.id))
    [item] = [i for i in items if i.created_brick_id is not None]
    made = db_session.get(Brick, item.created_brick_id)
    assert made.stage.category == StageCategory.DONE and made.release_id is not None

    # Published notes that stakeholders read on their home.
    notes = db_session.scalars(
        select(ReleaseNotes).where(ReleaseNotes.release_id == release.id)
    ).one()
    assert notes.published_at is not None and "80,6" in notes.published_body
    login(user(db_session, demo.STAKEHOLDER_EMAIL), password=PASSWORD)
    home = client.get(f"/a/{academy.slug}/", follow_redirects=True).get_data(as_text=True)
    assert PILOT in home and "80,6" in home


def test_the_second_increment_is_in_beta_with_its_round_open(db_session, client, login):
    academy = seed(db_session)
    now = utcnow()
    release = by_name(db_session, Release, academy, Release.name, SOCLE)
    round_ = by_name(db_session, FeedbackRound, academy, FeedbackRound.title, SOCLE_ROUND)

    assert release.state == ReleaseState.IN_BETA and round_.state == RoundState.OPEN
    assert dt.timedelta(days=9) < round_.closes_at - now < dt.timedelta(days=11)
    invitations = db_session.scalars(
        select(RoundInvitation).where(RoundInvitation.round_id == round_.id)
    ).all()
    responses = db_session.scalars(select(Response).where(Response.round_id == round_.id)).all()
    assert len(invitations) == 25
    assert sum(1 for r in responses if r.state == ResponseState.SUBMITTED) == 12
    assert sum(1 for r in responses if r.state == ResponseState.DRAFT) == 2
    assert all(round_.opened_at < r.created_at < now for r in responses)
    items = db_session.scalars(select(FeedbackItem).where(FeedbackItem.round_id == round_.id))
    blocking = [i for i in items if i.severity == Severity.BLOCKING]
    assert [i.status for i in blocking] == [ItemStatus.NEW]

    # A demo tester finds it in "my rounds", not started yet.
    lea = user(db_session, DEMO_TESTER_EMAILS[0])
    current, past = my_rounds(db_session, academy, lea.id, secret_key=SECRET, now=now)
    assert [(m.round.title, m.status) for m in current] == [(SOCLE_ROUND, "not_started")]
    assert [(m.round.title, m.status) for m in past] == [(PILOT_ROUND, "submitted")]

    # The manager sees the live results and the triage.
    login(user(db_session, demo.MANAGER_EMAIL), password=PASSWORD)
    results = client.get(f"/a/{academy.slug}/rounds/{round_.id}/results")
    board = client.get(f"/a/{academy.slug}/rounds/{round_.id}/triage")
    assert results.status_code == board.status_code == 200
    assert blocking[0].title in board.get_data(as_text=True)


def test_seeding_twice_duplicates_nothing(db_session):
    seed(db_session)
    first = counts(db_session)

    seed(db_session)

    assert counts(db_session) == first
    assert first["TesterProfile"] == 40 and first["Response"] > 40


@pytest.mark.parametrize(
    "local_now",
    [
        dt.datetime(2026, 3, 4, 0, 20),  # a Wednesday just after midnight: the shortest beta
        dt.datetime(2026, 3, 9, 7, 0),  # a Monday morning: Sprint 2 started a week ago
        dt.datetime(2026, 10, 25, 23, 50),  # a Sunday night, the day the clocks go back
    ],
)
def test_the_story_fits_in_the_past_whatever_the_day(db_session, local_now):
    now = local_now.replace(tzinfo=PARIS).astimezone(dt.UTC)

    academy = seed(db_session, now=now)  # the story checks that every event is before `now`

    round_ = by_name(db_session, FeedbackRound, academy, FeedbackRound.title, SOCLE_ROUND)
    assert round_.state == RoundState.OPEN and round_.closes_at > now
    assert (
        db_session.scalar(select(func.count(Response.id)).where(Response.round_id == round_.id))
        == 14
    )
