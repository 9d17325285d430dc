"""The release gate: each criterion evaluated once, when the round closes, then frozen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import (
    add_invitation,
    add_item,
    add_question,
    add_round,
    make_user,
    respond,
)
from tracker.feedback.gate import compute_gate, evaluate_gate, intention_figure
from tracker.feedback.models import (
    Answer,
    GateMetric,
    GateSnapshot,
    ItemStatus,
    QuestionKind,
    Severity,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def by_name(snapshot: GateSnapshot) -> dict[str, dict]:
    return {criterion["name"]: criterion for criterion in snapshot.criteria}


@pytest.fixture
def gated(db_session, world):
    """4 invited, 3 completed; CSAT from 5, 4, 3 (66.7 %); NPS from 10, 9, 5 (+33.3)."""
    round_ = add_round(
        db_session,
        world.academy,
        gate_min_responses=3,
        gate_min_response_rate=70.0,
        gate_min_csat=60.0,
        gate_min_nps=30.0,
        gate_max_blocking=0,
    )
    satisfaction = add_question(
        db_session, round_, QuestionKind.RATING, gate_metric=GateMetric.CSAT
    )
    recommend = add_question(db_session, round_, QuestionKind.NPS, gate_metric=GateMetric.NPS)
    for n in range(4):
        add_invitation(db_session, round_, make_user(db_session), completed=n < 3)
    for rating, score in ((5, 10), (4, 9), (3, 5)):
        respond(db_session, round_, {satisfaction: rating, recommend: score})
    return round_, satisfaction, recommend


def test_every_criterion_is_stored_with_value_threshold_and_result(db_session, gated) -> None:
    round_, _, _ = gated

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    criteria = by_name(snapshot)
    assert [c["name"] for c in snapshot.criteria] == [
        "min_responses", "min_response_rate", "min_csat", "min_nps", "max_blocking",
    ]  # fmt: skip
    assert (criteria["min_responses"]["value"], criteria["min_responses"]["passed"]) == (3, True)
    assert criteria["min_response_rate"]["value"] == 75.0  # 3 / 4
    assert criteria["min_csat"]["value"] == pytest.approx(66.7)  # 2 of 3 gave 4 or 5
    assert criteria["min_csat"]["indicative"] is True  # 3 answers < 30
    assert criteria["min_nps"]["value"] == pytest.approx(33.3)  # 2/3 promoters - 1/3 detractors
    assert criteria["min_nps"]["threshold"] == 30.0
    assert criteria["min_nps"]["margin"] > 0
    assert (criteria["max_blocking"]["value"], criteria["max_blocking"]["passed"]) == (0, True)
    assert snapshot.passed is True
    assert (snapshot.invited, snapshot.completed) == (4, 3)


def test_one_failing_criterion_fails_the_gate(db_session, gated) -> None:
    round_, _, _ = gated
    round_.gate_min_csat = 70.0

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    assert by_name(snapshot)["min_csat"]["status"] == "fail"
    assert snapshot.passed is False


def test_later_edits_never_change_the_snapshot(db_session, gated) -> None:
    round_, satisfaction, _ = gated
    snapshot = evaluate_gate(db_session, round_, now=NOW)
    db_session.flush()
    stored = [dict(c) for c in snapshot.criteria]

    # Answers and criteria change after the round closed.
    for answer in db_session.scalars(select(Answer).where(Answer.question_id == satisfaction.id)):
        answer.value_int = 1
    round_.gate_min_responses = 100
    add_item(db_session, round_, severity=Severity.BLOCKING)
    again = evaluate_gate(db_session, round_, now=NOW)
    db_session.flush()
    db_session.expire_all()

    assert again.id == snapshot.id
    reloaded = db_session.scalars(
        select(GateSnapshot).where(GateSnapshot.round_id == round_.id)
    ).all()
    assert len(reloaded) == 1
    assert reloaded[0].criteria == stored
    assert reloaded[0].passed is True
    # ... while a fresh evaluation would now fail: the snapshot really is frozen.
    assert compute_gate(db_session, round_)["passed"] is False


def test_only_submitted_responses_count(db_session, gated) -> None:
    round_, satisfaction, recommend = gated
    respond(db_session, round_, {satisfaction: 1, recommend: 0}, submitted=False)

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    assert by_name(snapshot)["min_responses"]["value"] == 3
    assert by_name(snapshot)["min_csat"]["value"] == pytest.approx(66.7)


def test_open_blocking_items_are_counted(db_session, gated) -> None:
    round_, _, _ = gated
    for status in (ItemStatus.NEW, ItemStatus.ACCEPTED, ItemStatus.PLANNED):
        add_item(db_session, round_, severity=Severity.BLOCKING, status=status)
    for status in (ItemStatus.DONE, ItemStatus.DECLINED, ItemStatus.DUPLICATE):
        add_item(db_session, round_, severity=Severity.BLOCKING, status=status)
    add_item(db_session, round_, severity=Severity.MAJOR)
    round_.gate_max_blocking = 2

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    criterion = by_name(snapshot)["max_blocking"]
    assert (criterion["value"], criterion["threshold"], criterion["passed"]) == (3, 2, False)
    assert snapshot.passed is False


def test_the_intention_to_apply_is_the_share_of_yes_and_no_gate_criterion(
    db_session, gated
) -> None:
    round_, satisfaction, recommend = gated
    assert intention_figure(db_session, round_) == (False, None)  # no question measures it
    intend = add_question(db_session, round_, QuestionKind.YES_NO, gate_metric=GateMetric.INTENTION)
    assert intention_figure(db_session, round_) == (True, None)  # nobody answered it yet
    for yes in (True, True, False):
        respond(db_session, round_, {satisfaction: 5, recommend: 10, intend: yes})
    respond(db_session, round_, {satisfaction: 5, recommend: 10})  # skipped it: not counted
    respond(db_session, round_, {intend: False}, submitted=False)  # a draft: not counted

    measured, share = intention_figure(db_session, round_)
    snapshot = evaluate_gate(db_session, round_, now=NOW)

    assert measured and share == pytest.approx(200 / 3)  # 2 yes of 3 answers
    assert "intention" not in str([c["name"] for c in snapshot.criteria])


def test_a_criterion_without_a_question_has_no_data_and_fails(db_session, world) -> None:
    round_ = add_round(db_session, world.academy, gate_min_responses=0, gate_min_nps=-100.0)
    add_invitation(db_session, round_, make_user(db_session), completed=True)
    respond(db_session, round_, {})

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    csat = by_name(snapshot)["min_csat"]
    assert (csat["value"], csat["status"], csat["reason"], csat["passed"]) == (
        None, "no_data", "no_question", False,
    )  # fmt: skip
    # A threshold that asks for nothing is met even without data (NPS at -100 here).
    nps = by_name(snapshot)["min_nps"]
    assert (nps["status"], nps["passed"]) == ("no_data", True)
    assert snapshot.passed is False


def test_a_question_nobody_answered_has_no_data(db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    add_question(db_session, round_, QuestionKind.RATING, gate_metric=GateMetric.CSAT)

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    csat = by_name(snapshot)["min_csat"]
    assert (csat["status"], csat["reason"]) == ("no_data", "no_answers")
    rate = by_name(snapshot)["min_response_rate"]
    assert (rate["status"], rate["reason"], rate["passed"]) == ("no_data", "no_invitations", False)


def test_csat_pools_every_gate_question_and_every_brick(db_session, world) -> None:
    round_ = add_round(db_session, world.academy, gate_min_csat=50.0)
    first = add_question(db_session, round_, QuestionKind.RATING, gate_metric=GateMetric.CSAT)
    second = add_question(db_session, round_, QuestionKind.RATING, gate_metric=GateMetric.CSAT)
    ignored = add_question(db_session, round_, QuestionKind.RATING)
    respond(db_session, round_, {first: 5, second: 2, ignored: 1})
    respond(db_session, round_, {first: 4, second: 1, ignored: 1})

    snapshot = evaluate_gate(db_session, round_, now=NOW)

    csat = by_name(snapshot)["min_csat"]
    assert (csat["value"], csat["n"], csat["passed"]) == (50.0, 4, True)
