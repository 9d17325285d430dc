"""Answers through the services: drafts, submission with required questions, edits until close,
idempotence, and "my rounds". (Feedback items: test_items.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import SECRET, complete_values, invite, make_round, make_tester
from tracker.feedback.answers import (
    AnswerErrors,
    my_response,
    my_rounds,
    response_values,
    save_response,
)
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import (
    Answer,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
)
from tracker.feedback.phases import RoundClosed, round_phase
from tracker.feedback.questionnaire import QuestionInput, add_question
from tracker.feedback.rounds import close_round, open_round

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)


def save(db_session, invitation, values, *, submit, now=LATER):
    return save_response(db_session, invitation, values, submit=submit, secret_key=SECRET, now=now)


def answers_of(db_session, response):
    return db_session.scalars(
        select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)
    ).all()


def test_a_draft_keeps_partial_answers_without_completing(db_session, setup, invitation):
    rating = setup.question(QuestionKind.RATING)

    response = save(db_session, invitation, {f"q{rating.id}": ["5"]}, submit=False)

    assert response.state == ResponseState.DRAFT
    assert [(a.question_id, a.value_int) for a in answers_of(db_session, response)] == [
        (rating.id, 5)
    ]
    assert response.respondent_id == invitation.user_id
    assert (response.business_unit, response.site) == ("RH", "Lille")
    db_session.refresh(invitation)
    assert invitation.completed_at is None


def test_submitting_requires_every_required_answer_and_says_which(db_session, setup, invitation):
    values = complete_values(setup)
    brick_rating = setup.question(QuestionKind.RATING, per_brick=True)
    missing = f"q{brick_rating.id}-b{setup.bricks[1].id}"
    del values[missing]
    values[f"q{setup.question(QuestionKind.NPS).id}"] = ["11"]

    with pytest.raises(AnswerErrors) as refused:
        save(db_session, invitation, values, submit=True)

    assert set(refused.value.errors) == {missing, f"q{setup.question(QuestionKind.NPS).id}"}
    assert db_session.scalar(select(func.count(Response.id))) == 0


def test_submitting_stores_every_kind_and_completes_the_invitation(db_session, setup, invitation):
    values = complete_values(setup)

    response = save(db_session, invitation, values, submit=True)

    assert response.state == ResponseState.SUBMITTED
    assert response.submitted_at == LATER
    stored = response_values(
        my_response(db_session, setup.round, invitation.user_id, secret_key=SECRET)
    )
    assert stored == values
    per_brick = [a for a in answers_of(db_session, response) if a.brick_id is not None]
    assert sorted(a.brick_id for a in per_brick) == sorted(b.id for b in setup.bricks)
    db_session.refresh(invitation)
    assert invitation.completed_at == LATER


def test_a_multiple_choice_answer_is_one_row_per_option(db_session, world):
    draft = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)
    question = add_question(
        db_session,
        draft.round,
        QuestionInput("multi_choice", "Appareils ?", choices="PC\nMobile\nTablette"),
    )
    open_round(db_session, draft.round, actor=world.manager, now=NOW)
    tester = make_tester(db_session, world.academy)
    [mine] = invite(db_session, draft.round, [tester], now=NOW)

    response = save(db_session, mine, {f"q{question.id}": ["Tablette", "PC", "PC"]}, submit=False)

    assert [a.value_text for a in answers_of(db_session, response)] == ["PC", "Tablette"]
    with pytest.raises(AnswerErrors):
        save(db_session, mine, {f"q{question.id}": ["Minitel"]}, submit=False)


def test_editing_and_resubmitting_replaces_the_answers_of_the_same_response(
    db_session, setup, invitation
):
    values = complete_values(setup)
    first = save(db_session, invitation, values, submit=True)
    rating = f"q{setup.question(QuestionKind.RATING).id}"
    values[rating] = ["2"]

    second = save(db_session, invitation, values, submit=True, now=LATER + dt.timedelta(hours=1))

    assert second.id == first.id
    assert response_values(second)[rating] == ["2"]
    assert db_session.scalar(select(func.count(Response.id))) == 1
    assert second.submitted_at == LATER  # the first submission's time is kept


def test_a_submitted_response_stays_submitted_and_complete(db_session, setup, invitation):
    values = complete_values(setup)
    save(db_session, invitation, values, submit=True)
    del values[f"q{setup.question(QuestionKind.RATING).id}"]

    with pytest.raises(AnswerErrors):
        save(db_session, invitation, values, submit=False)  # a "draft" save is a resubmission


def test_submitting_twice_the_same_answers_makes_one_response(db_session, setup, invitation):
    values = complete_values(setup)

    first = save(db_session, invitation, values, submit=True)
    second = save(db_session, invitation, values, submit=True)

    assert first.id == second.id
    assert db_session.scalar(select(func.count(Response.id))) == 1
    assert db_session.scalar(select(func.count(Answer.id))) == len(values)


def test_nothing_is_accepted_once_the_round_is_closed(db_session, world, setup, invitation):
    close_round(db_session, setup.round, actor=world.manager, now=LATER)

    with pytest.raises(RoundClosed):
        save(db_session, invitation, complete_values(setup), submit=True)
    with pytest.raises(RoundClosed):
        report_item(
            db_session,
            invitation,
            ItemInput(None, "", "issue", "minor", "Trop tard"),
            secret_key=SECRET,
            now=LATER,
        )


def test_a_round_that_starts_later_takes_nothing_before(db_session, world):
    later = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)
    later.round.opens_at = NOW + dt.timedelta(days=1)
    open_round(db_session, later.round, actor=world.manager, now=NOW)
    [mine] = invite(db_session, later.round, [make_tester(db_session, world.academy)], now=NOW)

    assert round_phase(later.round, LATER) == "scheduled"
    with pytest.raises(RoundClosed):
        save(db_session, mine, {}, submit=False)
    assert save(db_session, mine, {}, submit=False, now=NOW + dt.timedelta(days=2)).id


# -- My rounds --------------------------------------------------------------------------------


def test_my_rounds_lists_open_rounds_by_deadline_and_past_ones_with_my_status(db_session, world):
    me = make_tester(db_session, world.academy)
    soon = make_round(
        db_session, world.academy, world.manager, now=NOW, closes_in=dt.timedelta(days=2)
    )
    late = make_round(
        db_session, world.academy, world.manager, now=NOW, closes_in=dt.timedelta(days=9)
    )
    past = make_round(
        db_session, world.academy, world.manager, now=NOW, closes_in=dt.timedelta(days=1)
    )
    make_round(db_session, world.academy, world.manager, now=NOW)  # not invited
    invitations = {
        r.round.id: invite(db_session, r.round, [me], now=NOW)[0] for r in (soon, late, past)
    }
    save(db_session, invitations[late.round.id], {}, submit=False)
    save(db_session, invitations[past.round.id], complete_values(past), submit=True)
    close_round(db_session, past.round, actor=None, now=NOW + dt.timedelta(days=1))

    current, done = my_rounds(
        db_session, world.academy, me.id, secret_key=SECRET, now=NOW + dt.timedelta(days=1)
    )

    assert [(m.round.id, m.status) for m in current] == [
        (soon.round.id, "not_started"),
        (late.round.id, "draft"),
    ]
    assert [(m.round.id, m.status) for m in done] == [(past.round.id, "submitted")]
    assert (
        db_session.scalar(
            select(func.count(RoundInvitation.id)).where(RoundInvitation.user_id == me.id)
        )
        == 3
    )
