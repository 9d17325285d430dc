"""Rounds: creation with the academy's defaults (the default questionnaire in its language),
editing while draft, opening, closing by hand and when the closing time passes (the command)."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.factories import invite, make_round, make_tester, plan_release
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError
from tracker.feedback.answers import save_response
from tracker.feedback.models import (
    FeedbackRound,
    GateMetric,
    GateSnapshot,
    QuestionKind,
    RoundInvitation,
    RoundState,
)
from tracker.feedback.phases import RoundClosed, round_phase
from tracker.feedback.questionnaire import (
    QuestionInput,
    add_question,
    default_questions,
    delete_question,
)
from tracker.feedback.rounds import (
    GateCriteria,
    close_due_rounds,
    close_round,
    create_round,
    list_rounds,
    open_round,
    update_round,
)
from tracker.releases.models import ReleaseEvent, ReleaseState
from tracker.releases.services import create_release

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


# -- Creation and editing ---------------------------------------------------------------------


def test_a_new_round_copies_the_academy_gate_and_starts_from_the_default_questionnaire(
    db_session, world
):
    # Arrange
    world.academy.gate_min_responses = 120
    world.academy.gate_min_nps = 10
    world.academy.default_locale = "fr"
    release = plan_release(db_session, world, "Incrément 1")

    # Act
    round_ = create_round(
        db_session,
        world.academy,
        release_id=release.id,
        title="  Bêta   parcours data ",
        closes_at=NOW + dt.timedelta(days=10),
        actor=world.manager,
        now=NOW,
    )

    # Assert
    assert round_.state == RoundState.DRAFT
    assert round_.title == "Bêta parcours data"
    assert (round_.gate_min_responses, round_.gate_min_nps) == (120, 10)
    questions = list(round_.questions)
    assert [q.prompt for q in questions] == [d.prompt for d in default_questions("fr")]
    assert [q.kind for q in questions] == [
        QuestionKind.RATING,
        QuestionKind.NPS,
        QuestionKind.RATING,
        QuestionKind.YES_NO,
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.TEXT,
    ]
    assert [q.gate_metric for q in questions] == [
        GateMetric.CSAT,
        GateMetric.NPS,
        None,
        GateMetric.INTENTION,
        None,
        None,
    ]
    assert questions[4].choices == list(default_questions("fr")[4].choices)


def test_the_default_questionnaire_follows_the_academy_language(db_session, world):
    release = plan_release(db_session, world, "Incrément 1")
    world.academy.default_locale = "en"

    round_ = create_round(
        db_session,
        world.academy,
        release_id=release.id,
        title="Beta",
        closes_at=NOW + dt.timedelta(days=3),
        actor=world.manager,
        now=NOW,
    )

    assert round_.questions[0].prompt == "Overall, how satisfied are you with this increment?"
    assert round_.questions[2].prompt == "I will be able to apply this in my work."


@pytest.mark.parametrize(
    ("opens", "closes", "field"),
    [
        (None, None, "closes_at"),
        (None, NOW - dt.timedelta(minutes=1), "closes_at"),
        (NOW + dt.timedelta(days=3), NOW + dt.timedelta(days=2), "closes_at"),
    ],
)
def test_the_closing_time_must_be_ahead_and_after_the_opening(
    db_session, world, opens, closes, field
):
    release = plan_release(db_session, world, "Incrément 1")

    with pytest.raises(DomainError) as refused:
        create_round(
            db_session,
            world.academy,
            release_id=release.id,
            title="Beta",
            opens_at=opens,
            closes_at=closes,
            actor=world.manager,
            now=NOW,
        )

    assert refused.value.field == field


def test_a_round_goes_on_a_release_of_its_academy_that_is_not_past_beta(db_session, world):
    other = create_release(
        db_session, world.other_academy, name="Ailleurs", actor=world.outsider, now=utcnow()
    )
    done = plan_release(db_session, world, "Livrée")
    done.state = ReleaseState.RELEASED

    for release in (other, done):
        with pytest.raises(DomainError) as refused:
            create_round(
                db_session,
                world.academy,
                release_id=release.id,
                title="Beta",
                closes_at=NOW + dt.timedelta(days=1),
                actor=world.manager,
                now=NOW,
            )
        assert refused.value.field == "release_id"


def test_a_round_is_edited_while_draft_only(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)
    gate = GateCriteria(10, 40.0, 70.0, 5.0, 1)

    update_round(
        db_session,
        setup.round,
        release_id=setup.round.release_id,
        title="Nouveau titre",
        instructions="Testez sur mobile.",
        opens_at=None,
        closes_at=NOW + dt.timedelta(days=2),
        anonymous=True,
        gate=gate,
        now=NOW,
    )
    assert (setup.round.title, setup.round.anonymous, setup.round.gate_max_blocking) == (
        "Nouveau titre",
        True,
        1,
    )

    open_round(db_session, setup.round, actor=world.manager, now=NOW)
    with pytest.raises(DomainError):
        update_round(
            db_session,
            setup.round,
            release_id=setup.round.release_id,
            title="Encore",
            instructions="",
            opens_at=None,
            closes_at=NOW + dt.timedelta(days=2),
            anonymous=False,
            gate=gate,
            now=NOW,
        )
    assert setup.round.anonymous is True


# -- Opening ----------------------------------------------------------------------------------


def test_opening_puts_a_planned_release_in_beta_and_records_it(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)

    open_round(db_session, setup.round, actor=world.manager, now=NOW)

    assert setup.round.state == RoundState.OPEN
    assert setup.round.opened_at == NOW
    assert setup.round.release.state == ReleaseState.IN_BETA
    event = db_session.scalars(
        select(ReleaseEvent)
        .where(ReleaseEvent.release_id == setup.round.release_id)
        .order_by(ReleaseEvent.id.desc())
    ).first()
    assert (event.from_state, event.to_state, event.actor_id) == (
        ReleaseState.PLANNED,
        ReleaseState.IN_BETA,
        world.manager.id,
    )


def test_a_round_opens_only_with_a_question_and_a_closing_time_ahead(db_session, world):
    setup = make_round(
        db_session, world.academy, world.manager, open_it=False, per_brick=False, now=NOW
    )
    for question in list(setup.round.questions):
        delete_question(db_session, question)

    with pytest.raises(DomainError) as no_question:
        open_round(db_session, setup.round, actor=world.manager, now=NOW)
    assert no_question.value.field is None

    add_question(db_session, setup.round, QuestionInput("yes_no", "Utile ?"))
    later = NOW + dt.timedelta(days=30)
    with pytest.raises(DomainError) as refused:
        open_round(db_session, setup.round, actor=world.manager, now=later)
    assert refused.value.field == "closes_at"

    open_round(db_session, setup.round, actor=world.manager, now=NOW)
    with pytest.raises(Conflict):
        open_round(db_session, setup.round, actor=world.manager, now=NOW)


# -- Closing ----------------------------------------------------------------------------------


def test_closing_by_hand_expires_the_links_and_freezes_the_gate_once(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    tester = make_tester(db_session, world.academy)
    [invitation] = invite(db_session, setup.round, [tester], now=NOW)
    assert invitation.expires_at == setup.round.closes_at
    later = NOW + dt.timedelta(hours=5)

    assert close_round(db_session, setup.round, actor=world.manager, now=later) is True
    assert close_round(db_session, setup.round, actor=world.manager, now=later) is False

    assert (setup.round.state, setup.round.closed_at) == (RoundState.CLOSED, later)
    db_session.refresh(invitation)
    assert invitation.expires_at == later
    snapshots = db_session.scalars(
        select(GateSnapshot).where(GateSnapshot.round_id == setup.round.id)
    ).all()
    assert len(snapshots) == 1
    assert snapshots[0].invited == 1


def test_close_due_rounds_closes_only_rounds_past_their_time_and_only_once(db_session, world):
    due = make_round(
        db_session, world.academy, world.manager, now=NOW, closes_in=dt.timedelta(hours=1)
    )
    later = make_round(
        db_session, world.academy, world.manager, now=NOW, closes_in=dt.timedelta(days=3)
    )
    draft = make_round(
        db_session,
        world.academy,
        world.manager,
        now=NOW,
        open_it=False,
        closes_in=dt.timedelta(hours=1),
    )
    moment = NOW + dt.timedelta(hours=2)

    first = close_due_rounds(db_session, moment)
    second = close_due_rounds(db_session, moment)

    assert first == [due.round.id]
    assert second == []
    assert later.round.state == RoundState.OPEN
    assert draft.round.state == RoundState.DRAFT


def test_answers_are_refused_from_the_closing_time_on_even_before_the_job_runs(db_session, world):
    setup = make_round(
        db_session, world.academy, world.manager, now=NOW, closes_in=dt.timedelta(hours=1)
    )
    tester = make_tester(db_session, world.academy)
    [invitation] = invite(db_session, setup.round, [tester], now=NOW)

    with pytest.raises(RoundClosed):
        save_response(
            db_session,
            invitation,
            {},
            submit=False,
            secret_key="k",
            now=NOW + dt.timedelta(hours=1),
        )
    assert round_phase(setup.round, NOW + dt.timedelta(hours=1)) == "closed"


def test_the_close_due_rounds_command_closes_and_says_how_many(app, db_session, world):
    setup = make_round(
        db_session,
        world.academy,
        world.manager,
        closes_in=dt.timedelta(seconds=1),
        now=utcnow() - dt.timedelta(seconds=5),
    )
    db_session.flush()

    result = CliRunner().invoke(app.cli, ["close-due-rounds"], obj=None)
    again = CliRunner().invoke(app.cli, ["close-due-rounds"], obj=None)

    assert result.exit_code == 0, result.output
    assert f"rounds closed: 1 ({setup.round.id})" in result.output
    assert "rounds closed: 0" in again.output
    db_session.refresh(setup.round)
    assert setup.round.state == RoundState.CLOSED


def test_list_rounds_counts_invitations_in_two_queries(db_session, world, queries):
    for _ in range(3):
        setup = make_round(db_session, world.academy, world.manager, now=NOW)
        invite(db_session, setup.round, [make_tester(db_session, world.academy)], now=NOW)

    with queries() as counter:
        summaries = list_rounds(db_session, world.academy)
        names = [s.round.release.name for s in summaries]

    assert len(names) == 3
    assert [(s.invited, s.completed) for s in summaries] == [(1, 0)] * 3
    assert counter.count == 2
    assert db_session.scalar(select(func.count(RoundInvitation.id))) >= 3
    assert isinstance(summaries[0].round, FeedbackRound)
