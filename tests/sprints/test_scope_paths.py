"""One scope rule for an active sprint, whatever the path: the sprint's plan, the brick's create
and edit forms, the backlog's bulk bar, an import, a triaged feedback item, the board. Each
change needs the permission to plan sprints and a reason, is kept in the scope log, and the
burnup (replayed from the history) agrees with the sprint page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.backlog.test_bricks import form_fields
from tests.backlog.test_import_export import csv_bytes, upload
from tests.sprints.conftest import brick, stage
from tracker.academies.models import StageCategory
from tracker.academies.services import list_stages
from tracker.backlog import io as backlog_io
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick
from tracker.board import services as board_services
from tracker.db import utcnow
from tracker.errors import DomainError, Forbidden
from tracker.sprints import charts, queries, scope, services
from tracker.sprints.models import ScopeChangeKind, SprintScopeChange


@pytest.fixture
def running(db_session, world):
    """An active sprint (started yesterday) holding one brick, and a brick in no sprint."""
    today = utcnow().date()
    sprint = services.create_sprint(
        db_session, world.academy, name="Sprint 5", start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=12),
    )  # fmt: skip
    before = utcnow() - dt.timedelta(days=2)
    inside = brick(db_session, world.academy, world.manager, "Inside", 3, now=before)
    loose = brick(db_session, world.academy, world.manager, "Loose", 5, now=before)
    services.commit_bricks(db_session, sprint, [inside.number], actor=world.manager, now=before)
    services.start_sprint(
        db_session, sprint, actor=world.manager, now=utcnow() - dt.timedelta(days=1)
    )
    return sprint, inside, loose


def logged(db_session, sprint) -> list[tuple[int, ScopeChangeKind, str]]:
    return [
        (c.brick_number, c.kind, c.reason) for c in queries.scope_changes_of(db_session, sprint)
    ]


def assert_burnup_agrees(db_session, world, sprint) -> None:
    """Every membership change the charts replay has its scope change, with a reason."""
    done = charts.done_stage_ids(list_stages(db_session, world.academy))
    series = charts.sprint_series(db_session, sprint, done, tz=dt.UTC, now=utcnow())
    assert series is not None
    changes = queries.scope_changes_of(db_session, sprint)
    assert [(e.number, e.added, e.reason) for e in series.scope_events] == [
        (c.brick_number, c.kind == ScopeChangeKind.ADDED, c.reason) for c in changes
    ]
    assert all(e.reason for e in series.scope_events)


def base(world) -> str:
    return f"/a/{world.academy.slug}"


# -- Through the services ------------------------------------------------------------------------


def test_the_rule_asks_a_planner_and_a_reason_and_logs_the_change(db_session, world, running):
    sprint, _inside, loose = running

    with pytest.raises(Forbidden):
        scope.change_sprint(
            db_session, [loose], sprint.id, actor=world.designer, reason="Urgent", now=utcnow()
        )
    with pytest.raises(DomainError) as no_reason:
        scope.change_sprint(
            db_session, [loose], sprint.id, actor=world.manager, reason=" ", now=utcnow()
        )
    scope.change_sprint(
        db_session, [loose], sprint.id, actor=world.manager, reason="Sponsor", now=utcnow()
    )

    assert no_reason.value.field == "reason"
    assert logged(db_session, sprint) == [(loose.number, ScopeChangeKind.ADDED, "Sponsor")]
    assert_burnup_agrees(db_session, world, sprint)


def test_no_other_service_changes_an_active_sprints_membership(db_session, world, running):
    sprint, inside, loose = running

    with pytest.raises(DomainError) as edited:
        brick_services.update_brick(
            db_session, loose, actor=world.manager, expected_version=loose.version,
            sprint_id=sprint.id, now=utcnow(),
        )  # fmt: skip
    with pytest.raises(DomainError):
        brick_services.update_brick(
            db_session, inside, actor=world.manager, expected_version=inside.version,
            sprint_id=None, now=utcnow(),
        )  # fmt: skip
    with pytest.raises(DomainError):
        brick(db_session, world.academy, world.manager, "New", 2, sprint_id=sprint.id)
    with pytest.raises(DomainError):
        brick_services.delete_brick(db_session, inside, actor=world.manager, now=utcnow())

    assert edited.value.field == "sprint_id"
    assert (inside.sprint_id, loose.sprint_id) == (sprint.id, None)
    assert logged(db_session, sprint) == []


def test_the_edit_form_service_moves_a_done_brick_out_only_with_a_reason(
    db_session, world, running
):
    sprint, inside, _loose = running
    inside.stage_id = stage(db_session, world.academy, StageCategory.DONE).id
    db_session.flush()

    with pytest.raises(DomainError) as refused:
        scope.edit_brick(
            db_session, inside, actor=world.manager, expected_version=inside.version,
            sprint_id=None, now=utcnow(),
        )  # fmt: skip
    with pytest.raises(Forbidden):
        scope.edit_brick(
            db_session, inside, actor=world.designer, expected_version=inside.version,
            sprint_id=None, scope_reason="Not needed", now=utcnow(),
        )  # fmt: skip
    changes = scope.edit_brick(
        db_session, inside, actor=world.manager, expected_version=inside.version,
        sprint_id=None, title="Inside, renamed", scope_reason="Delivered elsewhere", now=utcnow(),
    )  # fmt: skip

    assert refused.value.field == "scope_reason"
    assert changes["sprint_id"] == [sprint.id, None] and "title" in changes
    assert logged(db_session, sprint) == [
        (inside.number, ScopeChangeKind.REMOVED, "Delivered elsewhere")
    ]
    assert_burnup_agrees(db_session, world, sprint)


def test_moving_from_one_started_sprint_to_a_planned_one_is_logged_as_a_removal(
    db_session, world, running
):
    sprint, inside, _loose = running
    later = services.create_sprint(db_session, world.academy, name="Sprint 6")

    scope.assign_bricks(
        db_session, world.academy, [inside.number], actor=world.manager,
        scope_reason="Next sprint", now=utcnow(), sprint_id=later.id,
    )  # fmt: skip

    assert inside.sprint_id == later.id
    assert logged(db_session, sprint) == [(inside.number, ScopeChangeKind.REMOVED, "Next sprint")]
    assert queries.scope_changes_of(db_session, later) == []


def test_a_planned_sprint_is_planned_freely_and_a_closed_one_takes_nothing(
    db_session, world, running
):
    _sprint, _inside, loose = running
    later = services.create_sprint(db_session, world.academy, name="Sprint 6")
    closed = services.create_sprint(db_session, world.academy, name="Sprint 4")
    closed.state = closed.state.CLOSED
    db_session.flush()

    scope.change_sprint(
        db_session, [loose], later.id, actor=world.designer, reason="", now=utcnow()
    )
    with pytest.raises(DomainError):
        scope.change_sprint(
            db_session, [loose], closed.id, actor=world.manager, reason="x", now=utcnow()
        )

    assert loose.sprint_id == later.id
    assert db_session.scalars(select(SprintScopeChange)).all() == []


def test_an_import_row_naming_a_started_sprint_is_refused_in_the_dry_run(
    db_session, world, running
):
    sprint, _inside, _loose = running
    data = csv_bytes([["title", "format", "sprint"], ["Imported", "video", sprint.name]])

    plan = backlog_io.plan_import(db_session, world.academy, "bricks.csv", data)

    assert not plan.ok
    assert [field for field, _message in plan.rows[0].errors] == ["sprint"]
    with pytest.raises(DomainError):
        backlog_io.import_bricks(db_session, world.academy, plan, actor=world.manager, now=utcnow())


def test_a_board_move_does_not_change_the_sprint(db_session, world, running):
    sprint, inside, _loose = running
    target = stage(db_session, world.academy, StageCategory.ACTIVE)

    board_services.move_brick(
        db_session, inside, target, 1, actor=world.designer, expected_version=inside.version,
        now=utcnow(),
    )  # fmt: skip

    assert inside.sprint_id == sprint.id and logged(db_session, sprint) == []


# -- Through HTTP ---------------------------------------------------------------------------------


def test_the_designers_bulk_assignment_into_the_active_sprint_is_refused(
    client, db_session, world, login, running
):
    sprint, _inside, loose = running
    login(world.designer)

    response = client.post(
        f"{base(world)}/backlog/assign",
        data={"bricks": [str(loose.number)], "sprint": str(sprint.id), "scope_reason": "Urgent"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "only someone who plans sprints" in html
    assert 'value="Urgent"' in html  # what was typed is still there
    db_session.expire_all()
    assert db_session.get(Brick, loose.id).sprint_id is None
    assert logged(db_session, sprint) == []


def test_the_managers_bulk_assignment_asks_a_reason_then_logs_it(
    client, db_session, world, login, running
):
    sprint, _inside, loose = running
    login(world.manager)
    data = {"bricks": [str(loose.number)], "sprint": str(sprint.id)}

    refused = client.post(f"{base(world)}/backlog/assign", data=data)
    done = client.post(f"{base(world)}/backlog/assign", data={**data, "scope_reason": "Audit"})
    page = client.get(f"{base(world)}/sprints/{sprint.id}/").get_data(as_text=True)

    assert refused.status_code == 422
    assert re.search(
        r'id="bulk-scope_reason".*?class="error">The sprint has started: say why',
        refused.get_data(as_text=True),
        re.S,
    )
    assert done.status_code == 303
    assert logged(db_session, sprint) == [(loose.number, ScopeChangeKind.ADDED, "Audit")]
    assert "Audit" in page
    assert_burnup_agrees(db_session, world, sprint)


def test_the_edit_form_asks_a_reason_keeps_what_was_typed_and_logs_the_move(
    client, db_session, world, login, running
):
    sprint, inside, _loose = running
    inside.stage_id = stage(db_session, world.academy, StageCategory.DONE).id
    db_session.flush()
    login(world.manager)
    address = f"{base(world)}/bricks/{inside.number}/edit"
    data = form_fields(client.get(address).get_data(as_text=True))
    data.update({"sprint_id": "", "title": "Inside, renamed"})

    refused = client.post(address, data=data)
    done = client.post(address, data={**data, "scope_reason": "Done in another sprint"})

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'value="Inside, renamed"' in html
    assert re.search(r'id="scope_reason-error">The sprint has started: say why', html)
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Brick, inside.id).sprint_id is None
    assert logged(db_session, sprint) == [
        (inside.number, ScopeChangeKind.REMOVED, "Done in another sprint")
    ]
    assert_burnup_agrees(db_session, world, sprint)


def test_the_designers_edit_form_cannot_change_the_active_sprint(
    client, db_session, world, login, running
):
    sprint, _inside, loose = running
    login(world.designer)
    address = f"{base(world)}/bricks/{loose.number}/edit"
    data = form_fields(client.get(address).get_data(as_text=True))
    data.update({"sprint_id": str(sprint.id), "scope_reason": "I want it"})

    response = client.post(address, data=data)

    assert response.status_code == 403
    assert "I want it" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Brick, loose.id).sprint_id is None


def test_the_create_form_into_the_active_sprint_asks_a_reason_and_logs_it(
    client, db_session, world, login, running
):
    sprint, _inside, _loose = running
    login(world.manager)
    address = f"{base(world)}/bricks/new"
    data = form_fields(client.get(address).get_data(as_text=True))
    data.update({"title": "Late addition", "format": "video", "sprint_id": str(sprint.id)})

    refused = client.post(address, data=data)
    count = db_session.scalar(select(Brick.id).where(Brick.title == "Late addition"))
    done = client.post(address, data={**data, "scope_reason": "Regulator's request"})

    assert refused.status_code == 422 and count is None
    assert 'value="Late addition"' in refused.get_data(as_text=True)
    assert done.status_code == 303
    created = db_session.scalar(select(Brick).where(Brick.title == "Late addition"))
    assert created.sprint_id == sprint.id
    assert logged(db_session, sprint) == [
        (created.number, ScopeChangeKind.ADDED, "Regulator's request")
    ]
    assert_burnup_agrees(db_session, world, sprint)


def test_the_designers_create_form_into_the_active_sprint_is_refused(
    client, db_session, world, login, running
):
    # Designers create bricks, but the scope of a started sprint is a planner's to change.
    sprint, _inside, _loose = running
    login(world.designer)
    address = f"{base(world)}/bricks/new"
    data = form_fields(client.get(address).get_data(as_text=True))
    data.update(
        {"title": "Sneaked in", "format": "video", "sprint_id": str(sprint.id),
         "scope_reason": "I want it"}
    )  # fmt: skip

    response = client.post(address, data=data)

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "only someone who plans sprints" in page
    assert 'value="Sneaked in"' in page
    db_session.expire_all()
    assert db_session.scalar(select(Brick.id).where(Brick.title == "Sneaked in")) is None
    assert logged(db_session, sprint) == []


def test_a_designer_creates_a_brick_into_a_planned_sprint_not_the_active_one(
    db_session, world, running
):
    sprint, _inside, _loose = running
    later = services.create_sprint(db_session, world.academy, name="Sprint 7")

    planned = scope.create_brick(
        db_session, world.academy, actor=world.designer, title="Planned", format="video",
        sprint_id=later.id, now=utcnow(),
    )  # fmt: skip
    assert planned.sprint_id == later.id
    with pytest.raises(Forbidden):
        scope.create_brick(
            db_session, world.academy, actor=world.designer, title="Active", format="video",
            sprint_id=sprint.id, scope_reason="Urgent", now=utcnow(),
        )  # fmt: skip


def test_an_import_into_the_active_sprint_is_refused_with_the_row(
    client, db_session, world, login, running
):
    sprint, _inside, _loose = running
    login(world.manager)

    response = upload(
        client,
        world,
        "b.csv",
        csv_bytes([["title", "format", "sprint"], ["X", "video", sprint.name]]),
    )

    assert response.status_code == 422
    assert "has started or is closed" in response.get_data(as_text=True)
    assert db_session.scalar(select(Brick.id).where(Brick.title == "X")) is None


def test_deleting_a_brick_of_the_active_sprint_asks_to_remove_it_first(
    client, db_session, world, login, running
):
    sprint, inside, _loose = running
    login(world.manager)

    response = client.post(f"{base(world)}/bricks/{inside.number}/delete")

    assert response.status_code == 422
    assert "remove it from the sprint first" in response.get_data(as_text=True)
    assert db_session.get(Brick, inside.id) is not None
    assert logged(db_session, sprint) == []
