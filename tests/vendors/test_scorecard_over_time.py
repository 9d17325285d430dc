"""The vendor scorecard over time: per vendor, each of the last four quarters (bricks first done
in it, on time, review cycles) and the learners' completion of their released bricks, with
values computed by hand from a history with fixed dates."""

from __future__ import annotations

import datetime as dt

from tests.factories import make_brick, make_release, make_sprint, stage_of
from tests.learning.test_outcomes import add_facts
from tracker.academies.models import StageCategory
from tracker.backlog.models import Activity, ActivityKind
from tracker.db import utcnow
from tracker.history import record
from tracker.releases.models import ReleaseState
from tracker.vendors import scorecard
from tracker.vendors.scorecard import Quarter, last_quarters

TODAY = dt.date(2026, 12, 6)


def _moves(db_session, world, brick, steps):
    """The brick's moves [(date, stage)], at 10:00 UTC; the brick stays where the last left it."""
    for day, stage in steps:
        record(
            db_session, Activity, actor=world.manager,
            at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC), academy_id=world.academy.id,
            brick_id=brick.id, brick_number=brick.number, kind=ActivityKind.MOVED,
            stage_id=stage.id,
        )  # fmt: skip
    brick.stage_id = steps[-1][1].id


def _released(db_session, world, name, *, on, target=None):
    release = make_release(db_session, world.academy)
    release.name, release.target_date = name, target
    release.state, release.released_at = ReleaseState.RELEASED, on
    return release


def test_the_last_four_quarters_end_with_the_current_one():
    assert last_quarters(dt.date(2026, 2, 1)) == [
        Quarter(2025, 2), Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1),
    ]  # fmt: skip
    assert Quarter.of(dt.date(2026, 9, 30)) == Quarter(2026, 3)
    assert Quarter.of(dt.date(2026, 10, 1)) == Quarter(2026, 4)


def test_the_scorecard_quarter_by_quarter(db_session, world):
    active = stage_of(db_session, world, StageCategory.ACTIVE)
    review = stage_of(db_session, world, StageCategory.REVIEW)
    done = stage_of(db_session, world, StageCategory.DONE)
    d = dt.date
    march = make_sprint(db_session, world, start_date=d(2026, 3, 2), end_date=d(2026, 3, 13))
    august = make_sprint(db_session, world, start_date=d(2026, 8, 3), end_date=d(2026, 8, 31))
    may = _released(db_session, world, "May", on=dt.datetime(2026, 5, 25, 9, tzinfo=dt.UTC),
                    target=d(2026, 5, 1))  # fmt: skip
    november = _released(db_session, world, "November",
                         on=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC))  # fmt: skip
    later = make_release(db_session, world.academy)  # planned: its learners do not count
    a = make_brick(db_session, world, "A", sprint_id=march.id, release_id=later.id)
    b = make_brick(db_session, world, "B", release_id=may.id)
    c = make_brick(db_session, world, "C", sprint_id=august.id, release_id=november.id)
    e = make_brick(db_session, world, "D", release_id=november.id)
    old = make_brick(db_session, world, "Old")
    theirs = make_brick(db_session, world, "Not a vendor's", release_id=may.id)
    for brick in (a, b, c, e, old):
        brick.vendor_id = world.studio.id
    # Q1: A back from review once, done on 10 March, before its sprint's end (13 March).
    _moves(db_session, world, a, [(d(2026, 3, 3), review), (d(2026, 3, 4), active),
                                  (d(2026, 3, 5), review), (d(2026, 3, 10), done)])  # fmt: skip
    # Q2: B done on 20 May, after its release's target date (1 May): late, no cycle.
    _moves(db_session, world, b, [(d(2026, 4, 2), review), (d(2026, 5, 20), done)])
    # Q3: C back from review twice, done on 10 August (sprint ends on the 31st): on time;
    # D, without a due date, done on 20 August with no cycle.
    _moves(db_session, world, c, [(d(2026, 8, 4), review), (d(2026, 8, 5), active),
                                  (d(2026, 8, 6), review), (d(2026, 8, 7), active),
                                  (d(2026, 8, 8), review), (d(2026, 8, 10), done)])  # fmt: skip
    _moves(db_session, world, e, [(d(2026, 8, 12), active), (d(2026, 8, 20), done)])
    # Before the four quarters: counted in the all-time figures only.
    _moves(db_session, world, old, [(d(2025, 6, 1), done)])
    # Learners: B (released in May) 4, 3 of whom completed; D (November) 2, none completed;
    # C (November) none yet; A has 2 but its release is not released; the academy's own brick
    # has 10, not the vendor's.
    add_facts(db_session, b, [(n, "Sales", n != "z", None, None) for n in ("w", "x", "y", "z")])
    add_facts(db_session, e, [(n, "HR", False, None, None) for n in ("p", "q")])
    add_facts(db_session, a, [(n, "HR", True, None, None) for n in ("r", "s")])
    add_facts(db_session, theirs, [(str(n), "IT", True, None, None) for n in range(10)])
    db_session.flush()

    scores = {s.vendor.name: s for s in scorecard.scorecard(db_session, world.academy, TODAY)}

    studio = scores["Studio Nord"]
    q1, q2, q3, q4 = (studio.quarters[Quarter(2026, n)] for n in (1, 2, 3, 4))
    assert list(studio.quarters) == [Quarter(2026, n) for n in (1, 2, 3, 4)]
    assert (q1.delivered, q1.on_time_rate, q1.review_cycles_per_brick) == (1, 100.0, 1.0)
    assert (q2.delivered, q2.on_time_rate, q2.review_cycles_per_brick) == (1, 0.0, 0.0)
    # C on time of the one with a due date; (2 + 0) cycles over 2 bricks.
    assert (q3.delivered, q3.on_time_rate, q3.review_cycles_per_brick) == (2, 100.0, 1.0)
    assert (q4.delivered, q4.on_time_rate, q4.review_cycles_per_brick) == (0, None, None)
    # Completion after release: B's 3 of 4 in Q2; D's 0 of 2 in Q4; all time 3 of 6.
    assert (q2.completion_rate, q2.measured_bricks) == (75.0, 1)
    assert (q4.completion_rate, q4.measured_bricks) == (0.0, 1)
    assert q1.completion_rate is None and q3.completion_rate is None
    assert (studio.completion_rate, studio.outcomes.measured_bricks) == (50.0, 2)
    # All time, as before: 5 delivered, 2 on time of the 3 with a due date.
    assert studio.delivered == 5 and round(studio.on_time_rate or 0, 1) == 66.7


def test_the_page_shows_the_quarters(db_session, world, client, login):
    # Released today (the page's last quarter is the current one): 1 of its 2 learners done.
    release = _released(db_session, world, "Now", on=utcnow())
    brick = make_brick(db_session, world, "Now", release_id=release.id)
    brick.vendor_id = world.studio.id
    add_facts(db_session, brick, [("u", "HR", True, None, None), ("v", "HR", False, None, None)])
    db_session.commit()
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/vendors/scorecard").get_data(as_text=True)
    for quarter in last_quarters(utcnow().date()):
        assert f"Q{quarter.number} {quarter.year}" in page
    main = page[page.index(f'id="score-{world.studio.id}"') :].split("</tr>")[0]
    assert "50%" in main and "(1 brick)" in main
    row = page[page.index(f'id="quarters-{world.studio.id}"') :].split("</tr>")[0]
    cells = row.split('<td class="num">')[1:]
    assert len(cells) == 16 and cells[-1].startswith("50%")  # the current quarter's completion
