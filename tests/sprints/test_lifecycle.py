"""Sprint services: commit and remove bricks, start (baseline, one active), scope changes with a
reason, close (destinations, results kept)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.factories import change_brick, make_brick, make_sprint, stage_of
from tracker.academies.models import StageCategory
from tracker.backlog.models import Activity, ActivityKind
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError
from tracker.sprints import queries, services
from tracker.sprints.models import ScopeChangeKind, Sprint, SprintResult, SprintState

D = dt.date


def test_committing_to_a_planned_sprint_is_planning_not_a_scope_change(db_session, world):
    sprint = make_sprint(db_session, world)
    a = make_brick(db_session, world.academy, "A", actor=world.manager, estimate_points=3)

    moved = services.commit_bricks(
        db_session, sprint, [a.number], actor=world.manager, now=utcnow()
    )

    kinds = db_session.scalars(select(Activity.kind).where(Activity.brick_id == a.id)).all()
    assert moved == 1 and a.sprint_id == sprint.id
    assert ActivityKind.SPRINT_CHANGED in kinds
    assert queries.scope_changes_of(db_session, sprint) == []


def test_start_freezes_the_baseline_and_later_changes_need_a_reason(db_session, world, clock):
    sprint = make_sprint(db_session, world)
    a = make_brick(
        db_session, world.academy, "A", actor=world.manager, estimate_points=3, now=clock.now
    )
    b = make_brick(
        db_session, world.academy, "B", actor=world.manager, estimate_points=5, now=clock.now
    )
    services.commit_bricks(db_session, sprint, [a.number], actor=world.manager, now=clock.now)
    clock.set(2026, 3, 2, 8, 0)
    services.start_sprint(db_session, sprint, actor=world.manager, now=clock.now)
    clock.set(2026, 3, 3, 8, 0)
    change_brick(
        db_session, a, world.manager, estimate_points=13, now=clock.now
    )  # the baseline keeps 3

    with pytest.raises(DomainError) as refused:
        services.commit_bricks(
            db_session, sprint, [b.number], actor=world.manager, reason="  ", now=clock.now
        )
    services.commit_bricks(db_session, sprint, [b.number], actor=world.manager,
                           reason="Asked by the sponsor", now=clock.now)  # fmt: skip
    services.remove_bricks(db_session, sprint, [a.number], actor=world.manager,
                           reason="Blocked by legal", now=clock.now)  # fmt: skip

    changes = queries.scope_changes_of(db_session, sprint)
    activity = db_session.get(Activity, changes[0].activity_id)
    assert refused.value.field == "reason"
    assert sprint.state == SprintState.ACTIVE
    assert sprint.started_at == dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    assert [(i.brick_number, i.points) for i in services.baseline_of(db_session, sprint)] == [
        (a.number, 3)
    ]
    assert [(c.brick_number, c.kind, c.points, c.reason) for c in changes] == [
        (b.number, ScopeChangeKind.ADDED, 5, "Asked by the sponsor"),
        (a.number, ScopeChangeKind.REMOVED, 13, "Blocked by legal"),
    ]
    assert activity.kind == ActivityKind.SPRINT_CHANGED and activity.brick_id == b.id
    assert (a.sprint_id, b.sprint_id) == (None, sprint.id)


def test_a_sprint_without_dates_or_already_started_does_not_start(db_session, world):
    undated = services.create_sprint(db_session, world.academy, name="Someday")
    sprint = make_sprint(db_session, world)
    services.start_sprint(db_session, sprint, actor=world.manager, now=utcnow())

    with pytest.raises(DomainError):
        services.start_sprint(db_session, undated, actor=world.manager, now=utcnow())
    with pytest.raises(DomainError):
        services.start_sprint(db_session, sprint, actor=world.manager, now=utcnow())


def test_only_one_sprint_is_active_per_academy(db_session, world):
    first = make_sprint(db_session, world, "S1")
    second = make_sprint(db_session, world, "S2")
    elsewhere = services.create_sprint(
        db_session, world.other_academy, name="S1", start_date=D(2026, 3, 2),
        end_date=D(2026, 3, 6),
    )  # fmt: skip
    services.start_sprint(db_session, first, actor=world.manager, now=utcnow())

    with pytest.raises(Conflict):
        services.start_sprint(db_session, second, actor=world.manager, now=utcnow())
    services.start_sprint(
        db_session, elsewhere, actor=world.outsider, now=utcnow()
    )  # another academy: fine

    assert second.state == SprintState.PLANNED and elsewhere.state == SprintState.ACTIVE


def test_the_database_itself_refuses_a_second_active_sprint(db_session, world):
    """The partial unique index holds even when a write skips the service's check."""
    first = make_sprint(db_session, world, "S1")
    second = make_sprint(db_session, world, "S2")
    services.start_sprint(db_session, first, actor=world.manager, now=utcnow())
    savepoint = db_session.begin_nested()

    second.state = SprintState.ACTIVE
    with pytest.raises(IntegrityError):
        db_session.flush()
    savepoint.rollback()

    closed = make_sprint(db_session, world, "S3")
    closed.state = SprintState.CLOSED
    db_session.flush()  # closed and planned sprints are not limited


