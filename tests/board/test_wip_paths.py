"""The board's column rules on every path that puts a card in a column: the create form (a
blocking WIP limit, a done stage only with a complete definition of done), an import (a
blocking WIP limit, in the dry run and again under the board lock), the bulk bar (never the
stage). The edit form and the board: test_services.py, and test_wip_race.py under a race."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.backlog.test_bricks import form_fields
from tests.backlog.test_import_export import csv_bytes
from tracker.academies.models import StageCategory, WipPolicy
from tracker.backlog import bulk
from tracker.backlog import io as backlog_io
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick
from tracker.board.services import DefinitionOfDoneIncomplete, WipLimitReached
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.sprints import scope


@pytest.fixture(autouse=True)
def english(app, db_session):
    with force_locale("en"):
        yield


@pytest.fixture
def full(db_session, world):
    """The first active column, limited to 1 (blocking), already holding a card."""
    column = next(s for s in world.academy.stages if s.category == StageCategory.ACTIVE)
    column.wip_limit, column.wip_policy = 1, WipPolicy.BLOCK
    brick_services.create_brick(
        db_session, world.academy, actor=world.manager, title="Already there", format="video",
        stage_id=column.id, now=utcnow(),
    )  # fmt: skip
    return column


def cards_in(db_session, column) -> int:
    return db_session.scalar(select(func.count(Brick.id)).where(Brick.stage_id == column.id))


def test_the_create_form_service_refuses_a_full_column_and_an_unfinished_done(
    db_session, world, full
):
    done = next(s for s in world.academy.stages if s.category == StageCategory.DONE)

    with pytest.raises(WipLimitReached) as refused:
        scope.create_brick(
            db_session, world.academy, actor=world.manager, title="One more", format="video",
            stage_id=full.id, now=utcnow(),
        )  # fmt: skip
    with pytest.raises(DefinitionOfDoneIncomplete):
        scope.create_brick(
            db_session, world.academy, actor=world.manager, title="Done already",
            format="video", stage_id=done.id, now=utcnow(),
        )  # fmt: skip

    assert refused.value.field == "stage_id"
    assert cards_in(db_session, full) == 1


def test_the_create_form_shows_the_limit_beside_the_stage(client, db_session, world, login, full):
    login(world.manager)
    address = f"/a/{world.academy.slug}/bricks/new"
    data = form_fields(client.get(address).get_data(as_text=True))
    data.update({"title": "One more", "format": "video", "stage_id": str(full.id)})

    response = client.post(address, data=data)

    assert response.status_code == 422
    assert 'id="stage_id-error">' in response.get_data(as_text=True)
    assert "is full" in response.get_data(as_text=True)
    assert cards_in(db_session, full) == 1


def test_an_import_fills_a_blocking_column_up_to_its_limit_only(db_session, world, full):
    full.wip_limit = 2
    rows = [["title", "format", "stage"], *[[f"B{n}", "video", full.name] for n in range(3)]]

    plan = backlog_io.plan_import(db_session, world.academy, "b.csv", csv_bytes(rows))

    assert [row.ok for row in plan.rows] == [True, False, False]
    assert plan.rows[1].errors[0][0] == "stage"
    assert "is full" in plan.rows[1].errors[0][1]


def test_an_import_counts_again_under_the_lock_when_applied(db_session, world, full):
    full.wip_limit = 2
    plan = backlog_io.plan_import(
        db_session, world.academy, "b.csv",
        csv_bytes([["title", "format", "stage"], ["B", "video", full.name]]),
    )  # fmt: skip
    assert plan.ok
    brick_services.create_brick(
        db_session, world.academy, actor=world.manager, title="Meanwhile", format="video",
        stage_id=full.id, now=utcnow(),
    )  # fmt: skip

    with pytest.raises(DomainError) as refused:
        backlog_io.import_bricks(db_session, world.academy, plan, actor=world.manager, now=utcnow())

    assert "Line 2" in refused.value.message and "is full" in refused.value.message
    assert cards_in(db_session, full) == 2


def test_the_bulk_bar_never_sets_a_stage(db_session, world, full):
    with pytest.raises(TypeError):
        bulk.assign_bricks(db_session, world.academy, [1], actor=world.manager, now=utcnow(),
                           stage_id=full.id)  # fmt: skip
    with pytest.raises(TypeError):
        scope.assign_bricks(db_session, world.academy, [1], actor=world.manager, now=utcnow(),
                            sprint_id=None, stage_id=full.id)  # fmt: skip
