"""The release lifecycle through the services: planned → in beta → go/no-go → released, the gate
and its override, the history of every state change, rounds compared, feedback to act on."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import (
    failing_round,
    passing_round,
)
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError
from tracker.feedback.models import ItemStatus
from tracker.releases import readiness, services
from tracker.releases.models import (
    DecisionOutcome,
    ReleaseEvent,
    ReleaseEventKind,
    ReleaseState,
)


def states(db_session, release):
    events = (
        db_session.query(ReleaseEvent)
        .filter_by(release_id=release.id, kind=ReleaseEventKind.STATE_CHANGED)
        .order_by(ReleaseEvent.id)
    )
    return [(e.from_state, e.to_state, e.actor_id) for e in events]


def test_opening_a_round_puts_the_release_in_beta(db_session, world, beta):
    release, testers = beta

    passing_round(db_session, world, release, testers, close=False)

    assert release.state == ReleaseState.IN_BETA
    assert states(db_session, release) == [
        (ReleaseState.PLANNED, ReleaseState.IN_BETA, world.manager.id)
    ]


def test_no_decision_while_the_round_is_open(db_session, world, beta):
    release, testers = beta
    passing_round(db_session, world, release, testers, close=False)

    with pytest.raises(DomainError, match="still open"):
        services.record_decision(
            db_session, release, outcome="go", actor=world.manager, now=utcnow()
        )
    assert release.state == ReleaseState.IN_BETA


def test_no_decision_on_a_planned_release(db_session, world, beta):
    release, _testers = beta

    with pytest.raises(DomainError, match="in beta"):
        services.record_decision(
            db_session, release, outcome="go", actor=world.manager, now=utcnow()
        )


def test_a_go_approves_the_release_and_records_who_and_when(db_session, world, beta):
    release, testers = beta
    run = passing_round(db_session, world, release, testers)
    when = utcnow()

    decision = services.record_decision(
        db_session, release, outcome="go", comment="Prêt", actor=world.manager, now=when
    )

    assert release.state == ReleaseState.APPROVED
    assert (decision.round_id, decision.outcome, decision.gate_passed) == (
        run.round.id,
        DecisionOutcome.GO,
        True,
    )
    assert (decision.decided_by_id, decision.decided_at, decision.comment) == (
        world.manager.id,
        when,
        "Prêt",
    )
    last = states(db_session, release)[-1]
    assert last == (ReleaseState.IN_BETA, ReleaseState.APPROVED, world.manager.id)


def test_a_go_with_reserves_needs_the_reserves(db_session, world, beta):
    release, testers = beta
    passing_round(db_session, world, release, testers)

    with pytest.raises(DomainError) as refused:
        services.record_decision(
            db_session, release, outcome="go_with_reserves", reserves="  ", actor=world.manager,
            now=utcnow(),
        )  # fmt: skip

    assert refused.value.field == "reserves"
    assert release.state == ReleaseState.IN_BETA


def test_an_unknown_outcome_is_a_field_error(db_session, world, beta):
    release, testers = beta
    passing_round(db_session, world, release, testers)

    with pytest.raises(DomainError) as refused:
        services.record_decision(
            db_session, release, outcome="maybe", actor=world.manager, now=utcnow()
        )

    assert refused.value.field == "outcome"


def test_a_no_go_sends_the_release_back_to_planned_through_rejected(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)

    services.record_decision(
        db_session, release, outcome="no_go", comment="Trop de bugs", actor=world.manager,
        now=utcnow(),
    )  # fmt: skip

    assert release.state == ReleaseState.PLANNED
    assert states(db_session, release)[-2:] == [
        (ReleaseState.IN_BETA, ReleaseState.REJECTED, world.manager.id),
        (ReleaseState.REJECTED, ReleaseState.PLANNED, world.manager.id),
    ]
    # ... and its open feedback is what to act on, blocking first.
    [open_item] = readiness.items_to_act_on(db_session, release)
    assert open_item.item.title == "La vidéo ne démarre pas"
    assert open_item.brick is not None


def test_one_decision_per_round(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    release.state = ReleaseState.IN_BETA  # as if someone forced it back without a new round

    with pytest.raises(DomainError, match="already recorded"):
        services.record_decision(
            db_session, release, outcome="go", actor=world.manager, now=utcnow()
        )


def test_releasing_is_refused_while_the_gate_failed_and_no_go_was_given(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)

    with pytest.raises(services.ReleaseRefused) as refused:
        services.mark_released(db_session, release, actor=world.manager, now=utcnow())

    fields = [field for _message, field in refused.value.reasons]
    assert fields == [None, "override_reason"]
    message = refused.value.message
    assert "No go decision yet" in message
    assert "was not passed" in message and "CSAT: 0" in message
    assert release.state == ReleaseState.IN_BETA


def test_a_go_on_a_failed_gate_still_needs_an_override_reason(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="go_with_reserves", reserves="Corriger la vidéo",
        actor=world.manager, now=utcnow(),
    )  # fmt: skip

    with pytest.raises(services.ReleaseRefused) as refused:
        services.mark_released(db_session, release, actor=world.manager, now=utcnow())
    assert [field for _m, field in refused.value.reasons] == ["override_reason"]

    when = utcnow()
    services.mark_released(
        db_session, release, override_reason="Obligation légale au 1er mars", actor=world.manager,
        now=when,
    )  # fmt: skip

    assert release.state == ReleaseState.RELEASED
    assert (release.released_at, release.override_at) == (when, when)
    assert (release.override_reason, release.override_by_id) == (
        "Obligation légale au 1er mars",
        world.manager.id,
    )
    event = (
        db_session.query(ReleaseEvent)
        .filter_by(release_id=release.id)
        .order_by(ReleaseEvent.id.desc())
        .first()
    )
    assert (event.from_state, event.to_state, event.changes, event.note) == (
        ReleaseState.APPROVED,
        ReleaseState.RELEASED,
        {"override": True},
        "Obligation légale au 1er mars",
    )


def test_a_passed_gate_and_a_go_release_without_override(db_session, world, beta):
    release, testers = beta
    passing_round(db_session, world, release, testers)
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=utcnow())

    services.mark_released(
        db_session, release, override_reason="ignored", actor=world.manager, now=utcnow()
    )

    assert release.state == ReleaseState.RELEASED
    assert release.override_reason == ""  # nothing to override: no reason kept
    with pytest.raises(Conflict):
        services.mark_released(db_session, release, actor=world.manager, now=utcnow())


def test_the_gate_that_counts_is_the_last_closed_rounds(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    passing_round(db_session, world, release, testers, now=utcnow() + dt.timedelta(seconds=1))
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=utcnow())

    services.mark_released(db_session, release, actor=world.manager, now=utcnow())

    assert release.state == ReleaseState.RELEASED
    assert release.override_reason == ""


def test_every_state_change_is_in_the_history(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    passing_round(db_session, world, release, testers)
    services.record_decision(db_session, release, outcome="go", actor=world.designer, now=utcnow())
    services.mark_released(db_session, release, actor=world.manager, now=utcnow())

    P, B, A, R, X = (
        ReleaseState.PLANNED, ReleaseState.IN_BETA, ReleaseState.APPROVED,
        ReleaseState.REJECTED, ReleaseState.RELEASED,
    )  # fmt: skip
    m, d = world.manager.id, world.designer.id
    assert states(db_session, release) == [
        (P, B, m), (B, R, m), (R, P, m), (P, B, m), (B, A, d), (A, X, m),
    ]  # fmt: skip
    assert all(e.at is not None for e in services.release_history(db_session, release))


def test_a_later_round_is_compared_with_the_previous_one(db_session, world, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    passing_round(db_session, world, release, testers)

    first, second = readiness.round_comparison(db_session, release)

    assert first.previous is None and first.delta("min_csat") is None
    assert first.decision is not None and first.decision.outcome == DecisionOutcome.NO_GO
    assert (first.figures.csat, second.figures.csat) == (0.0, 100.0)
    assert second.delta("min_csat") == 100.0
    # 3 promoters vs 3 detractors: NPS +100 against -100.
    assert second.delta("min_nps") == 200.0
    assert second.delta("max_blocking") == -1.0
    assert second.delta("min_responses") == 0.0
    assert (second.figures.passed, first.figures.passed) == (True, False)


def test_items_done_are_no_longer_to_act_on(db_session, world, beta):
    release, testers = beta
    run = failing_round(db_session, world, release, testers)
    run.items[0].status = ItemStatus.DONE
    db_session.flush()

    assert readiness.items_to_act_on(db_session, release) == []
