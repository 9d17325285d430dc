"""Triage services: moving items, duplicates, turning an item into a brick, the history."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from tests.factories import add_brick, add_item, add_round, make_release
from tracker.backlog.models import BrickFormat
from tracker.errors import DomainError
from tracker.feedback import triage
from tracker.feedback.models import ItemKind, ItemStatus, Severity

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def round_(db_session, world):
    return add_round(db_session, world.academy)


def test_moving_an_item_records_who_and_when(db_session, world, round_) -> None:
    item = add_item(db_session, round_)

    triage.move_item(db_session, item, "accepted", actor=world.designer, now=NOW)

    assert item.status == ItemStatus.ACCEPTED
    assert item.updated_at == NOW
    [event] = triage.item_history(db_session, [item])[item.id]
    assert (event.actor_id, event.at, event.from_status, event.to_status) == (
        world.designer.id, NOW, ItemStatus.NEW, ItemStatus.ACCEPTED,
    )  # fmt: skip


def test_moving_to_the_same_status_records_nothing(db_session, world, round_) -> None:
    item = add_item(db_session, round_)

    triage.move_item(db_session, item, ItemStatus.NEW, actor=world.manager, now=NOW)

    assert triage.item_history(db_session, [item])[item.id] == []


def test_an_unknown_status_is_refused(db_session, world, round_) -> None:
    item = add_item(db_session, round_)

    with pytest.raises(DomainError) as refused:
        triage.move_item(db_session, item, "shipped", actor=world.manager, now=NOW)

    assert refused.value.field == "status"


def test_a_duplicate_names_its_original_and_leaving_duplicate_forgets_it(
    db_session, world, round_
) -> None:

    original = add_item(db_session, round_)
    item = add_item(db_session, round_)

    triage.move_item(
        db_session, item, "duplicate", actor=world.manager, duplicate_of_id=original.id, now=NOW
    )
    assert (item.status, item.duplicate_of_id) == (ItemStatus.DUPLICATE, original.id)

    triage.move_item(db_session, item, "accepted", actor=world.manager, now=NOW)
    assert (item.status, item.duplicate_of_id) == (ItemStatus.ACCEPTED, None)


@pytest.mark.parametrize("case", ["missing", "itself", "other round", "loop"])
def test_bad_originals_are_refused(db_session, world, round_, case) -> None:
    item = add_item(db_session, round_)
    other = add_item(db_session, round_)
    if case == "missing":
        target = None
    elif case == "itself":
        target = item.id
    elif case == "other round":
        target = add_item(db_session, add_round(db_session, world.academy)).id
    else:
        triage.move_item(
            db_session, other, "duplicate", actor=world.manager, duplicate_of_id=item.id, now=NOW
        )
        target = other.id

    with pytest.raises(DomainError) as refused:
        triage.move_item(
            db_session, item, "duplicate", actor=world.manager, duplicate_of_id=target, now=NOW
        )

    assert refused.value.field == "duplicate_of"
    assert item.status == ItemStatus.NEW


def test_filters_and_board_columns(db_session, world) -> None:
    release = make_release(db_session, world.academy)
    round_ = add_round(db_session, world.academy, release)
    brick = add_brick(db_session, world.academy, release)
    minor = add_item(db_session, round_, severity=Severity.MINOR, brick=brick)
    blocking = add_item(db_session, round_, severity=Severity.BLOCKING, brick=brick)
    idea = add_item(db_session, round_, kind=ItemKind.IDEA, status=ItemStatus.PLANNED)

    everything = triage.list_items(db_session, round_)
    columns = triage.board(everything)

    assert [i.id for i in columns[ItemStatus.NEW]] == [blocking.id, minor.id]  # blocking first
    assert [i.id for i in columns[ItemStatus.PLANNED]] == [idea.id]
    assert list(columns) == list(triage.STATUSES)
    on_brick = triage.list_items(db_session, round_, triage.ItemFilters(brick_id=brick.id))
    assert {i.id for i in on_brick} == {minor.id, blocking.id}
    ideas = triage.list_items(db_session, round_, triage.ItemFilters(kind=ItemKind.IDEA))
    assert [i.id for i in ideas] == [idea.id]
    worst = triage.list_items(db_session, round_, triage.ItemFilters(severity=Severity.BLOCKING))
    assert [i.id for i in worst] == [blocking.id]


def test_turning_an_item_into_a_brick_links_both_ways(db_session, world, round_) -> None:
    item = add_item(
        db_session,
        round_,
        title="Slide 4 is unreadable",
        description="White text on yellow.\nOn a phone too.",
        location="slide 4",
    )

    with force_locale("en"):
        brick = triage.create_brick_from_item(
            db_session,
            world.academy,
            round_,
            item,
            actor=world.designer,
            title="Fix slide 4 contrast",
            format=BrickFormat.MICRO_LEARNING,
            item_url="http://brique.test/a/x/rounds/1/triage#item-1",
            now=NOW,
        )

    assert item.created_brick_id == brick.id
    assert item.status == ItemStatus.PLANNED
    assert brick.title == "Fix slide 4 contrast"
    assert f"From feedback item #{item.id} of the round {round_.title}:" in brick.description
    assert "> Slide 4 is unreadable" in brick.description
    assert "> White text on yellow." in brick.description
    assert "(http://brique.test/a/x/rounds/1/triage#item-1)" in brick.description
    assert [i.id for i, _ in triage.items_of_brick(db_session, brick)] == [item.id]
    [event] = triage.item_history(db_session, [item])[item.id]
    assert event.note == brick.key


def test_an_item_becomes_a_brick_only_once(db_session, world, round_) -> None:
    item = add_item(db_session, round_)
    arguments = {"actor": world.manager, "title": "Once", "format": "video", "item_url": "x"}
    triage.create_brick_from_item(db_session, world.academy, round_, item, **arguments, now=NOW)

    with pytest.raises(DomainError):
        triage.create_brick_from_item(db_session, world.academy, round_, item, **arguments, now=NOW)


def test_a_done_item_keeps_its_status_when_turned_into_a_brick(db_session, world, round_) -> None:
    item = add_item(db_session, round_, status=ItemStatus.DONE)

    triage.create_brick_from_item(
        db_session, world.academy, round_, item,
        actor=world.manager, title="Follow-up", format="video", item_url="http://x/",
        now=NOW,
    )  # fmt: skip

    assert item.status == ItemStatus.DONE


def test_a_bad_format_is_refused_on_its_field(db_session, world, round_) -> None:
    item = add_item(db_session, round_)

    with pytest.raises(DomainError) as refused:
        triage.create_brick_from_item(
            db_session, world.academy, round_, item,
            actor=world.manager, title="X", format="hologram", item_url="http://x/",
            now=NOW,
        )  # fmt: skip

    assert refused.value.field == "format"
    assert item.created_brick_id is None
