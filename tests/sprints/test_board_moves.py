"""backlog.services.move_brick: version, WIP policy, definition of done, ranks, activity."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from tracker.academies.models import Stage, StageCategory, WipPolicy
from tracker.backlog import ranking, services
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError


@pytest.fixture(autouse=True)
def english(app, db_session):
    with force_locale("en"):
        yield


def stages(world) -> dict[str, Stage]:
    """The default English stages by category order: backlog, analysis, design, ..., ready."""
    found = {s.name: s for s in world.academy.stages}
    assert list(found) == ["Backlog", "Analysis", "Design", "Production", "Review (alpha)", "Ready"]
    return found


def make(db_session, world, *titles: str, stage: Stage | None = None) -> list[Brick]:
    made = []
    for title in titles:
        values = {"stage_id": stage.id} if stage else {}
        made.append(
            services.create_brick(
                db_session,
                world.academy,
                actor=world.manager,
                title=title,
                format="mooc",
                **values,
                now=utcnow(),
            )
        )
    return made


def column(db_session, stage: Stage) -> list[str]:
    return list(
        db_session.scalars(
            select(Brick.title).where(Brick.stage_id == stage.id).order_by(Brick.rank, Brick.id)
        )
    )


def backlog_order(db_session, world) -> list[str]:
    return list(
        db_session.scalars(
            select(Brick.title)
            .where(Brick.academy_id == world.academy.id)
            .order_by(Brick.rank, Brick.id)
        )
    )


def moved_event(db_session, brick) -> Activity:
    return db_session.scalars(
        select(Activity).where(Activity.brick_id == brick.id, Activity.kind == ActivityKind.MOVED)
    ).one()


def move(db_session, world, brick, stage, position=1, actor=None, **kwargs):
    return services.move_brick(
        db_session, brick, stage, position, actor=actor or world.designer,
        expected_version=kwargs.pop("version", brick.version), **kwargs,
    )  # fmt: skip


def test_a_move_to_another_column_sets_stage_time_version_and_records_it(db_session, world):
    s = stages(world)
    (brick,) = make(db_session, world, "Quiz RGPD")
    before = brick.stage_entered_at
    version = brick.version

    result = move(db_session, world, brick, s["Design"])

    assert result.moved and (result.from_stage_id, result.stage_id) == (
        s["Backlog"].id,
        s["Design"].id,
    )
    assert brick.stage_id == s["Design"].id and brick.version == version + 1 == result.version
    assert brick.stage_entered_at >= before
    event = db_session.scalars(
        select(Activity).where(Activity.brick_id == brick.id, Activity.kind == ActivityKind.MOVED)
    ).one()
    assert event.changes == {"stage_id": [s["Backlog"].id, s["Design"].id]}
    assert (event.stage_id, event.actor_id) == (s["Design"].id, world.designer.id)


@pytest.mark.parametrize(
    ("position", "expected"),
    [(1, "x a b c"), (2, "a x b c"), (3, "a b x c"), (4, "a b c x"), (99, "a b c x")],
)
def test_a_card_lands_at_its_position_in_the_column(db_session, world, position, expected):
    s = stages(world)
    make(db_session, world, "a", "b", "c", stage=s["Design"])
    (x,) = make(db_session, world, "x")

    result = move(db_session, world, x, s["Design"], position)

    assert " ".join(column(db_session, s["Design"])) == expected
    assert result.position == min(position, 4)


def test_within_a_column_the_card_takes_the_midpoint_and_the_rest_keep_their_ranks(
    db_session, world
):
    s = stages(world)
    a, b, c = make(db_session, world, "a", "b", "c", stage=s["Design"])
    ranks = {x.id: x.rank for x in (a, b)}

    result = move(db_session, world, c, s["Design"], 2)

    assert column(db_session, s["Design"]) == ["a", "c", "b"]
    assert c.rank == (a.rank + b.rank) // 2
    assert {x.id: x.rank for x in (a, b)} == ranks
    event = moved_event(db_session, c)
    assert event.changes == {"position": [3, 2]} and result.from_stage_id == result.stage_id


def test_entering_a_column_where_its_rank_already_fits_keeps_the_backlog_order(db_session, world):
    s = stages(world)
    make(db_session, world, "a")
    (b,) = make(db_session, world, "b")
    make(db_session, world, "c")
    rank = b.rank

    move(db_session, world, b, s["Production"], 1)  # an empty column

    assert b.rank == rank and backlog_order(db_session, world) == ["a", "b", "c"]


def test_a_move_to_where_the_card_is_changes_and_records_nothing(db_session, world):
    s = stages(world)
    a, _b = make(db_session, world, "a", "b", stage=s["Design"])
    version = a.version

    result = move(db_session, world, a, s["Design"], 1)

    assert not result.moved and a.version == version
    assert not db_session.scalars(
        select(Activity).where(Activity.brick_id == a.id, Activity.kind == ActivityKind.MOVED)
    ).all()


def test_a_stale_version_is_a_conflict_and_changes_nothing(db_session, world):
    s = stages(world)
    (brick,) = make(db_session, world, "Quiz")
    services.update_brick(db_session, brick, actor=world.manager, expected_version=brick.version,
                          summary="Edited meanwhile", now=utcnow())  # fmt: skip

    with pytest.raises(Conflict):
        move(db_session, world, brick, s["Design"], version=brick.version - 1)

    assert brick.stage_id == s["Backlog"].id


def test_a_full_blocking_column_refuses_a_card_but_lets_its_own_cards_move(db_session, world):
    s = stages(world)
    design = s["Design"]
    design.wip_limit, design.wip_policy = 2, WipPolicy.BLOCK
    _a, b = make(db_session, world, "a", "b", stage=design)
    (x,) = make(db_session, world, "x")

    with pytest.raises(services.WipLimitReached) as refused:
        move(db_session, world, x, design)
    moved_inside = move(db_session, world, b, design, 1)

    assert refused.value.field == "stage" and "Design" in refused.value.message
    assert x.stage_id == s["Backlog"].id
    assert moved_inside.moved and column(db_session, design) == ["b", "a"]


def test_a_warning_column_takes_the_card_and_says_it_is_over(db_session, world):
    s = stages(world)
    design = s["Design"]
    design.wip_limit, design.wip_policy = 1, WipPolicy.WARN
    make(db_session, world, "a", stage=design)
    (x,) = make(db_session, world, "x")

    result = move(db_session, world, x, design)

    assert result.moved and result.over_limit and x.stage_id == design.id


def _tick_all(db_session, brick, done=True):
    for item in brick.checklist:
        item.done = done
    db_session.flush()


def test_done_needs_a_complete_checklist(db_session, world):
    s = stages(world)
    (brick,) = make(db_session, world, "Quiz", stage=s["Review (alpha)"])
    assert brick.checklist, "mooc bricks get a definition of done"

    with pytest.raises(services.DefinitionOfDoneIncomplete) as refused:
        move(db_session, world, brick, s["Ready"])
    _tick_all(db_session, brick)
    result = move(db_session, world, brick, s["Ready"])

    assert refused.value.field == "override_reason"
    assert f"0 of {len(brick.checklist)}" in refused.value.message
    assert result.moved and brick.stage_id == s["Ready"].id


def test_a_manager_overrides_the_definition_of_done_with_a_reason_kept_in_the_history(
    db_session, world
):
    s = stages(world)
    (brick,) = make(db_session, world, "Quiz", stage=s["Review (alpha)"])

    with pytest.raises(services.DefinitionOfDoneIncomplete):
        move(db_session, world, brick, s["Ready"], actor=world.manager, override_reason="  ")
    move(db_session, world, brick, s["Ready"], actor=world.manager,
         override_reason="Sponsor  sign-off, captions come in v2")  # fmt: skip

    event = moved_event(db_session, brick)
    assert brick.stage_id == s["Ready"].id
    assert event.note == "Sponsor sign-off, captions come in v2"


def test_a_designer_cannot_override_the_definition_of_done(db_session, world):
    s = stages(world)
    (brick,) = make(db_session, world, "Quiz", stage=s["Review (alpha)"])

    with pytest.raises(services.DefinitionOfDoneIncomplete) as refused:
        move(db_session, world, brick, s["Ready"], actor=world.designer, override_reason="Please")

    assert "manager" in refused.value.message and brick.stage_id == s["Review (alpha)"].id


def test_between_two_done_columns_the_checklist_is_not_checked_again(db_session, world):
    s = stages(world)
    archive = Stage(academy_id=world.academy.id, name="Archived", position=9,
                    category=StageCategory.DONE)  # fmt: skip
    db_session.add(archive)
    (brick,) = make(db_session, world, "Quiz", stage=s["Ready"])

    result = move(db_session, world, brick, archive)

    assert result.moved and brick.stage_id == archive.id


def test_a_stage_of_another_academy_is_refused(db_session, world):
    (brick,) = make(db_session, world, "Quiz")
    foreign = world.other_academy.stages[1]

    with pytest.raises(DomainError) as refused:
        move(db_session, world, brick, foreign)

    assert refused.value.field == "stage" and brick.stage_id != foreign.id


def test_a_gap_used_up_renumbers_the_ranks_and_keeps_the_whole_backlog_order(db_session, world):
    s = stages(world)
    a, b = make(db_session, world, "a", "b", stage=s["Design"])
    make(db_session, world, "other")  # another column, after them in the backlog
    (x,) = make(db_session, world, "x")
    # a and b sit on neighbouring integers: nothing fits between them.
    db_session.execute(update(Brick).where(Brick.id == b.id).values(rank=a.rank + 1))
    db_session.expire_all()

    move(db_session, world, x, s["Design"], 2)

    assert column(db_session, s["Design"]) == ["a", "x", "b"]
    assert backlog_order(db_session, world) == ["a", "x", "b", "other"]
    ranks = db_session.scalars(select(Brick.rank).where(Brick.academy_id == world.academy.id)).all()
    assert len(set(ranks)) == len(ranks)
    assert all(r % ranking.STEP == 0 for r in ranks if r != x.rank)


def test_days_in_column_restart_only_when_the_stage_changes(db_session, world):
    s = stages(world)
    a, _b = make(db_session, world, "a", "b", stage=s["Design"])
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    a.stage_entered_at = old
    db_session.flush()

    move(db_session, world, a, s["Design"], 2)
    assert a.stage_entered_at == old
    move(db_session, world, a, s["Production"])
    assert a.stage_entered_at > old
