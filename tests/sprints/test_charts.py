"""The report figures against hand-computed values: cumulative flow, lead and cycle times,
percentiles, velocity; and the SVG geometry's edge cases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.factories import change_brick, make_brick, stage_of
from tracker.academies.models import StageCategory
from tracker.academies.services import list_stages
from tracker.backlog import services as brick_services
from tracker.sprints import charts, services, svg
from tracker.sprints.flow import cumulative_flow, distribution, flow_times
from tracker.sprints.models import SprintState

PARIS = ZoneInfo("Europe/Paris")
D = dt.date
UTC = dt.UTC


def test_cumulative_flow_counts_bricks_per_stage_at_the_end_of_each_day(db_session, world, clock):
    academy, manager = world.academy, world.manager
    stages = list_stages(db_session, academy)
    backlog, active, done = (
        stage_of(db_session, academy, category)
        for category in (StageCategory.BACKLOG, StageCategory.ACTIVE, StageCategory.DONE)
    )
    clock.set(2026, 3, 1, 10, 0)
    c = make_brick(
        db_session, academy, "C", actor=manager, estimate_points=1, now=clock.now
    )  # before the period, stays in the backlog
    clock.set(2026, 3, 2, 10, 0)
    a = make_brick(db_session, academy, "A", actor=manager, estimate_points=1, now=clock.now)
    clock.set(2026, 3, 3, 10, 0)
    b = make_brick(db_session, academy, "B", actor=manager, estimate_points=1, now=clock.now)
    change_brick(db_session, a, manager, stage_id=active.id, now=clock.now)
    clock.set(2026, 3, 4, 10, 0)
    change_brick(db_session, a, manager, stage_id=done.id, now=clock.now)
    clock.set(2026, 3, 4, 12, 0)
    brick_services.delete_brick(db_session, b, actor=manager, now=clock.now)

    flow = cumulative_flow(db_session, academy, stages, D(2026, 3, 2), D(2026, 3, 5),
                                  tz=PARIS, now=dt.datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip
    partial = cumulative_flow(
        db_session, academy, stages, D(2026, 3, 2), D(2026, 3, 5), tz=PARIS,
        now=dt.datetime(2026, 3, 3, 9, tzinfo=UTC),
    )  # fmt: skip

    assert [(d.date, d.counts) for d in flow.days] == [
        (D(2026, 3, 2), {backlog.id: 2}),
        (D(2026, 3, 3), {backlog.id: 2, active.id: 1}),
        (D(2026, 3, 4), {backlog.id: 1, done.id: 1}),
        (D(2026, 3, 5), {backlog.id: 1, done.id: 1}),
    ]
    assert [d.date for d in partial.days] == [D(2026, 3, 2), D(2026, 3, 3)]
    assert partial.days[-1].counts == {backlog.id: 2}  # the move at 10:00 has not happened
    assert c.stage_id == backlog.id


def test_lead_and_cycle_times_of_the_bricks_finished_in_the_period(db_session, world, clock):
    academy, manager = world.academy, world.manager
    stages = list_stages(db_session, academy)
    active = stage_of(db_session, academy, StageCategory.ACTIVE)
    done = stage_of(db_session, academy, StageCategory.DONE)
    clock.set(2026, 3, 1, 10, 0)
    d = make_brick(
        db_session, academy, "Straight to done", actor=manager, estimate_points=1, now=clock.now
    )
    e = make_brick(db_session, academy, "Reopened", actor=manager, estimate_points=1, now=clock.now)
    clock.set(2026, 3, 2, 10, 0)
    a = make_brick(db_session, academy, "A", actor=manager, estimate_points=1, now=clock.now)
    change_brick(db_session, e, manager, stage_id=active.id, now=clock.now)
    clock.set(2026, 3, 3, 10, 0)
    change_brick(db_session, a, manager, stage_id=active.id, now=clock.now)
    change_brick(db_session, e, manager, stage_id=done.id, now=clock.now)
    clock.set(2026, 3, 3, 22, 0)  # 23:00 in Paris
    change_brick(db_session, d, manager, stage_id=done.id, now=clock.now)
    clock.set(2026, 3, 4, 10, 0)
    change_brick(db_session, a, manager, stage_id=done.id, now=clock.now)
    change_brick(
        db_session, e, manager, stage_id=active.id, now=clock.now
    )  # reopened: not finished

    times = flow_times(db_session, academy, stages, D(2026, 3, 2), D(2026, 3, 5),
                              tz=PARIS, now=dt.datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip
    before = flow_times(db_session, academy, stages, D(2026, 3, 4), D(2026, 3, 5),
                               tz=PARIS, now=dt.datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip

    assert [(f.number, f.lead_days, f.cycle_days) for f in times.finished] == [
        (d.number, 2.5, None),
        (a.number, 2.0, 1.0),
    ]
    assert (times.lead.median, times.lead.p85) == (2.25, 2.5)
    assert (times.cycle.values, times.never_started) == ([1.0], 1)
    assert [f.number for f in before.finished] == [a.number]  # d finished on the 3rd


@pytest.mark.parametrize(
    ("values", "median", "p85"),
    [
        ([], None, None),
        ([4.0], 4.0, 4.0),
        ([float(n) for n in range(1, 21)], 10.5, 17.0),  # 17 of 20 at or below 17
        ([3.0, 1.0, 2.0], 2.0, 3.0),
    ],
)
def test_median_and_85th_percentile_by_nearest_rank(values, median, p85):
    dist = distribution(values)

    assert (dist.median, dist.p85) == (median, p85)
    assert sum(b.count for b in dist.bins) == len(values)


def test_time_bins_are_half_open_and_the_last_has_no_end():
    dist = distribution([0.0, 0.99, 1.0, 54.9, 55.0, 400.0])

    counts = {(b.low, b.high): b.count for b in dist.bins}
    assert counts[(0, 1)] == 2 and counts[(1, 2)] == 1
    assert counts[(34, 55)] == 1 and counts[(55, None)] == 2


def test_velocity_is_the_mean_of_the_last_three_closed_sprints(db_session, world, clock):
    academy, manager = world.academy, world.manager
    done = stage_of(db_session, academy, StageCategory.DONE)
    for k, points in enumerate((10, 20, 30, 40)):
        day = D(2026, 3, 2) + dt.timedelta(days=7 * k)
        clock.set(day.year, day.month, day.day, 7, 0)
        sprint = services.create_sprint(db_session, academy, name=f"S{k}", start_date=day,
                                        end_date=day + dt.timedelta(days=4))  # fmt: skip
        finished = make_brick(
            db_session, academy, f"Done {k}", actor=manager, estimate_points=points, now=clock.now
        )
        left = make_brick(
            db_session, academy, f"Left {k}", actor=manager, estimate_points=5, now=clock.now
        )
        services.commit_bricks(
            db_session, sprint, [finished.number, left.number], actor=manager, now=clock.now
        )
        clock.set(day.year, day.month, day.day, 8, 0)
        services.start_sprint(db_session, sprint, actor=manager, now=clock.now)
        clock.set(day.year, day.month, day.day + 1, 8, 0)
        change_brick(db_session, finished, manager, stage_id=done.id, now=clock.now)
        clock.set(day.year, day.month, day.day + 4, 17, 0)
        services.close_sprint(db_session, sprint, {left.number: None}, actor=manager, now=clock.now)
    active = services.create_sprint(db_session, academy, name="Running")
    active.state = SprintState.ACTIVE  # not closed: not in the velocity

    velocity = charts.velocity(db_session, academy, charts.done_stage_ids(
        list_stages(db_session, academy)))  # fmt: skip

    assert [(v.name, v.committed, v.completed) for v in velocity.sprints] == [
        ("S0", 15, 10), ("S1", 25, 20), ("S2", 35, 30), ("S3", 45, 40),
    ]  # fmt: skip
    assert velocity.mean == 30.0


def test_svg_lines_break_on_unknown_values_and_axes_are_round():
    chart = svg.line_chart(
        "c", "T", "D", ["a", "b", "c", "d", "e"],
        [svg.Series("S", "css", [5, 4, None, 2, 1])],
    )  # fmt: skip

    assert len(chart.lines[0].paths) == 2 and len(chart.lines[0].points) == 4
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6"]
    assert svg.nice_top(0) == (1.0, 1.0) and svg.nice_top(37) == (40.0, 10.0)
