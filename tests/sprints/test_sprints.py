"""Minimal sprints: plan and edit (dates in order, capacity), the list with committed points."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_brick
from tracker.errors import DomainError
from tracker.sprints import services
from tracker.sprints.models import Sprint, SprintState

D = dt.date


def test_a_planned_sprint_keeps_its_dates_goal_and_capacity(db_session, world):
    sprint = services.create_sprint(
        db_session, world.academy, name="Sprint 1", goal="Socle", start_date=D(2026, 12, 1),
        end_date=D(2026, 12, 14), capacity_points=21,
    )  # fmt: skip

    assert (sprint.state, sprint.capacity_points, sprint.goal) == (SprintState.PLANNED, 21, "Socle")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"start_date": D(2026, 12, 14), "end_date": D(2026, 12, 1)}, "end_date"),
        ({"start_date": D(2026, 1, 1), "end_date": D(2027, 1, 2)}, "end_date"),  # 367 days
        ({"capacity_points": -1}, "capacity_points"),
        ({"name": " "}, "name"),
        ({"name": "sprint 1"}, "name"),  # taken, whatever the case
    ],
)
def test_bad_sprints_are_refused_on_their_field(db_session, world, values, field):
    services.create_sprint(db_session, world.academy, name="Sprint 1")

    with pytest.raises(DomainError) as refused:
        services.create_sprint(db_session, world.academy, **{"name": "Sprint 2", **values})

    assert refused.value.field == field


def test_a_one_day_sprint_is_fine_and_an_edit_checks_the_same_rules(db_session, world):
    sprint = services.create_sprint(
        db_session, world.academy, name="Hackathon", start_date=D(2026, 12, 1),
        end_date=D(2026, 12, 1),
    )  # fmt: skip

    with pytest.raises(DomainError):
        services.update_sprint(db_session, sprint, name="Hackathon", goal="",
                               start_date=D(2026, 12, 2), end_date=D(2026, 12, 1),
                               capacity_points=None)  # fmt: skip
    services.update_sprint(db_session, sprint, name="Hackathon", goal="Go",
                           start_date=D(2026, 12, 2), end_date=D(2026, 12, 3),
                           capacity_points=5)  # fmt: skip
    assert (sprint.end_date, sprint.capacity_points) == (D(2026, 12, 3), 5)


def test_suggested_dates_follow_the_last_sprint(db_session, world):
    world.academy.sprint_length_days = 14
    today = D(2026, 11, 30)

    assert services.suggest_dates(db_session, world.academy, today) == (today, D(2026, 12, 13))
    services.create_sprint(db_session, world.academy, name="S1", start_date=D(2026, 12, 1),
                           end_date=D(2026, 12, 14))  # fmt: skip
    assert services.suggest_dates(db_session, world.academy, today) == (
        D(2026, 12, 15),
        D(2026, 12, 28),
    )


def test_an_end_before_the_start_is_shown_on_the_end_field(client, login, world, db_session):
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/sprints/new",
        data={"name": "Sprint 1", "start_date": "2026-12-14", "end_date": "2026-12-01",
              "capacity_points": "20"},
    )  # fmt: skip

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="end_date-error"' in page
    assert "The end comes on or after the start." in page
    assert 'value="2026-12-14"' in page
    assert db_session.query(Sprint).count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"name": "S", "start_date": "nope", "end_date": "2026-12-01"},
        {"name": "S", "start_date": "2026-12-01", "end_date": "2026-12-02",
         "capacity_points": "-3"},
        {"name": "S", "start_date": "2026-12-01", "end_date": "2026-12-02",
         "capacity_points": "lots"},
    ],
)  # fmt: skip
def test_bad_input_is_a_422_never_a_500(client, login, world, data):
    login(world.manager)

    response = client.post(f"/a/{world.academy.slug}/sprints/new", data=data)

    assert response.status_code == 422


def test_a_manager_plans_and_edits_a_sprint_and_sees_committed_points(
    client, login, world, db_session
):
    login(world.manager)
    base = f"/a/{world.academy.slug}/sprints"
    form = client.get(f"{base}/new").get_data(as_text=True)
    created = client.post(
        f"{base}/new",
        data={"name": "Sprint 1", "goal": "Socle", "start_date": "2026-12-01",
              "end_date": "2026-12-14", "capacity_points": "5"},
    )  # fmt: skip
    sprint = db_session.query(Sprint).filter_by(name="Sprint 1").one()
    make_brick(
        db_session, world.academy, "B", actor=world.manager, estimate_points=8, sprint_id=sprint.id
    )
    edited = client.post(
        f"{base}/{sprint.id}/edit",
        data={"name": "Sprint 1", "goal": "Socle", "start_date": "2026-12-01",
              "end_date": "2026-12-15", "capacity_points": "5"},
    )  # fmt: skip
    page = client.get(f"{base}/").get_data(as_text=True)

    assert 'name="start_date"' in form and 'type="date"' in form
    assert created.status_code == 303
    assert edited.status_code == 303
    assert sprint.end_date == D(2026, 12, 15)
    assert "over-capacity" in page  # 8 committed for a capacity of 5


def test_a_designer_reads_sprints_without_manager_buttons(client, login, world, db_session):
    sprint = services.create_sprint(db_session, world.academy, name="Sprint 1")
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/sprints/").get_data(as_text=True)

    assert "Sprint 1" in page
    assert f"/sprints/{sprint.id}/edit" not in page
    assert "Plan a sprint" not in page


def test_a_name_taken_at_the_same_moment_is_a_domain_error_not_a_crash(
    db_session, world, monkeypatch
):
    services.create_sprint(db_session, world.academy, name="S1")
    other = services.create_sprint(db_session, world.academy, name="S2")
    monkeypatch.setattr(services, "is_sprint_name_taken", lambda *args, **kwargs: False)

    with pytest.raises(DomainError):
        services.create_sprint(db_session, world.academy, name="S1")
    with pytest.raises(DomainError):
        services.update_sprint(db_session, other, name="S1", goal="", start_date=None,
                               end_date=None, capacity_points=None)  # fmt: skip

    assert sorted(s.name for s in services.list_sprints(db_session, world.academy)) == ["S1", "S2"]
