"""The backlog's rules at the service level, without HTTP, at a fixed time: creating and editing
a brick (validation, references, owners, objectives, definition of done, history, optimistic
locking), the backlog order, bulk assignment, the override of the definition of done, deleting
and commenting; training needs (validation, triage, links to bricks, score, coverage) and
learning paths (names, colours, order, deletion)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from tests.factories import (
    backlog_titles,
    by_title,
    make_brick,
    make_bricks,
    make_need,
    make_path,
    make_release,
    make_sprint,
    stage_named,
    stage_of,
)
from tracker.academies.models import Membership, Role, Stage, StageCategory
from tracker.backlog import (
    bulk,
    checklists,
    needs_services,
    paths_services,
    ranking,
    reorder,
    services,
)
from tracker.backlog.models import (
    Activity,
    ActivityKind,
    BloomLevel,
    Brick,
    BrickFormat,
    ChecklistItem,
    Comment,
    LearningPath,
    NeedStatus,
)
from tracker.backlog.needs_models import NeedEvent, NeedEventKind
from tracker.board import services as board
from tracker.errors import Conflict, DomainError, NotFound
from tracker.sprints import scope

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)


def events(db_session, brick: Brick) -> list[Activity]:
    return list(
        db_session.scalars(
            select(Activity).where(Activity.brick_id == brick.id).order_by(Activity.id)
        )
    )


def edit(db_session, brick: Brick, actor, **values):
    return services.update_brick(
        db_session, brick, actor=actor, expected_version=brick.version, now=LATER, **values
    )


# -- Creating a brick ----------------------------------------------------------------------------


def test_bricks_get_consecutive_keys_and_a_created_event(db_session, world):
    first = services.create_brick(
        db_session, world.academy, actor=world.manager, title="Cyber 101", format="mooc", now=NOW
    )
    second = services.create_brick(
        db_session, world.academy, actor=world.manager, title="Phishing",
        format=BrickFormat.VIDEO, now=NOW,
    )  # fmt: skip

    assert (first.number, second.number) == (1, 2)
    assert second.key == f"{world.academy.key_prefix}-2"
    assert second.rank > first.rank
    created = events(db_session, first)
    assert [e.kind for e in created] == [ActivityKind.CREATED]
    assert created[0].changes["title"] == [None, "Cyber 101"]
    assert (created[0].actor_id, created[0].at) == (world.manager.id, NOW)


def test_a_new_brick_is_stamped_with_the_given_time_and_lands_in_the_backlog_stage(
    db_session, world
):
    brick = make_brick(db_session, world, "Quiz", now=NOW)

    assert brick.created_at == brick.updated_at == brick.stage_entered_at == NOW
    assert brick.stage.category == StageCategory.BACKLOG
    assert brick.created_by_id == world.manager.id


def test_the_backlog_stage_is_found_even_when_it_is_not_the_first_column(db_session, world):
    backlog = stage_named(world, "Backlog")
    backlog.position = 99
    db_session.flush()

    brick = make_brick(db_session, world, "Quiz", now=NOW)

    assert brick.stage_id == backlog.id


def test_an_academy_without_stages_refuses_new_bricks(db_session, world):
    for stage in list(world.academy.stages):
        db_session.delete(stage)
    db_session.flush()

    with pytest.raises(DomainError):
        make_brick(db_session, world, "Quiz", now=NOW)
    assert backlog_titles(db_session, world.academy) == []


def test_the_title_is_trimmed_and_the_created_event_lists_only_what_was_filled(db_session, world):
    brick = make_brick(db_session, world, "  Phishing  ", vendor="Acme", now=NOW)

    assert brick.title == "Phishing"
    changes = events(db_session, brick)[0].changes
    assert changes["title"] == [None, "Phishing"]
    assert changes["vendor"] == [None, "Acme"]
    assert "summary" not in changes and "sprint_id" not in changes


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_a_brick_needs_a_title(db_session, world, title):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, title, now=NOW)

    assert refused.value.field == "title"
    assert backlog_titles(db_session, world.academy) == []


@pytest.mark.parametrize("field", ["learner_minutes", "estimate_points"])
def test_negative_numbers_are_refused(db_session, world, field):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", now=NOW, **{field: -1})

    assert refused.value.field == field


def test_zero_minutes_and_points_are_accepted(db_session, world):
    brick = make_brick(db_session, world, "Quiz", learner_minutes=0, estimate_points=0, now=NOW)

    assert (brick.learner_minutes, brick.estimate_points) == (0, 0)


def test_an_unknown_format_is_refused(db_session, world):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", format="hologram", now=NOW)

    assert refused.value.field == "format"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.com/a.zip",
        "https://",
        "lms.example.com/course",
    ],
)
def test_only_web_links_are_accepted_as_content_url(db_session, world, url):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", content_url=url, now=NOW)

    assert refused.value.field == "content_url"


def test_a_web_link_is_kept_trimmed(db_session, world):
    brick = make_brick(
        db_session, world, "Quiz", content_url="  https://lms.example.com/c/1  ", now=NOW
    )

    assert brick.content_url == "https://lms.example.com/c/1"


def test_an_unknown_field_is_a_programming_error(db_session, world):
    with pytest.raises(TypeError):
        make_brick(db_session, world, "Quiz", colour="red", now=NOW)


@pytest.mark.parametrize("field", ["stage_id", "sprint_id", "release_id", "learning_path_id"])
def test_a_reference_to_another_academy_is_refused(db_session, world, field):
    other = world.other_academy
    foreign = {
        "stage_id": lambda: other.stages[0].id,
        "sprint_id": lambda: make_sprint(db_session, other, "Theirs").id,
        "release_id": lambda: make_release(db_session, other).id,
        "learning_path_id": lambda: make_path(db_session, other, "Theirs").id,
    }[field]()

    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", now=NOW, **{field: foreign})

    assert refused.value.field == field
    assert backlog_titles(db_session, world.academy) == []


def test_a_reference_to_nothing_is_refused(db_session, world):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", sprint_id=987654, now=NOW)

    assert refused.value.field == "sprint_id"


@pytest.mark.parametrize("person", ["tester", "stakeholder", "outsider", "admin"])
def test_only_a_manager_or_designer_of_the_academy_may_own_a_brick(db_session, world, person):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", owner_id=getattr(world, person).id, now=NOW)

    assert refused.value.field == "owner_id"


@pytest.mark.parametrize("person", ["manager", "designer"])
def test_a_manager_or_designer_may_own_a_brick(db_session, world, person):
    owner = getattr(world, person)

    brick = make_brick(db_session, world, "Quiz", owner_id=owner.id, now=NOW)

    assert brick.owner_id == owner.id


def test_objectives_are_cleaned_blank_ones_dropped_and_kept_in_order(db_session, world):
    brick = make_brick(
        db_session, world, "Quiz", now=NOW,
        objectives=[("  Spot   a fake\nsender ", "remember"), ("   ", "apply"),
                    ("Report it", BloomLevel.APPLY)],
    )  # fmt: skip

    assert [(o.statement, o.bloom_level, o.position) for o in brick.objectives] == [
        ("Spot a fake sender", BloomLevel.REMEMBER, 0),
        ("Report it", BloomLevel.APPLY, 1),
    ]
    assert events(db_session, brick)[0].changes["objectives"][1] == [
        {"statement": "Spot a fake sender", "bloom_level": "remember"},
        {"statement": "Report it", "bloom_level": "apply"},
    ]


@pytest.mark.parametrize(
    "objective", [("x" * 501, "apply"), ("Spot a fake sender", "memorise")], ids=["long", "level"]
)
def test_a_bad_objective_is_refused(db_session, world, objective):
    with pytest.raises(DomainError) as refused:
        make_brick(db_session, world, "Quiz", objectives=[objective], now=NOW)

    assert refused.value.field == "objectives"


def test_a_new_brick_gets_the_definition_of_done_of_its_format(db_session, world):
    video = make_brick(db_session, world, "Film", format="video", now=NOW)
    mooc = make_brick(db_session, world, "Course", format="mooc", now=NOW)

    assert video.checklist and mooc.checklist
    assert [i.label for i in video.checklist] != [i.label for i in mooc.checklist]
    assert not any(item.done for item in video.checklist)


# -- Editing a brick -----------------------------------------------------------------------------


def test_an_edit_returns_and_records_what_changed_and_bumps_the_version(db_session, world):
    brick = make_brick(db_session, world, "Data 101", summary="Old", now=NOW)
    version = brick.version

    changes = edit(db_session, brick, world.designer, title="Data basics", summary="Old")

    assert changes == {"title": ["Data 101", "Data basics"]}
    assert brick.version == version + 1 and brick.updated_at == LATER
    last = events(db_session, brick)[-1]
    assert (last.kind, last.actor_id, last.at) == (ActivityKind.EDITED, world.designer.id, LATER)
    assert last.changes == changes


def test_an_edit_that_changes_nothing_records_nothing(db_session, world):
    brick = make_brick(db_session, world, "Data 101", estimate_points=3, now=NOW)
    version = brick.version

    assert edit(db_session, brick, world.manager, title="Data 101", estimate_points=3) == {}
    assert brick.version == version and brick.updated_at == NOW
    assert len(events(db_session, brick)) == 1


def test_a_stale_version_is_refused_and_nothing_changes(db_session, world):
    brick = make_brick(db_session, world, "Data 101", now=NOW)
    seen = brick.version
    edit(db_session, brick, world.designer, title="Data basics")

    with pytest.raises(Conflict):
        services.update_brick(
            db_session, brick, actor=world.manager, expected_version=seen, title="Overwrite",
            now=LATER,
        )  # fmt: skip
    assert brick.title == "Data basics"
    assert len(events(db_session, brick)) == 2


def test_an_invalid_edit_changes_nothing(db_session, world):
    brick = make_brick(db_session, world, "Data 101", now=NOW)

    with pytest.raises(DomainError):
        edit(db_session, brick, world.manager, title="Data basics", estimate_points=-3)
    assert brick.title == "Data 101"
    assert len(events(db_session, brick)) == 1


@pytest.mark.parametrize(
    ("what", "kind"),
    [
        ("sprint", ActivityKind.SPRINT_CHANGED),
        ("release", ActivityKind.RELEASE_CHANGED),
        ("stage", ActivityKind.MOVED),
        ("sprint and title", ActivityKind.EDITED),
    ],
)
def test_an_edit_is_recorded_as_the_kind_of_change_it_is(db_session, world, what, kind):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    values = {
        "sprint": {"sprint_id": make_sprint(db_session, world, "S1").id},
        "release": {"release_id": make_release(db_session, world.academy).id},
        "stage": {"stage_id": stage_named(world, "Design").id},
        "sprint and title": {"sprint_id": make_sprint(db_session, world, "S2").id, "title": "Q"},
    }[what]

    edit(db_session, brick, world.manager, **values)

    assert events(db_session, brick)[-1].kind == kind


def test_a_change_of_stage_restarts_the_time_in_stage(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)

    edit(db_session, brick, world.manager, summary="Short")
    assert brick.stage_entered_at == NOW
    edit(db_session, brick, world.manager, stage_id=stage_named(world, "Design").id)
    assert brick.stage_entered_at == LATER


def test_a_brick_keeps_an_owner_who_changed_role_but_a_new_owner_is_checked(db_session, world):
    brick = make_brick(db_session, world, "Quiz", owner_id=world.designer.id, now=NOW)
    membership = db_session.scalar(
        select(Membership).where(
            Membership.academy_id == world.academy.id, Membership.user_id == world.designer.id
        )
    )
    membership.role = Role.STAKEHOLDER
    db_session.flush()

    edit(db_session, brick, world.manager, owner_id=world.designer.id, vendor="Acme")
    assert (brick.owner_id, brick.vendor) == (world.designer.id, "Acme")
    with pytest.raises(DomainError) as refused:
        edit(db_session, brick, world.manager, owner_id=world.tester.id)
    assert refused.value.field == "owner_id"


def test_a_change_of_format_brings_the_new_definition_of_done_while_nothing_is_ticked(
    db_session, world
):
    brick = make_brick(db_session, world, "Quiz", format="video", now=NOW)
    video_labels = [i.label for i in brick.checklist]

    changes = edit(db_session, brick, world.manager, format="mooc")

    mooc_labels = [i.label for i in brick.checklist]
    assert mooc_labels != video_labels
    assert changes["checklist"] == [video_labels, mooc_labels]


def test_a_change_of_format_keeps_a_definition_of_done_already_begun(db_session, world):
    brick = make_brick(db_session, world, "Quiz", format="video", now=NOW)
    labels = [i.label for i in brick.checklist]
    checklists.tick_checklist_item(
        db_session, brick, brick.checklist[0], done=True, actor=world.designer, now=NOW
    )

    changes = edit(db_session, brick, world.manager, format="mooc")

    assert brick.format == BrickFormat.MOOC
    assert [i.label for i in brick.checklist] == labels
    assert "checklist" not in changes


def test_objectives_are_replaced_in_order_and_an_identical_list_is_no_change(db_session, world):
    brick = make_brick(
        db_session, world, "Quiz", objectives=[("Spot", "remember"), ("Report", "apply")], now=NOW
    )
    version = brick.version

    same = edit(
        db_session, brick, world.manager, objectives=[("Spot", "remember"), ("Report", "apply")]
    )
    changed = edit(db_session, brick, world.manager, objectives=[("Report", "create")])

    assert same == {} and brick.version == version + 1
    assert [(o.statement, o.bloom_level) for o in brick.objectives] == [
        ("Report", BloomLevel.CREATE)
    ]
    assert changed["objectives"][1] == [{"statement": "Report", "bloom_level": "create"}]


# -- The definition of done: ticking and templates ----------------------------------------------


def test_ticking_records_who_and_when_without_a_new_version(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    item = brick.checklist[0]
    version = brick.version

    assert checklists.tick_checklist_item(
        db_session, brick, item, done=True, actor=world.designer, now=LATER
    )
    assert not checklists.tick_checklist_item(
        db_session, brick, item, done=True, actor=world.manager, now=LATER
    )

    assert (item.done, item.done_at, item.done_by_id) == (True, LATER, world.designer.id)
    assert brick.version == version
    last = events(db_session, brick)[-1]
    assert (last.kind, last.changes, last.note) == (
        ActivityKind.CHECKLIST, {"done": [False, True]}, item.label,
    )  # fmt: skip


def test_unticking_forgets_who_ticked(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    item = brick.checklist[0]
    checklists.tick_checklist_item(
        db_session, brick, item, done=True, actor=world.designer, now=NOW
    )

    assert checklists.tick_checklist_item(
        db_session, brick, item, done=False, actor=world.manager, now=LATER
    )
    assert (item.done, item.done_at, item.done_by_id) == (False, None, None)


def test_an_item_of_another_brick_is_not_found(db_session, world):
    mine, other = make_bricks(db_session, world, "Mine", "Other", now=NOW)

    with pytest.raises(NotFound):
        checklists.tick_checklist_item(
            db_session, mine, other.checklist[0], done=True, actor=world.designer, now=LATER
        )
    assert not other.checklist[0].done


def test_a_template_item_added_goes_last_and_only_new_bricks_get_it(db_session, world):
    before = make_brick(db_session, world, "Before", format="podcast", now=NOW)

    item = checklists.add_template_item(
        db_session, world.academy, "podcast", "  Loudness   checked  "
    )
    after = make_brick(db_session, world, "After", format="podcast", now=NOW)

    assert item.label == "Loudness checked"
    assert [i.label for i in after.checklist][-1] == "Loudness checked"
    assert "Loudness checked" not in [i.label for i in before.checklist]


@pytest.mark.parametrize(
    ("format", "label", "field"),
    [("podcast", "   ", "label"), ("podcast", "x" * 256, "label"), ("hologram", "Ok", "format")],
)
def test_a_template_item_needs_a_label_and_a_known_format(db_session, world, format, label, field):
    with pytest.raises(DomainError) as refused:
        checklists.add_template_item(db_session, world.academy, format, label)

    assert refused.value.field == field


def podcast_template(db_session, world) -> list[tuple[int, str]]:
    items = checklists.templates_by_format(db_session, world.academy)[BrickFormat.PODCAST]
    return [(item.position, item.label) for item in items]


def test_template_items_move_within_their_format_and_stop_at_the_ends(db_session, world):
    items = checklists.templates_by_format(db_session, world.academy)[BrickFormat.PODCAST]
    first, last = items[0], items[-1]
    assert len(items) >= 3

    checklists.move_template_item(db_session, last, -1)
    checklists.move_template_item(db_session, first, -1)

    after = podcast_template(db_session, world)
    assert [position for position, _label in after] == list(range(len(items)))
    assert (after[0][1], after[-2][1]) == (first.label, last.label)


# -- The definition of done on the board and on the edit form ----------------------------------


def test_a_manager_overrides_an_incomplete_definition_of_done_with_a_reason(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    ready = stage_of(db_session, world, StageCategory.DONE)

    result = board.move_brick(
        db_session, brick, ready, 1, actor=world.manager, expected_version=brick.version,
        now=LATER, override_reason="  Sponsor   asked  for it ",
    )  # fmt: skip

    assert result.moved and brick.stage_id == ready.id
    assert events(db_session, brick)[-1].note == "Sponsor asked for it"


@pytest.mark.parametrize("person", ["designer", "tester", "stakeholder", "outsider"])
def test_no_one_but_a_manager_overrides_the_definition_of_done(db_session, world, person):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    ready = stage_of(db_session, world, StageCategory.DONE)

    with pytest.raises(board.DefinitionOfDoneIncomplete) as refused:
        board.move_brick(
            db_session, brick, ready, 1, actor=getattr(world, person),
            expected_version=brick.version, now=LATER, override_reason="Sponsor asked for it",
        )  # fmt: skip

    assert refused.value.field == "override_reason"
    assert brick.stage.category == StageCategory.BACKLOG


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_even_a_manager_must_give_a_reason_to_override(db_session, world, reason):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    ready = stage_of(db_session, world, StageCategory.DONE)

    with pytest.raises(board.DefinitionOfDoneIncomplete):
        board.move_brick(
            db_session, brick, ready, 1, actor=world.manager, expected_version=brick.version,
            now=LATER, override_reason=reason,
        )  # fmt: skip


def test_a_complete_definition_of_done_needs_no_override(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    for item in brick.checklist:
        checklists.tick_checklist_item(
            db_session, brick, item, done=True, actor=world.designer, now=NOW
        )
    ready = stage_of(db_session, world, StageCategory.DONE)

    result = board.move_brick(
        db_session, brick, ready, 1, actor=world.designer, expected_version=brick.version,
        now=LATER,
    )  # fmt: skip

    assert result.moved and events(db_session, brick)[-1].note == ""


def test_the_edit_form_never_overrides_the_definition_of_done(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    ready = stage_of(db_session, world, StageCategory.DONE)

    with pytest.raises(board.DefinitionOfDoneIncomplete) as refused:
        board.edit_brick(
            db_session, brick, actor=world.manager, expected_version=brick.version, now=LATER,
            stage_id=ready.id,
        )  # fmt: skip

    assert refused.value.field == "stage_id"
    assert brick.stage.category == StageCategory.BACKLOG


# -- The backlog order ---------------------------------------------------------------------------


def test_new_bricks_go_to_the_bottom_a_step_apart(db_session, world):
    a, b, c = make_bricks(db_session, world, "a", "b", "c", now=NOW)

    assert (b.rank - a.rank, c.rank - b.rank) == (ranking.STEP, ranking.STEP)
    assert backlog_titles(db_session, world.academy) == ["a", "b", "c"]


def test_moving_before_or_after_a_brick_records_positions_without_a_new_version(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abcd", now=NOW))
    version = bricks["d"].version

    assert reorder.move_brick(db_session, bricks["d"], actor=world.designer, now=LATER,
                              before=bricks["b"])  # fmt: skip
    assert reorder.move_brick(db_session, bricks["a"], actor=world.designer, now=LATER,
                              after=bricks["c"])  # fmt: skip

    assert backlog_titles(db_session, world.academy) == ["d", "b", "c", "a"]
    assert bricks["d"].version == version
    moved = [e for e in events(db_session, bricks["d"]) if e.kind == ActivityKind.REORDERED]
    assert [(e.changes["position"], e.at) for e in moved] == [([4, 2], LATER)]


def test_a_move_to_where_the_brick_already_is_records_nothing(db_session, world):
    a, b = make_bricks(db_session, world, "a", "b", now=NOW)

    assert not reorder.move_brick(db_session, a, actor=world.manager, now=LATER, before=b)
    assert [e.kind for e in events(db_session, a)] == [ActivityKind.CREATED]


@pytest.mark.parametrize("how", ["both", "neither", "itself", "other academy"])
def test_a_move_must_name_one_neighbour_of_the_same_academy(db_session, world, how):
    a, b = make_bricks(db_session, world, "a", "b", now=NOW)
    theirs = make_brick(db_session, world.other_academy, "theirs", now=NOW)
    where = {
        "both": {"before": b, "after": b},
        "neither": {},
        "itself": {"before": a},
        "other academy": {"before": theirs},
    }[how]

    with pytest.raises(DomainError):
        reorder.move_brick(db_session, a, actor=world.manager, now=LATER, **where)
    assert backlog_titles(db_session, world.academy) == ["a", "b"]


@pytest.mark.parametrize(("position", "expected"), [(1, "cabd"), (3, "abcd"), (-5, "cabd"),
                                                    (99, "abdc")])  # fmt: skip
def test_a_move_to_a_position_stays_within_the_backlog(db_session, world, position, expected):
    bricks = by_title(make_bricks(db_session, world, *"abcd", now=NOW))

    reorder.move_brick_to_position(
        db_session, bricks["c"], position, actor=world.manager, now=LATER
    )

    assert "".join(backlog_titles(db_session, world.academy)) == expected


def test_steps_up_and_down_stop_at_the_ends(db_session, world):
    bricks = by_title(make_bricks(db_session, world, *"abc", now=NOW))

    assert not reorder.step_brick(db_session, bricks["a"], "up", actor=None, now=LATER)
    assert not reorder.step_brick(db_session, bricks["c"], "down", actor=None, now=LATER)
    assert reorder.step_brick(db_session, bricks["c"], "top", actor=None, now=LATER)
    assert reorder.step_brick(db_session, bricks["c"], "down", actor=None, now=LATER)
    assert "".join(backlog_titles(db_session, world.academy)) == "acb"


def test_a_move_into_a_full_gap_renumbers_the_backlog_and_keeps_the_order(db_session, world):
    a, b, c = make_bricks(db_session, world, "a", "b", "c", now=NOW)
    for brick, rank in ((a, 10), (b, 11), (c, 50)):
        brick.rank = rank
    db_session.flush()

    assert reorder.move_brick(db_session, c, actor=world.manager, now=LATER, before=b)

    assert backlog_titles(db_session, world.academy) == ["a", "c", "b"]
    ranks = sorted(db_session.scalars(select(Brick.rank).where(Brick.academy_id == a.academy_id)))
    assert all(later - earlier >= 2 for earlier, later in itertools.pairwise(ranks))


# -- Bulk assignment -----------------------------------------------------------------------------


def test_a_bulk_assignment_edits_each_brick_through_its_history(db_session, world):
    a, b, c = make_bricks(db_session, world, "a", "b", "c", now=NOW)
    sprint = make_sprint(db_session, world, "S1")
    edit(db_session, b, world.manager, sprint_id=sprint.id)

    changed = scope.assign_bricks(
        db_session, world.academy, [a.number, b.number], actor=world.designer, now=LATER,
        sprint_id=sprint.id, owner_id=world.designer.id,
    )  # fmt: skip

    assert changed == 2  # b only gains an owner
    assert (a.sprint_id, b.sprint_id, c.sprint_id) == (sprint.id, sprint.id, None)
    last = events(db_session, a)[-1]
    assert (last.actor_id, last.at) == (world.designer.id, LATER)
    assert set(last.changes) == {"sprint_id", "owner_id"}


def test_a_bulk_assignment_clears_with_none(db_session, world):
    path = make_path(db_session, world, "Cyber")
    a, b = make_bricks(db_session, world, "a", "b", learning_path_id=path.id, now=NOW)

    changed = bulk.assign_bricks(
        db_session, world.academy, [a.number, b.number], actor=world.manager, now=LATER,
        learning_path_id=None,
    )  # fmt: skip

    assert changed == 2 and (a.learning_path_id, b.learning_path_id) == (None, None)


def test_a_bulk_assignment_never_touches_another_academys_bricks(db_session, world):
    theirs = make_brick(db_session, world.other_academy, "theirs", now=NOW)
    sprint = make_sprint(db_session, world, "S1")

    with pytest.raises(DomainError) as refused:
        scope.assign_bricks(
            db_session, world.academy, [theirs.number], actor=world.manager, now=LATER,
            sprint_id=sprint.id,
        )  # fmt: skip
    assert refused.value.field == "bricks"
    assert theirs.sprint_id is None


def test_a_bulk_assignment_checks_the_references_like_the_form(db_session, world):
    (brick,) = make_bricks(db_session, world, "a", now=NOW)
    foreign = make_sprint(db_session, world.other_academy, "Theirs")

    with pytest.raises(DomainError) as refused:
        scope.assign_bricks(
            db_session, world.academy, [brick.number], actor=world.manager, now=LATER,
            sprint_id=foreign.id,
        )  # fmt: skip
    # The sprint goes through the scope rule (sprints.scope), which names the bulk bar's field.
    assert refused.value.field == "sprint" and brick.sprint_id is None


def test_a_bulk_assignment_needs_something_to_assign_and_never_the_stage(db_session, world):
    (brick,) = make_bricks(db_session, world, "a", now=NOW)

    with pytest.raises(DomainError):
        bulk.assign_bricks(db_session, world.academy, [brick.number], actor=None, now=LATER)
    with pytest.raises(TypeError):
        bulk.assign_bricks(
            db_session, world.academy, [brick.number], actor=None, now=LATER,
            stage_id=stage_named(world, "Design").id,
        )  # fmt: skip


# -- Deleting and commenting ---------------------------------------------------------------------


def test_deleting_a_brick_keeps_its_history_with_the_number(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    services.add_comment(db_session, brick, author=world.designer, body="Nice", now=NOW)
    brick_id, number = brick.id, brick.number

    services.delete_brick(db_session, brick, actor=world.manager, now=LATER)

    assert db_session.get(Brick, brick_id) is None
    assert db_session.scalars(select(Comment).where(Comment.brick_id == brick_id)).all() == []
    assert (
        db_session.scalars(select(ChecklistItem).where(ChecklistItem.brick_id == brick_id)).all()
        == []
    )
    deleted = db_session.scalars(
        select(Activity).where(
            Activity.academy_id == world.academy.id, Activity.kind == ActivityKind.DELETED
        )
    ).one()
    assert (deleted.brick_number, deleted.changes, deleted.at) == (
        number, {"title": ["Quiz", None]}, LATER,
    )  # fmt: skip


def test_a_deleted_number_is_never_given_again(db_session, world):
    first = make_brick(db_session, world, "Quiz", now=NOW)
    services.delete_brick(db_session, first, actor=world.manager, now=NOW)

    again = make_brick(db_session, world, "Quiz again", now=NOW)

    assert again.number == 2


def test_a_comment_is_trimmed_and_recorded(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)

    comment = services.add_comment(
        db_session, brick, author=world.tester, body="  **Typo** slide 3 \n", now=LATER
    )

    assert (comment.body, comment.created_at) == ("**Typo** slide 3", LATER)
    last = events(db_session, brick)[-1]
    assert (last.kind, last.changes) == (ActivityKind.COMMENTED, {"comment": [None, comment.id]})


@pytest.mark.parametrize("body", ["", "  \n ", "x" * 20001], ids=["empty", "blank", "long"])
def test_an_empty_or_huge_comment_is_refused(db_session, world, body):
    brick = make_brick(db_session, world, "Quiz", now=NOW)

    with pytest.raises(DomainError) as refused:
        services.add_comment(db_session, brick, author=world.tester, body=body, now=LATER)

    assert refused.value.field == "body"
    assert len(events(db_session, brick)) == 1


# -- Training needs ------------------------------------------------------------------------------


def test_a_submitted_need_is_new_named_after_its_requester_and_recorded(db_session, world):
    need = make_need(
        db_session, world, actor=world.stakeholder, title="  Excel  ", business_unit=" DRH ",
        now=NOW,
    )  # fmt: skip

    assert (need.title, need.business_unit, need.status) == ("Excel", "DRH", NeedStatus.NEW)
    assert need.requester_name == world.stakeholder.display_name
    assert need.created_at == NOW
    (event,) = db_session.scalars(select(NeedEvent).where(NeedEvent.need_id == need.id))
    assert (event.kind, event.to_status, event.actor_id) == (
        NeedEventKind.SUBMITTED, NeedStatus.NEW, world.stakeholder.id,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"business_unit": ""}, "business_unit"),
        ({"criticality": 0}, "criticality"),
        ({"urgency": 6}, "urgency"),
        ({"headcount": -1}, "headcount"),
    ],
)
def test_a_need_is_refused_when_incomplete_or_out_of_range(db_session, world, values, field):
    with pytest.raises(DomainError) as refused:
        make_need(db_session, world, now=NOW, **values)

    assert refused.value.field == field


def test_editing_a_need_records_which_fields_changed_only_when_something_did(db_session, world):
    need = make_need(db_session, world, title="Excel", headcount=10, now=NOW)

    assert not needs_services.update_need(
        db_session, need, actor=world.manager, now=LATER, title=" Excel "
    )
    assert needs_services.update_need(
        db_session, need, actor=world.manager, now=LATER, headcount=50, urgency=5
    )
    assert (need.headcount, need.urgency, need.updated_at) == (50, 5, LATER)
    last = needs_services.need_history(db_session, need)[0]
    assert (last.kind, last.note) == (NeedEventKind.EDITED, "headcount, urgency")
    with pytest.raises(TypeError):
        needs_services.update_need(db_session, need, actor=None, now=LATER, status="declined")


def test_declining_a_need_asks_for_a_reason_which_goes_when_it_is_reopened(db_session, world):
    need = make_need(db_session, world, now=NOW)

    with pytest.raises(DomainError) as refused:
        needs_services.change_need_status(
            db_session, need, "declined", actor=world.manager, reason="  ", now=LATER
        )
    assert refused.value.field == "reason" and need.status == NeedStatus.NEW

    assert needs_services.change_need_status(
        db_session, need, "declined", actor=world.manager, reason="Out of scope", now=LATER
    )
    assert not needs_services.change_need_status(
        db_session, need, "declined", actor=world.manager, reason="Out of scope", now=LATER
    )
    assert needs_services.change_need_status(
        db_session, need, NeedStatus.ACCEPTED, actor=world.manager, now=LATER
    )
    assert (need.status, need.decline_reason) == (NeedStatus.ACCEPTED, "")
    statuses = [
        (e.from_status, e.to_status)
        for e in reversed(needs_services.need_history(db_session, need))
        if e.kind == NeedEventKind.STATUS_CHANGED
    ]
    assert statuses == [
        (NeedStatus.NEW, NeedStatus.DECLINED),
        (NeedStatus.DECLINED, NeedStatus.ACCEPTED),
    ]


def test_a_need_links_bricks_of_its_academy_once_and_unlinks_them(db_session, world):
    need = make_need(db_session, world, now=NOW)
    ours = make_brick(db_session, world, "Phishing", now=NOW)
    theirs = make_brick(db_session, world.other_academy, "Theirs", now=NOW)

    assert needs_services.link_brick(db_session, need, ours, actor=world.manager, now=LATER)
    assert not needs_services.link_brick(db_session, need, ours, actor=world.manager, now=LATER)
    with pytest.raises(DomainError) as refused:
        needs_services.link_brick(db_session, need, theirs, actor=world.manager, now=LATER)
    assert refused.value.field == "brick_id"
    assert need.bricks == [ours]

    assert needs_services.unlink_brick(db_session, need, ours, actor=world.manager, now=LATER)
    assert not needs_services.unlink_brick(db_session, need, ours, actor=world.manager, now=LATER)
    kinds = [e.kind for e in needs_services.need_history(db_session, need)]
    assert kinds.count(NeedEventKind.BRICK_LINKED) == kinds.count(NeedEventKind.BRICK_UNLINKED) == 1
    linked = next(
        e
        for e in needs_services.need_history(db_session, need)
        if e.kind == NeedEventKind.BRICK_LINKED
    )
    assert linked.note == f"{world.academy.key_prefix}-{ours.number} Phishing"


def test_deleting_a_brick_unlinks_it_from_its_needs(db_session, world):
    need = make_need(db_session, world, now=NOW)
    brick = make_brick(db_session, world, "Phishing", now=NOW)
    needs_services.link_brick(db_session, need, brick, actor=world.manager, now=NOW)

    services.delete_brick(db_session, brick, actor=world.manager, now=LATER)
    db_session.expire(need, ["bricks"])

    assert need.bricks == []


@pytest.mark.parametrize(
    ("criticality", "urgency", "headcount", "score"),
    [(1, 1, None, 1.0), (1, 1, 0, 1.0), (5, 5, 0, 25.0), (2, 3, 90, 12.0), (1, 1, 9990, 4.0)],
)
def test_the_priority_score_follows_the_stated_formula(criticality, urgency, headcount, score):
    assert needs_services.priority_score(criticality, urgency, headcount) == pytest.approx(score)


def test_needs_are_listed_by_score_then_oldest_first(db_session, world):
    make_need(db_session, world, title="Low", criticality=1, urgency=1, now=NOW)
    make_need(db_session, world, title="Tie new", criticality=3, urgency=3, now=LATER)
    make_need(db_session, world, title="Tie old", criticality=3, urgency=3, now=NOW)
    make_need(db_session, world, title="High", criticality=5, urgency=5, headcount=990, now=NOW)

    listed = needs_services.list_needs(db_session, world.academy)

    assert [s.need.title for s in listed] == ["High", "Tie old", "Tie new", "Low"]
    assert listed[0].score == pytest.approx(75.0)


def test_coverage_groups_needs_per_unit_whatever_the_case(db_session, world):
    brick = make_brick(db_session, world, "Phishing", now=NOW)
    covered = make_need(db_session, world, title="Covered", business_unit="dsi", now=NOW)
    needs_services.link_brick(db_session, covered, brick, actor=None, now=NOW)
    make_need(db_session, world, title="Uncovered", business_unit="DSI ", now=NOW)
    declined = make_need(db_session, world, title="Declined", business_unit="DSI", now=NOW)
    needs_services.change_need_status(
        db_session, declined, "declined", actor=None, reason="No", now=NOW
    )

    (unit,) = needs_services.coverage(db_session, world.academy)

    assert [n.title for n in unit.covered] == ["Covered"]
    assert [n.title for n in unit.uncovered] == ["Uncovered"]
    assert [n.title for n in unit.declined] == ["Declined"]
    assert (unit.open_total, unit.total, unit.share("covered")) == (2, 3, 50.0)


# -- Learning paths ------------------------------------------------------------------------------


def test_a_new_path_goes_last_with_a_colour_of_the_palette(db_session, world):
    first = make_path(db_session, world, "Cyber")
    second = make_path(db_session, world, " Data ", colour=" #0B6E4F ")

    assert (first.position, second.position) == (0, 1)
    assert (second.name, second.colour) == ("Data", "#0b6e4f")


@pytest.mark.parametrize(
    ("name", "colour", "field"),
    [("  ", "#1f4e79", "name"), ("cyber", "#1f4e79", "name"), ("Data", "#ff0000", "colour")],
)
def test_a_path_needs_a_unique_name_and_a_palette_colour(db_session, world, name, colour, field):
    make_path(db_session, world, "Cyber")

    with pytest.raises(DomainError) as refused:
        paths_services.create_path(db_session, world.academy, name=name, colour=colour)

    assert refused.value.field == field
    assert [p.name for p in paths_services.list_paths(db_session, world.academy)] == ["Cyber"]


def test_two_academies_may_use_the_same_path_name(db_session, world):
    make_path(db_session, world, "Cyber")

    assert make_path(db_session, world.other_academy, "Cyber").name == "Cyber"


def test_a_path_may_keep_its_own_name_but_not_take_another(db_session, world):
    cyber = make_path(db_session, world, "Cyber")
    make_path(db_session, world, "Data")

    paths_services.update_path(
        db_session, cyber, name="CYBER", colour="#6a3d9a", description=" Sécurité ",
        target_population="Tous",
    )  # fmt: skip
    assert (cyber.name, cyber.colour, cyber.description) == ("CYBER", "#6a3d9a", "Sécurité")
    with pytest.raises(DomainError):
        paths_services.update_path(
            db_session, cyber, name="data", colour="#6a3d9a", description="", target_population=""
        )


def test_paths_move_up_and_down_but_not_past_the_ends(db_session, world):
    a, _b, c = (make_path(db_session, world, name) for name in ("A", "B", "C"))

    assert not paths_services.move_path(db_session, a, -1)
    assert not paths_services.move_path(db_session, c, +1)
    assert paths_services.move_path(db_session, c, -1)

    names = [p.name for p in paths_services.list_paths(db_session, world.academy)]
    assert names == ["A", "C", "B"]


def test_deleting_a_path_keeps_its_bricks_and_writes_their_history(db_session, world):
    path = make_path(db_session, world, "Cyber")
    a, b = make_bricks(db_session, world, "a", "b", learning_path_id=path.id, now=NOW)
    other = make_brick(db_session, world, "other", now=NOW)
    version = a.version
    path_id = path.id

    assert paths_services.delete_path(db_session, path, actor=world.manager, now=LATER) == 2

    assert db_session.get(LearningPath, path_id) is None
    assert (a.learning_path_id, b.learning_path_id) == (None, None)
    assert a.version == version + 1
    last = events(db_session, a)[-1]
    assert (last.changes, last.actor_id, last.at) == (
        {"learning_path_id": [path_id, None]}, world.manager.id, LATER,
    )  # fmt: skip
    assert len(events(db_session, other)) == 1


def test_a_paths_totals_add_its_bricks_points_and_minutes(db_session, world):
    path = make_path(db_session, world, "Cyber")
    make_brick(db_session, world, "a", learning_path_id=path.id, estimate_points=3,
               learner_minutes=30, now=NOW)  # fmt: skip
    make_brick(db_session, world, "b", learning_path_id=path.id, estimate_points=None,
               learner_minutes=60, now=NOW)  # fmt: skip
    make_brick(db_session, world, "elsewhere", estimate_points=8, now=NOW)

    totals = paths_services.totals_by(db_session, world.academy, Brick.learning_path_id)
    listed = paths_services.totals_of(paths_services.path_bricks(db_session, path))

    assert totals == {path.id: paths_services.Totals(2, 3, 90)}
    assert listed == totals[path.id] and listed.learner_hours == 1.5


def test_a_path_of_another_academy_is_not_found(db_session, world):
    theirs = make_path(db_session, world.other_academy, "Theirs")

    with pytest.raises(DomainError):
        paths_services.get_path(db_session, world.academy, theirs.id)


def test_a_stage_of_another_academy_is_never_a_move_target(db_session, world):
    brick = make_brick(db_session, world, "Quiz", now=NOW)
    theirs: Stage = world.other_academy.stages[1]

    with pytest.raises(DomainError) as refused:
        board.move_brick(
            db_session, brick, theirs, 1, actor=world.manager, expected_version=brick.version,
            now=LATER,
        )  # fmt: skip

    assert refused.value.field == "stage" and brick.stage.academy_id == world.academy.id
