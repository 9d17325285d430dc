"""board.services: moving a card (version, WIP policy, definition of done, ranks, activity),
drops by neighbour, the edit form's stage change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.factories import PRINCIPALS, backlog_titles, make_bricks, make_member
from tracker.academies.models import Role, Stage, StageCategory, WipPolicy
from tracker.academies.services import add_member
from tracker.auth.permissions import Permission, allows, can, forget_roles
from tracker.backlog import ranking
from tracker.backlog import services as brick_services
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.board import services
from tracker.board.services import CardDrop
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)


def stages(world) -> dict[str, Stage]:
    """The default English stages by category order: backlog, analysis, design, ..., ready."""
    found = {s.name: s for s in world.academy.stages}
    assert list(found) == ["Backlog", "Analysis", "Design", "Production", "Review (alpha)", "Ready"]
    return found


def column(db_session, stage: Stage) -> list[str]:
    return list(
        db_session.scalars(
            select(Brick.title).where(Brick.stage_id == stage.id).order_by(Brick.rank, Brick.id)
        )
    )


def moved_event(db_session, brick) -> Activity:
    return db_session.scalars(
        select(Activity).where(Activity.brick_id == brick.id, Activity.kind == ActivityKind.MOVED)
    ).one()


def move(db_session, world, brick, stage, position=1, actor=None, **kwargs):
    return services.move_brick(
        db_session, brick, stage, position, actor=actor or world.designer,
        expected_version=kwargs.pop("version", brick.version),
        now=kwargs.pop("now", None) or utcnow(), **kwargs,
    )  # fmt: skip


def test_a_move_to_another_column_sets_stage_time_version_and_records_it(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(db_session, world, "Quiz RGPD", format="mooc")
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
    make_bricks(db_session, world, "a", "b", "c", format="mooc", stage_id=s["Design"].id)
    (x,) = make_bricks(db_session, world, "x", format="mooc")

    result = move(db_session, world, x, s["Design"], position)

    assert " ".join(column(db_session, s["Design"])) == expected
    assert result.position == min(position, 4)


def test_within_a_column_the_card_takes_the_midpoint_and_the_rest_keep_their_ranks(
    db_session, world
):
    s = stages(world)
    a, b, c = make_bricks(db_session, world, "a", "b", "c", format="mooc", stage_id=s["Design"].id)
    ranks = {x.id: x.rank for x in (a, b)}

    result = move(db_session, world, c, s["Design"], 2)

    assert column(db_session, s["Design"]) == ["a", "c", "b"]
    assert c.rank == (a.rank + b.rank) // 2
    assert {x.id: x.rank for x in (a, b)} == ranks
    event = moved_event(db_session, c)
    assert event.changes == {"position": [3, 2]} and result.from_stage_id == result.stage_id


def test_entering_a_column_where_its_rank_already_fits_keeps_the_backlog_order(db_session, world):
    s = stages(world)
    make_bricks(db_session, world, "a", format="mooc")
    (b,) = make_bricks(db_session, world, "b", format="mooc")
    make_bricks(db_session, world, "c", format="mooc")
    rank = b.rank

    move(db_session, world, b, s["Production"], 1)  # an empty column

    assert b.rank == rank and backlog_titles(db_session, world) == ["a", "b", "c"]


def test_a_move_to_where_the_card_is_changes_and_records_nothing(db_session, world):
    s = stages(world)
    a, _b = make_bricks(db_session, world, "a", "b", format="mooc", stage_id=s["Design"].id)
    version = a.version

    result = move(db_session, world, a, s["Design"], 1)

    assert not result.moved and a.version == version
    assert not db_session.scalars(
        select(Activity).where(Activity.brick_id == a.id, Activity.kind == ActivityKind.MOVED)
    ).all()


def test_a_stale_version_is_a_conflict_and_changes_nothing(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")
    brick_services.update_brick(
        db_session, brick, actor=world.manager, expected_version=brick.version,
        summary="Edited meanwhile",
     now=utcnow())  # fmt: skip

    with pytest.raises(Conflict):
        move(db_session, world, brick, s["Design"], version=brick.version - 1)

    assert brick.stage_id == s["Backlog"].id


def test_a_full_blocking_column_refuses_a_card_but_lets_its_own_cards_move(db_session, world):
    s = stages(world)
    design = s["Design"]
    design.wip_limit, design.wip_policy = 2, WipPolicy.BLOCK
    _a, b = make_bricks(db_session, world, "a", "b", format="mooc", stage_id=design.id)
    (x,) = make_bricks(db_session, world, "x", format="mooc")

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
    make_bricks(db_session, world, "a", format="mooc", stage_id=design.id)
    (x,) = make_bricks(db_session, world, "x", format="mooc")

    result = move(db_session, world, x, design)

    assert result.moved and result.over_limit and x.stage_id == design.id


def _tick_all(db_session, brick, done=True):
    for item in brick.checklist:
        item.done = done
    db_session.flush()


def test_done_needs_a_complete_checklist(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )
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
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )

    with pytest.raises(services.DefinitionOfDoneIncomplete):
        move(db_session, world, brick, s["Ready"], actor=world.manager, override_reason="  ")
    move(db_session, world, brick, s["Ready"], actor=world.manager,
         override_reason="Sponsor  sign-off, captions come in v2")  # fmt: skip

    event = moved_event(db_session, brick)
    assert brick.stage_id == s["Ready"].id
    assert event.note == "Sponsor sign-off, captions come in v2"


def test_a_designer_cannot_override_the_definition_of_done(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )

    with pytest.raises(services.DefinitionOfDoneIncomplete) as refused:
        move(db_session, world, brick, s["Ready"], actor=world.designer, override_reason="Please")

    assert "manager" in refused.value.message and brick.stage_id == s["Review (alpha)"].id
    # ... and who may grant it: the academy's manager, by name
    assert world.manager.display_name in refused.value.message


def test_a_refused_override_names_the_managers_even_without_a_reason(db_session, world):
    # Arrange: a second manager; the designer's form has no reason field
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )
    make_member(db_session, world.academy, Role.MANAGER, name="Aline Ébert")

    # Act
    with pytest.raises(services.DefinitionOfDoneIncomplete) as refused:
        move(db_session, world, brick, s["Ready"], actor=world.designer)

    # Assert: both managers, accents aside in alphabetical order
    message = refused.value.message
    assert "not complete" in message
    assert "ask Aline Ébert or Maya Manager" in message


def test_between_two_done_columns_the_checklist_is_not_checked_again(db_session, world):
    s = stages(world)
    archive = Stage(academy_id=world.academy.id, name="Archived", position=9,
                    category=StageCategory.DONE)  # fmt: skip
    db_session.add(archive)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc", stage_id=s["Ready"].id)

    result = move(db_session, world, brick, archive)

    assert result.moved and brick.stage_id == archive.id


def test_a_stage_of_another_academy_is_refused(db_session, world):
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")
    foreign = world.other_academy.stages[1]

    with pytest.raises(DomainError) as refused:
        move(db_session, world, brick, foreign)

    assert refused.value.field == "stage" and brick.stage_id != foreign.id


def test_a_gap_used_up_renumbers_the_ranks_and_keeps_the_whole_backlog_order(db_session, world):
    s = stages(world)
    a, b = make_bricks(db_session, world, "a", "b", format="mooc", stage_id=s["Design"].id)
    make_bricks(
        db_session, world, "other", format="mooc"
    )  # another column, after them in the backlog
    (x,) = make_bricks(db_session, world, "x", format="mooc")
    # a and b sit on neighbouring integers: nothing fits between them.
    db_session.execute(update(Brick).where(Brick.id == b.id).values(rank=a.rank + 1))
    db_session.expire_all()

    move(db_session, world, x, s["Design"], 2)

    assert column(db_session, s["Design"]) == ["a", "x", "b"]
    assert backlog_titles(db_session, world) == ["a", "x", "b", "other"]
    ranks = db_session.scalars(select(Brick.rank).where(Brick.academy_id == world.academy.id)).all()
    assert len(set(ranks)) == len(ranks)
    assert all(r % ranking.STEP == 0 for r in ranks if r != x.rank)


def test_days_in_column_restart_only_when_the_stage_changes(db_session, world):
    s = stages(world)
    a, _b = make_bricks(db_session, world, "a", "b", format="mooc", stage_id=s["Design"].id)
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    a.stage_entered_at = old
    db_session.flush()

    move(db_session, world, a, s["Design"], 2)
    assert a.stage_entered_at == old
    move(db_session, world, a, s["Production"])
    assert a.stage_entered_at > old


# -- The clock, and a version gone stale under the lock --------------------------------------------


def test_a_move_is_dated_by_the_clock_it_is_given(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")

    move(db_session, world, brick, s["Design"], now=NOW)

    assert brick.stage_entered_at == brick.updated_at == NOW
    assert moved_event(db_session, brick).at == NOW


def test_a_version_changed_behind_the_loaded_card_is_a_conflict_found_under_the_lock(
    db_session, world
):
    s = stages(world)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")
    seen = brick.version
    # Another transaction moved it: the row has a newer version than the object in memory.
    db_session.execute(update(Brick).where(Brick.id == brick.id).values(version=seen + 1))

    with pytest.raises(Conflict):
        move(db_session, world, brick, s["Design"], version=seen)

    assert db_session.scalar(select(Brick.stage_id).where(Brick.id == brick.id)) == s["Backlog"].id
    assert not db_session.scalars(
        select(Activity).where(Activity.brick_id == brick.id, Activity.kind == ActivityKind.MOVED)
    ).all()


def test_a_card_moved_inside_a_full_blocking_column_keeps_its_place_rules(db_session, world):
    s = stages(world)
    design = s["Design"]
    _a, b = make_bricks(db_session, world, "a", "b", format="mooc", stage_id=design.id)
    design.wip_limit, design.wip_policy = 1, WipPolicy.BLOCK  # already over its limit

    result = move(db_session, world, b, design, 1)

    assert result.moved and result.over_limit and column(db_session, design) == ["b", "a"]


# -- Who may override the definition of done: the permission engine ------------------------------


@pytest.mark.parametrize("name", [p for p in PRINCIPALS if p != "anonymous"])
def test_the_override_follows_the_permission_engine_for_every_principal(db_session, world, name):
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )
    person = world.principal(name)
    allowed = can(person, Permission.DONE_OVERRIDE, world.academy)

    try:
        move(db_session, world, brick, s["Ready"], actor=person, override_reason="Signed off")
    except services.DefinitionOfDoneIncomplete as refused:
        assert "Only a manager" in refused.message
        moved = False
    else:
        moved = True

    assert moved is allowed
    assert allowed is (name == "manager")


def test_a_site_admin_overrides_only_with_a_manager_role_in_the_academy(db_session, world):
    s = stages(world)
    first, second = make_bricks(
        db_session, world, "First", "Second", format="mooc", stage_id=s["Review (alpha)"].id
    )

    with pytest.raises(services.DefinitionOfDoneIncomplete) as refused:
        move(db_session, world, first, s["Ready"], actor=world.admin, override_reason="Admin says")
    add_member(db_session, world.academy, world.admin, Role.MANAGER)
    forget_roles()
    move(db_session, world, second, s["Ready"], actor=world.admin, override_reason="Admin says")

    assert "Only a manager" in refused.value.message and first.stage_id == s["Review (alpha)"].id
    assert second.stage_id == s["Ready"].id
    assert not allows(world.admin, Permission.DONE_OVERRIDE, world.academy, role=None)
    assert allows(world.admin, Permission.DONE_OVERRIDE, world.academy, role=Role.MANAGER)


def test_a_deactivated_manager_cannot_override(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )
    world.manager.is_active_account = False

    with pytest.raises(services.DefinitionOfDoneIncomplete):
        move(db_session, world, brick, s["Ready"], actor=world.manager, override_reason="Late")

    assert brick.stage_id == s["Review (alpha)"].id


def test_an_override_reason_over_1000_characters_is_refused(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )

    with pytest.raises(DomainError) as refused:
        move(db_session, world, brick, s["Ready"], actor=world.manager, override_reason="x" * 1001)

    assert refused.value.field == "override_reason" and brick.stage_id != s["Ready"].id


# -- Drops: a neighbour names the place -----------------------------------------------------------


def drop(db_session, world, brick, stage, **where):
    return services.move_card(
        db_session, world.academy,
        CardDrop(brick.number, where.pop("version", brick.version), stage.id, **where),
        actor=world.designer, now=NOW,
    )  # fmt: skip


def test_a_drop_lands_after_or_before_its_neighbour_and_counts_both_columns(db_session, world):
    s = stages(world)
    a, _b, c = make_bricks(db_session, world, "a", "b", "c", format="mooc", stage_id=s["Design"].id)
    x, y, _z = make_bricks(db_session, world, "x", "y", "z", format="mooc")

    after = drop(db_session, world, x, s["Design"], after=a.number)
    before = drop(db_session, world, y, s["Design"], before=c.number)

    assert column(db_session, s["Design"]) == ["a", "x", "b", "y", "c"]
    assert (after.move.position, before.move.position) == (2, 4)
    assert before.brick is y and before.stage is s["Design"]
    assert before.totals == {s["Backlog"].id: 1, s["Design"].id: 5}


def test_a_drop_without_a_usable_neighbour_goes_to_the_bottom_or_to_its_position(db_session, world):
    s = stages(world)
    make_bricks(db_session, world, "a", "b", format="mooc", stage_id=s["Design"].id)
    (elsewhere,) = make_bricks(
        db_session, world, "elsewhere", format="mooc", stage_id=s["Production"].id
    )
    x, y = make_bricks(db_session, world, "x", "y", format="mooc")

    drop(db_session, world, x, s["Design"], after=elsewhere.number)  # not in that column
    drop(db_session, world, y, s["Design"], position=1, after=elsewhere.number)

    assert column(db_session, s["Design"]) == ["y", "a", "b", "x"]


@pytest.mark.parametrize("what", ["brick", "stage", "foreign stage"])
def test_a_drop_naming_what_no_longer_exists_is_card_gone(db_session, world, what):
    s = stages(world)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")
    stage_id = {
        "brick": s["Design"].id,
        "stage": 2**31 - 1,
        "foreign stage": world.other_academy.stages[1].id,
    }[what]
    number = 2**31 - 1 if what == "brick" else brick.number

    with pytest.raises(services.CardGone) as gone:
        services.move_card(db_session, world.academy, CardDrop(number, brick.version, stage_id),
                           actor=world.designer, now=NOW)  # fmt: skip

    assert gone.value.status == 404 and "Reload the board" in gone.value.message
    assert brick.stage_id == s["Backlog"].id


def test_after_a_stale_drop_the_card_place_says_where_it_really_is(db_session, world):
    s = stages(world)
    make_bricks(db_session, world, "a", format="mooc", stage_id=s["Production"].id)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")
    seen = brick.version
    move(db_session, world, brick, s["Production"], 2)

    with pytest.raises(Conflict):
        drop(db_session, world, brick, s["Design"], version=seen)
    place = services.card_place(db_session, world.academy, brick.number)

    assert place == {
        "brick": brick.number,
        "stage": s["Production"].id,
        "position": 2,
        "version": brick.version,
    }
    assert services.card_place(db_session, world.academy, 2**31 - 1) is None


# -- The brick's edit form: a change of stage obeys the same rules -------------------------------


def edit(db_session, world, brick, **values):
    return services.edit_brick(
        db_session,
        brick,
        actor=world.designer,
        expected_version=brick.version,
        **values,
        now=utcnow(),
    )


def test_the_edit_form_cannot_put_a_card_in_a_full_blocking_column(db_session, world):
    s = stages(world)
    design = s["Design"]
    design.wip_limit, design.wip_policy = 1, WipPolicy.BLOCK
    make_bricks(db_session, world, "a", format="mooc", stage_id=design.id)
    (x,) = make_bricks(db_session, world, "x", format="mooc")

    with pytest.raises(services.WipLimitReached) as refused:
        edit(db_session, world, x, stage_id=design.id, title="x renamed")

    assert refused.value.field == "stage_id" and "limit is 1" in refused.value.message
    assert (x.stage_id, x.title) == (s["Backlog"].id, "x")


def test_the_edit_form_lets_a_warning_column_take_the_card(db_session, world):
    s = stages(world)
    design = s["Design"]
    design.wip_limit, design.wip_policy = 1, WipPolicy.WARN
    make_bricks(db_session, world, "a", format="mooc", stage_id=design.id)
    (x,) = make_bricks(db_session, world, "x", format="mooc")

    changes = edit(db_session, world, x, stage_id=design.id)

    assert changes == {"stage_id": [s["Backlog"].id, design.id]} and x.stage_id == design.id


def test_the_edit_form_needs_a_complete_checklist_for_done_and_offers_no_override(
    db_session, world
):
    s = stages(world)
    (brick,) = make_bricks(
        db_session, world, "Quiz", format="mooc", stage_id=s["Review (alpha)"].id
    )

    with pytest.raises(services.DefinitionOfDoneIncomplete) as refused:
        services.edit_brick(db_session, brick, actor=world.manager, now=utcnow(),
                            expected_version=brick.version, stage_id=s["Ready"].id)  # fmt: skip
    _tick_all(db_session, brick)
    edit(db_session, world, brick, stage_id=s["Ready"].id)

    assert refused.value.field == "stage_id"
    assert brick.stage_id == s["Ready"].id
    assert (
        db_session.scalars(
            select(Activity.kind).where(Activity.brick_id == brick.id).order_by(Activity.id.desc())
        ).first()
        == ActivityKind.MOVED
    )


def test_the_edit_form_checks_nothing_when_the_stage_stays(db_session, world):
    s = stages(world)
    design = s["Design"]
    make_bricks(db_session, world, "a", format="mooc", stage_id=design.id)
    (x,) = make_bricks(db_session, world, "x", format="mooc", stage_id=design.id)
    design.wip_limit, design.wip_policy = 1, WipPolicy.BLOCK  # already over its limit

    changes = edit(db_session, world, x, stage_id=design.id, title="x renamed")

    assert changes == {"title": ["x", "x renamed"]}


def test_a_stale_edit_is_still_a_conflict(db_session, world):
    s = stages(world)
    (brick,) = make_bricks(db_session, world, "Quiz", format="mooc")

    with pytest.raises(Conflict):
        services.edit_brick(
            db_session, brick, actor=world.designer, expected_version=brick.version - 1,
            stage_id=s["Design"].id,
         now=utcnow())  # fmt: skip

    assert brick.stage_id == s["Backlog"].id
