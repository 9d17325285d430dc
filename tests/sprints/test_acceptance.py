"""Acceptance: a whole sprint planned, started, worked, changed, closed with carry-over; its
burndown and burnup match the events, day by day, against figures computed by hand.

The sprint runs Thursday 26 March to Wednesday 1 April 2026 in Europe/Paris, across the
switch to summer time (29 March): day boundaries are local midnights, not UTC ones.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import change_brick, make_brick, stage_of
from tracker.academies.models import StageCategory
from tracker.academies.services import list_stages
from tracker.sprints import charts, services
from tracker.sprints.models import SprintState

PARIS = ZoneInfo("Europe/Paris")
D = dt.date


def test_a_full_sprint_burns_down_as_its_events_say(db_session, world, clock):
    # -- Arrange: plan ---------------------------------------------------------------------
    academy, manager = world.academy, world.manager
    active = stage_of(db_session, academy, StageCategory.ACTIVE)
    done = stage_of(db_session, academy, StageCategory.DONE)
    clock.set(2026, 3, 25, 10, 0)
    sprint = services.create_sprint(db_session, academy, name="Sprint 1", goal="Socle RGPD",
                                    start_date=D(2026, 3, 26), end_date=D(2026, 4, 1),
                                    capacity_points=20)  # fmt: skip
    after = services.create_sprint(db_session, academy, name="Sprint 2",
                                   start_date=D(2026, 4, 2), end_date=D(2026, 4, 15))  # fmt: skip
    a = make_brick(db_session, academy, "A", actor=manager, estimate_points=3, now=clock.now)
    b = make_brick(db_session, academy, "B", actor=manager, estimate_points=5, now=clock.now)
    c = make_brick(db_session, academy, "C", actor=manager, estimate_points=8, now=clock.now)
    d = make_brick(db_session, academy, "D", actor=manager, estimate_points=2, now=clock.now)
    f = make_brick(db_session, academy, "F", actor=manager, estimate_points=4, now=clock.now)
    e = make_brick(
        db_session, academy, "E", actor=manager, estimate_points=1, now=clock.now
    )  # added mid-sprint
    clock.set(2026, 3, 25, 11, 0)
    services.commit_bricks(db_session, sprint, [a.number, b.number, c.number, d.number,
                                                f.number], actor=manager,
                           now=clock.now)  # fmt: skip

    # -- Act: start (09:00 Paris), work, change the scope, close ---------------------------
    clock.set(2026, 3, 26, 8, 0)
    baseline = services.start_sprint(db_session, sprint, actor=manager, now=clock.now)
    clock.set(2026, 3, 26, 9, 0)
    change_brick(db_session, a, manager, stage_id=active.id, now=clock.now)
    clock.set(2026, 3, 26, 15, 0)
    change_brick(db_session, a, manager, stage_id=done.id, now=clock.now)  # day 1: 22 - 3 = 19
    clock.set(2026, 3, 28, 22, 30)  # 23:30 in Paris: still the 28th
    change_brick(db_session, b, manager, stage_id=done.id, now=clock.now)  # day 3: 19 - 5 = 14
    clock.set(2026, 3, 29, 10, 0)
    services.commit_bricks(db_session, sprint, [e.number], actor=manager,
                           reason="Urgent request from HR", now=clock.now)  # fmt: skip  # day 4: 15
    clock.set(2026, 3, 29, 11, 0)
    services.remove_bricks(db_session, sprint, [f.number], actor=manager,
                           reason="Waiting for the vendor", now=clock.now)  # fmt: skip  # day 4: 11
    clock.set(2026, 3, 29, 22, 30)  # 00:30 on the 30th in Paris (summer time, UTC+2)
    change_brick(db_session, c, manager, stage_id=done.id, now=clock.now)  # day 5: 11 - 8 = 3
    clock.set(2026, 3, 31, 12, 0)
    change_brick(db_session, e, manager, stage_id=done.id, now=clock.now)  # day 6: 3 - 1 = 2
    clock.set(2026, 4, 1, 9, 0)
    change_brick(
        db_session, d, manager, estimate_points=3, now=clock.now
    )  # day 7: re-estimated, 2 -> 3
    clock.set(2026, 4, 1, 16, 0)
    unfinished = services.unfinished_bricks(db_session, sprint)
    result = services.close_sprint(
        db_session, sprint, {d.number: after.id}, actor=manager, now=clock.now
    )
    # After the close, nothing rewrites the sprint's past.
    clock.set(2026, 4, 3, 10, 0)
    change_brick(db_session, a, manager, estimate_points=13, now=clock.now)
    change_brick(db_session, c, manager, stage_id=active.id, now=clock.now)
    series = charts.sprint_series(
        db_session, sprint, charts.done_stage_ids(list_stages(db_session, academy)),
        tz=PARIS, now=clock.now,
    )  # fmt: skip

    # -- Assert ----------------------------------------------------------------------------
    assert [item.points for item in baseline] == [3, 5, 8, 2, 4]
    assert series is not None and series.start.remaining_points == 22
    assert series.remaining_by_day() == {
        D(2026, 3, 26): 19,
        D(2026, 3, 27): 19,
        D(2026, 3, 28): 14,
        D(2026, 3, 29): 11,  # + E (1), - F (4); C finished after local midnight
        D(2026, 3, 30): 3,
        D(2026, 3, 31): 2,
        D(2026, 4, 1): 3,  # D re-estimated to 3 points
    }
    assert [day.tally.done_points for day in series.days] == [3, 3, 8, 8, 16, 17, 17]
    assert [day.tally.scope_points for day in series.days] == [22, 22, 22, 19, 19, 19, 20]
    assert [day.ideal for day in series.days] == [round(22 * (1 - n / 7), 2) for n in range(1, 8)]
    assert [(s.number, s.added, s.points, s.day_index, s.reason) for s in series.scope_events] == [
        (e.number, True, 1, 4, "Urgent request from HR"),
        (f.number, False, 4, 4, "Waiting for the vendor"),
    ]
    assert [u.number for u in unfinished] == [d.number]
    assert (sprint.state, d.sprint_id, f.sprint_id) == (SprintState.CLOSED, after.id, None)
    assert (
        result.baseline_points, result.baseline_count, result.added_points,
        result.removed_points, result.scope_points, result.scope_count,
        result.completed_points, result.completed_count, result.carried_points,
        result.to_sprint_count, result.to_backlog_count,
    ) == (22, 5, 1, 4, 20, 5, 17, 4, 3, 1, 0)  # fmt: skip
    velocity = charts.velocity(
        db_session, academy, charts.done_stage_ids(list_stages(db_session, academy))
    )
    assert [(v.name, v.committed, v.completed) for v in velocity.sprints] == [("Sprint 1", 22, 17)]