def test_a_start_that_races_past_the_check_is_a_conflict_not_a_crash(
    db_session, world, monkeypatch
):
    first = make_sprint(db_session, world, "S1")
    second = make_sprint(db_session, world, "S2")
    services.start_sprint(db_session, first, actor=world.manager, now=utcnow())
    monkeypatch.setattr(services, "active_sprint", lambda *args: None)  # as if read before

    with pytest.raises(Conflict):
        services.start_sprint(db_session, second, actor=world.manager, now=utcnow())

    assert db_session.get(Sprint, second.id).state == SprintState.PLANNED


def test_bricks_of_a_started_sprint_are_not_taken_by_another(db_session, world):
    running = make_sprint(db_session, world, "S1")
    later = make_sprint(db_session, world, "S2")
    a = make_brick(db_session, world.academy, "A", actor=world.manager, estimate_points=3)
    services.commit_bricks(db_session, running, [a.number], actor=world.manager, now=utcnow())
    services.start_sprint(db_session, running, actor=world.manager, now=utcnow())

    with pytest.raises(DomainError) as refused:
        services.commit_bricks(db_session, later, [a.number], actor=world.manager, now=utcnow())

    assert refused.value.field == "brick" and a.sprint_id == running.id


def test_another_academys_bricks_are_not_found(db_session, world):
    sprint = make_sprint(db_session, world)
    theirs = make_brick(
        db_session, world.other_academy, "Theirs", actor=world.outsider, estimate_points=3
    )
    ours = make_brick(db_session, world.academy, "Ours", actor=world.manager, estimate_points=1)

    services.commit_bricks(db_session, sprint, [ours.number], actor=world.manager, now=utcnow())

    assert theirs.sprint_id is None and ours.sprint_id == sprint.id


def test_close_needs_a_destination_for_every_unfinished_brick(db_session, world, clock):
    sprint = make_sprint(db_session, world, "S1")
    closed = make_sprint(db_session, world, "S0")
    closed.state = SprintState.CLOSED
    a = make_brick(
        db_session, world.academy, "A", actor=world.manager, estimate_points=3, now=clock.now
    )
    b = make_brick(
        db_session, world.academy, "B", actor=world.manager, estimate_points=2, now=clock.now
    )
    services.commit_bricks(
        db_session, sprint, [a.number, b.number], actor=world.manager, now=clock.now
    )
    services.start_sprint(db_session, sprint, actor=world.manager, now=clock.now)

    with pytest.raises(Conflict):  # b was added since the page was read
        services.close_sprint(
            db_session, sprint, {a.number: None}, actor=world.manager, now=clock.now
        )
    with pytest.raises(DomainError) as refused:  # not a planned sprint
        services.close_sprint(db_session, sprint, {a.number: None, b.number: closed.id},
                              actor=world.manager, now=clock.now)  # fmt: skip

    assert refused.value.field == f"brick_{b.number}"
    assert sprint.state == SprintState.ACTIVE


