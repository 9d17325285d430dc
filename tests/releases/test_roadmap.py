"""The roadmap's timeline geometry: releases in date order, the slip of a late release, today's
line, undated releases set aside."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tracker.backlog.paths_services import Totals
from tracker.releases import overview
from tracker.releases.models import Release, ReleaseState

TODAY = dt.date(2027, 3, 15)


def line(name, state, *, target=None, released=None, release_id=1):
    release = Release(id=release_id, name=name, state=state, target_date=target)
    release.released_at = (
        dt.datetime.combine(released, dt.time(12), tzinfo=dt.UTC) if released else None
    )
    return overview.ReleaseLine(release, Totals(), None, None)


def test_rows_follow_the_dates_and_undated_releases_are_set_aside():
    lines = [
        line("Plus tard", ReleaseState.PLANNED, target=dt.date(2027, 6, 1), release_id=3),
        line("Sans date", ReleaseState.PLANNED, release_id=4),
        line(
            "Livrée",
            ReleaseState.RELEASED,
            target=dt.date(2027, 1, 10),
            released=dt.date(2027, 2, 1),
            release_id=1,
        ),
        line("En bêta", ReleaseState.IN_BETA, target=dt.date(2027, 3, 20), release_id=2),
    ]

    chart = overview.timeline(lines, TODAY)

    assert [m.line.release.name for m in chart.marks] == ["Livrée", "En bêta", "Plus tard"]
    assert [ln.release.name for ln in chart.undated] == ["Sans date"]
    xs = [m.x for m in chart.marks]
    assert xs == sorted(xs)
    assert all(overview.PLOT_LEFT <= x <= overview.PLOT_RIGHT for x in xs)
    assert xs[0] < chart.today_x < xs[1]
    ys = [m.y for m in chart.marks]
    assert ys == sorted(ys) and len(set(ys)) == 3
    # Released three weeks after its target: the target is drawn too, before the release.
    late = chart.marks[0]
    assert late.target_x is not None and late.target_x < late.x
    assert chart.marks[1].target_x is None
    assert "roadmap-released" in late.css and "roadmap-in_beta" in chart.marks[1].css
    assert "roadmap-planned" in chart.marks[2].css


def test_months_along_the_top_with_the_year_on_the_first():
    lines = [line("R", ReleaseState.PLANNED, target=dt.date(2027, 6, 1))]

    chart = overview.timeline(lines, TODAY)

    labels = [t.label for t in chart.ticks]
    assert labels[0].endswith("2027") and len(labels) >= 3
    assert [t.x for t in chart.ticks] == sorted(t.x for t in chart.ticks)


def test_an_empty_roadmap_has_no_marks():
    chart = overview.timeline([], TODAY)

    assert chart.marks == [] and chart.undated == []
    assert chart.height > 0


def test_each_release_is_a_bar_from_its_start_grouped_by_state():
    lines = [
        line("Prévue", ReleaseState.PLANNED, target=dt.date(2027, 5, 1), release_id=3),
        line(
            "Livrée",
            ReleaseState.RELEASED,
            target=dt.date(2027, 2, 1),
            released=dt.date(2027, 2, 1),
            release_id=1,
        ),
        line("En bêta", ReleaseState.IN_BETA, target=dt.date(2027, 3, 20), release_id=2),
        line("Approuvée", ReleaseState.APPROVED, target=dt.date(2027, 4, 1), release_id=4),
    ]
    starts = {1: dt.date(2026, 12, 1), 2: dt.date(2027, 2, 15), 3: dt.date(2027, 6, 1)}
    lines = [dataclasses.replace(ln, start=starts.get(ln.release.id)) for ln in lines]

    chart = overview.timeline(lines, TODAY)

    assert [h.phase for h in chart.headings] == ["released", "in_beta", "planned"]
    assert [m.line.release.name for m in chart.marks] == ["Livrée", "En bêta", "Approuvée",
                                                          "Prévue"]  # fmt: skip
    released, beta, approved, planned = chart.marks
    assert released.start_x is not None and released.start_x < released.x
    assert beta.start_x is not None and beta.start_x < chart.today_x < beta.x
    assert approved.start_x is None  # no sprint, no round: a dot only
    assert planned.start_x is None  # a start after its target draws no bar backwards
    # Each heading sits above its group's rows.
    heading_ys = [h.y for h in chart.headings]
    assert heading_ys[0] < released.y < heading_ys[1] < beta.y < heading_ys[2] < approved.y
    assert chart.height > planned.y
