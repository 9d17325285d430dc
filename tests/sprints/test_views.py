"""Sprint pages through HTTP: planning (no-JS commit and remove), start, close with carry-over,
the sprint page's charts and tables, the reports, errors as 4xx, bounded query counts."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import change_brick, make_brick, make_sprint, stage_of
from tracker.academies.models import StageCategory
from tracker.db import utcnow
from tracker.sprints import services
from tracker.sprints.models import SprintScopeChange, SprintState

D = dt.date


def _url(world, suffix=""):
    return f"/a/{world.academy.slug}/{suffix}"


def work_a_sprint(db_session, world, clock, size):
    """A sprint of `size` bricks: planned, started, half done over its days, one scope change,
    closed with the rest carried over; then a second sprint, active, with the carried bricks."""
    manager, academy = world.manager, world.academy
    done = stage_of(db_session, academy, StageCategory.DONE)
    active = stage_of(db_session, academy, StageCategory.ACTIVE)
    clock.set(2026, 2, 27, 9, 0)
    first = make_sprint(db_session, world, "Sprint 1", capacity_points=size, end_date=D(2026, 3, 6))
    second = make_sprint(
        db_session, world, "Sprint 2", start_date=D(2026, 3, 9), end_date=D(2026, 3, 13)
    )
    bricks = [
        make_brick(
            db_session,
            academy,
            f"Brick {n}",
            actor=manager,
            estimate_points=1 + n % 3,
            now=clock.now,
        )
        for n in range(size)
    ]
    extra = make_brick(
        db_session, academy, "Extra", actor=manager, estimate_points=2, now=clock.now
    )
    services.commit_bricks(
        db_session, first, [b.number for b in bricks], actor=manager, now=clock.now
    )
    clock.set(2026, 3, 2, 8, 0)
    services.start_sprint(db_session, first, actor=manager, now=clock.now)
    for n, b in enumerate(bricks):
        clock.set(2026, 3, 2 + n % 5, 10, 0)
        change_brick(db_session, b, manager, stage_id=active.id, now=clock.now)
        if n % 2 == 0:
            clock.set(2026, 3, 2 + n % 5, 15, 0)
            change_brick(db_session, b, manager, stage_id=done.id, now=clock.now)
    clock.set(2026, 3, 4, 11, 0)
    services.commit_bricks(
        db_session, first, [extra.number], actor=manager, reason="Urgent", now=clock.now
    )
    clock.set(2026, 3, 6, 17, 0)
    unfinished = services.unfinished_bricks(db_session, first)
    services.close_sprint(db_session, first, {b.number: second.id for b in unfinished},
                          actor=manager, now=clock.now)  # fmt: skip
    clock.set(2026, 3, 9, 8, 0)
    services.start_sprint(db_session, second, actor=manager, now=clock.now)
    clock.set(2026, 3, 11, 12, 0)
    return first, second


def test_a_manager_commits_ticked_bricks_and_sees_the_capacity(client, login, world, db_session):
    sprint = make_sprint(db_session, world, capacity_points=4, end_date=D(2026, 3, 6))
    a = make_brick(db_session, world.academy, "Alpha", actor=world.manager, estimate_points=3)
    b = make_brick(db_session, world.academy, "Beta", actor=world.manager, estimate_points=2)
    login(world.manager)

    page = client.get(_url(world, f"sprints/{sprint.id}/plan")).get_data(as_text=True)
    committed = client.post(_url(world, f"sprints/{sprint.id}/commit"),
                            data={"brick": [str(a.number), str(b.number)]})  # fmt: skip
    after = client.get(committed.location).get_data(as_text=True)

    assert f'name="brick" value="{a.number}" form="commit-form"' in page
    assert committed.status_code == 303
    assert (a.sprint_id, b.sprint_id) == (sprint.id, sprint.id)
    assert "Over capacity by 1 point." in after
    assert f'value="{a.number}" form="remove-form"' in after


def test_an_active_sprint_asks_why_its_scope_changes(client, login, world, db_session):
    sprint = make_sprint(db_session, world, end_date=D(2026, 3, 6))
    services.start_sprint(db_session, sprint, actor=world.manager, now=utcnow())
    a = make_brick(db_session, world.academy, "Alpha", actor=world.manager, estimate_points=3)
    login(world.manager)

    refused = client.post(_url(world, f"sprints/{sprint.id}/commit"), data={"brick": a.number})
    accepted = client.post(_url(world, f"sprints/{sprint.id}/commit"),
                           data={"brick": a.number, "reason": "HR deadline"})  # fmt: skip
    removed = client.post(_url(world, f"sprints/{sprint.id}/remove"),
                          data={"brick": a.number, "reason": "Vendor late"})  # fmt: skip

    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="commit-reason-error"' in page and "say why its scope changes" in page
    # The page shows the planning page's address, not the action's (a reload reaches the page)
    plan_url = _url(world, f"sprints/{sprint.id}/plan")
    assert f'<meta name="page-url" content="{plan_url}">' in page
    assert (accepted.status_code, removed.status_code) == (303, 303)
    reasons = db_session.scalars(select(SprintScopeChange.reason)).all()
    assert reasons == ["HR deadline", "Vendor late"]


def test_junk_in_the_planning_forms_is_a_4xx_never_a_500(client, login, world, db_session):
    sprint = make_sprint(db_session, world, end_date=D(2026, 3, 6))
    login(world.manager)

    for data in ({}, {"brick": "x"}, {"brick": "-4"}, {"brick": "99999"}):
        response = client.post(_url(world, f"sprints/{sprint.id}/commit"), data=data)
        assert response.status_code == 422, data
    assert (
        client.get(_url(world, f"sprints/{sprint.id}/plan?page=zz&format=nope")).status_code == 200
    )
    assert client.get(_url(world, "sprints/999999/plan")).status_code == 404


def test_start_then_close_with_carry_over_through_the_pages(client, login, world, db_session):
    done = stage_of(db_session, world.academy, StageCategory.DONE)
    sprint = make_sprint(db_session, world, end_date=D(2026, 3, 6))
    after = make_sprint(
        db_session, world, "Sprint 2", start_date=D(2026, 3, 9), end_date=D(2026, 3, 13)
    )
    a = make_brick(db_session, world.academy, "Alpha", actor=world.manager, estimate_points=3)
    b = make_brick(db_session, world.academy, "Beta", actor=world.manager, estimate_points=2)
    services.commit_bricks(
        db_session, sprint, [a.number, b.number], actor=world.manager, now=utcnow()
    )
    login(world.manager)

    confirm = client.get(_url(world, f"sprints/{sprint.id}/start")).get_data(as_text=True)
    started = client.post(_url(world, f"sprints/{sprint.id}/start"))
    second_start = client.post(_url(world, f"sprints/{after.id}/start"))
    change_brick(db_session, a, world.manager, stage_id=done.id)
    close_page = client.get(_url(world, f"sprints/{sprint.id}/close")).get_data(as_text=True)
    closed = client.post(_url(world, f"sprints/{sprint.id}/close"),
                         data={f"brick_{b.number}": str(after.id)})  # fmt: skip
    page = client.get(_url(world, f"sprints/{sprint.id}/")).get_data(as_text=True)

    assert "Start the sprint" in confirm
    assert started.status_code == 303 and sprint.state == SprintState.CLOSED
    assert second_start.status_code == 409
    assert "still active" in second_start.get_data(as_text=True)
    assert f'name="brick_{b.number}"' in close_page and f"brick_{a.number}" not in close_page
    assert closed.status_code == 303 and b.sprint_id == after.id
    assert "points completed" in page


def test_a_stale_close_page_is_a_conflict_showing_the_sprint_as_it_is(
    client, login, world, db_session
):
    sprint = make_sprint(db_session, world, end_date=D(2026, 3, 6))
    a = make_brick(db_session, world.academy, "Alpha", actor=world.manager, estimate_points=3)
    services.commit_bricks(db_session, sprint, [a.number], actor=world.manager, now=utcnow())
    services.start_sprint(db_session, sprint, actor=world.manager, now=utcnow())
    late = make_brick(db_session, world.academy, "Late", actor=world.manager, estimate_points=1)
    services.commit_bricks(
        db_session, sprint, [late.number], actor=world.manager, reason="HR", now=utcnow()
    )
    login(world.manager)

    response = client.post(_url(world, f"sprints/{sprint.id}/close"),
                           data={f"brick_{a.number}": "backlog"})  # fmt: skip
    bad_target = client.post(
        _url(world, f"sprints/{sprint.id}/close"),
        data={f"brick_{a.number}": "12345", f"brick_{late.number}": "x"},
    )

    assert response.status_code == 409
    assert f'name="brick_{late.number}"' in response.get_data(as_text=True)
    assert bad_target.status_code == 422
    assert sprint.state == SprintState.ACTIVE


def test_the_sprint_page_draws_its_burndown_and_burnup_with_their_numbers(
    client, login, world, db_session, clock
):
    first, _second = work_a_sprint(db_session, world, clock, 6)
    login(world.designer)

    page = client.get(_url(world, f"sprints/{first.id}/")).get_data(as_text=True)

    assert page.count('<svg class="sc-chart"') == 2
    assert 'id="burndown-title"' in page and 'id="burnup-title"' in page
    assert "<details" in page and "The numbers, day by day" in page
    assert "Urgent" in page  # the scope change's reason
    assert "sc-marker-added" in page
    assert not re.search(r"\sstyle=", page)  # the CSP forbids style attributes
    assert f"/sprints/{first.id}/plan" not in page  # designers do not plan


def test_reports_show_velocity_flow_and_times_without_names(
    client, login, world, db_session, clock
):
    work_a_sprint(db_session, world, clock, 6)
    login(world.stakeholder)

    page = client.get(_url(world, "reports?start=2026-03-01&end=2026-03-11")).get_data(as_text=True)

    assert 'id="velocity-title"' in page and 'id="flow-title"' in page
    assert 'id="lead-title"' in page and 'id="cycle-title"' in page
    assert page.count('<details class="sc-numbers"') == 3
    assert "Brick 0" not in page and world.manager.display_name not in page
    assert "/sprints/" not in page.split('id="velocity-title"')[1]  # no sprint links for them
    assert not re.search(r"\sstyle=", page)


def test_a_bad_period_is_shown_on_its_field(client, login, world):
    login(world.manager)

    reversed_ = client.get(_url(world, "reports?start=2026-03-10&end=2026-03-01"))
    too_long = client.get(_url(world, "reports?start=2024-01-01&end=2026-03-01"))
    junk = client.get(_url(world, "reports?start=soon&end=%00"))

    assert reversed_.status_code == 422
    assert "The end comes on or after the start." in reversed_.get_data(as_text=True)
    assert too_long.status_code == 422 and junk.status_code == 422


def test_the_sprint_page_and_reports_cost_the_same_queries_at_any_size(
    client, login, world, db_session, clock, queries
):
    login(world.manager)

    def counts():
        first = services.list_sprints(db_session, world.academy)[-1]
        second = services.list_sprints(db_session, world.academy)[0]
        found = []
        for url in (
            _url(world, f"sprints/{first.id}/"),
            _url(world, f"sprints/{second.id}/"),
            _url(world, f"sprints/{second.id}/plan"),
            _url(world, "reports?start=2026-02-20&end=2026-03-11"),
        ):
            with queries() as q:
                assert client.get(url).status_code == 200
            found.append(q.count)
        return found

    work_a_sprint(db_session, world, clock, 3)
    small = counts()
    db_session.execute(SprintScopeChange.__table__.delete())
    for sprint in services.list_sprints(db_session, world.academy):
        db_session.delete(sprint)
    db_session.flush()
    work_a_sprint(db_session, world, clock, 40)
    large = counts()

    assert small == large, (small, large)
    assert max(large) < 40


def test_an_id_too_large_for_the_database_is_a_404(client, login, world):
    login(world.manager)

    for suffix in ("", "plan", "start", "close"):
        response = client.get(_url(world, f"sprints/99999999999999999999/{suffix}"))
        assert response.status_code == 404, suffix