def test_closing_keeps_the_results_and_empties_the_sprint_of_unfinished_work(
    db_session, world, clock
):
    done = stage_of(db_session, world.academy, StageCategory.DONE)
    sprint = make_sprint(db_session, world, "S1")
    after = make_sprint(db_session, world, "S2", start_date=D(2026, 3, 16), end_date=D(2026, 3, 27))
    a = make_brick(
        db_session, world.academy, "A", actor=world.manager, estimate_points=3, now=clock.now
    )
    b = make_brick(
        db_session, world.academy, "B", actor=world.manager, estimate_points=2, now=clock.now
    )
    c = make_brick(
        db_session, world.academy, "C", actor=world.manager, estimate_points=None, now=clock.now
    )
    clock.set(2026, 3, 1, 9, 0)
    services.commit_bricks(db_session, sprint, [a.number, b.number, c.number],
                           actor=world.manager, now=clock.now)  # fmt: skip
    clock.set(2026, 3, 2, 9, 0)
    services.start_sprint(db_session, sprint, actor=world.manager, now=clock.now)
    clock.set(2026, 3, 5, 9, 0)
    change_brick(db_session, a, world.manager, stage_id=done.id, now=clock.now)
    clock.set(2026, 3, 13, 17, 0)

    result = services.close_sprint(db_session, sprint, {b.number: after.id, c.number: None},
                                   actor=world.manager, now=clock.now)  # fmt: skip
    clock.set(2026, 3, 20, 9, 0)
    change_brick(db_session, a, world.manager, estimate_points=8, now=clock.now)

    stored = db_session.get(SprintResult, sprint.id)
    assert stored is result
    assert (stored.baseline_points, stored.completed_points, stored.carried_points) == (5, 3, 2)
    assert (stored.to_sprint_count, stored.to_backlog_count) == (1, 1)
    assert (b.sprint_id, c.sprint_id, a.sprint_id) == (after.id, None, sprint.id)
    assert queries.commitment(db_session, sprint).points == 8  # today: A re-estimated
    assert queries.scope_changes_of(db_session, after) == []  # planned: no scope change
    with pytest.raises(DomainError):
        services.commit_bricks(db_session, sprint, [b.number], actor=world.manager, now=clock.now)
    with pytest.raises(DomainError):
        services.close_sprint(db_session, sprint, {}, actor=world.manager, now=clock.now)


def test_planning_candidates_are_unplanned_unfinished_bricks_in_rank_order(db_session, world):
    done = stage_of(db_session, world.academy, StageCategory.DONE)
    sprint = make_sprint(db_session, world)
    first = make_brick(db_session, world.academy, "First", actor=world.manager, estimate_points=1)
    make_brick(
        db_session,
        world.academy,
        "Finished",
        actor=world.manager,
        estimate_points=1,
        stage_id=done.id,
    )
    planned = make_brick(
        db_session, world.academy, "Planned", actor=world.manager, estimate_points=1
    )
    services.commit_bricks(db_session, sprint, [planned.number], actor=world.manager, now=utcnow())
    last = make_brick(
        db_session, world.academy, "Last", actor=world.manager, estimate_points=2, format="mooc"
    )

    everything = queries.planning_candidates(db_session, world.academy)
    moocs = queries.planning_candidates(db_session, world.academy, format="mooc")
    paged = queries.planning_candidates(db_session, world.academy, per_page=1, page=2)

    assert [b.title for b in everything.bricks] == ["First", "Last"]
    assert (everything.count, everything.points) == (2, 3)
    assert [b.number for b in moocs.bricks] == [last.number]
    assert (paged.page, paged.pages, [b.number for b in paged.bricks]) == (2, 2, [last.number])
    assert first.sprint_id is None
