"""Board stages: add, rename, reorder, remove with a destination for the cards, WIP settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import make_brick, stage_named
from tracker.academies.models import Stage, StageCategory, WipPolicy
from tracker.academies.services import list_stages
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.board import stages as services
from tracker.errors import DomainError

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)


def names(db_session, world) -> list[str]:
    return [s.name for s in list_stages(db_session, world.academy)]


def url(world, suffix: str = "") -> str:
    return f"/a/{world.academy.slug}/stages{suffix}"


# -- Services ------------------------------------------------------------------------------------


def test_a_new_stage_goes_last_with_its_settings(db_session, world):
    added = services.add_stage(db_session, world.academy, name="  Beta  test ", category="review",
                               wip_limit=4, wip_policy="block")  # fmt: skip

    assert names(db_session, world)[-1] == "Beta test"
    assert (added.category, added.wip_limit, added.wip_policy) == (
        StageCategory.REVIEW, 4, WipPolicy.BLOCK,
    )  # fmt: skip
    assert [s.position for s in list_stages(db_session, world.academy)] == list(range(7))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": "DESIGN"}, "name"),  # taken, whatever the case
        ({"category": "finished"}, "category"),
        ({"wip_policy": "shout"}, "wip_policy"),
        ({"wip_limit": 0}, "wip_limit"),
    ],
)
def test_bad_stages_are_refused_on_their_field(db_session, world, values, field):
    with pytest.raises(DomainError) as refused:
        services.add_stage(db_session, world.academy, **{"name": "QA", **values})

    assert refused.value.field == field


def test_names_are_unique_per_academy_only(db_session, world):
    services.add_stage(db_session, world.other_academy, name="QA")

    assert services.add_stage(db_session, world.academy, name="QA").name == "QA"


def test_rename_and_set_a_wip_limit_lower_than_the_cards_held(db_session, world):
    design = stage_named(world, "Design")
    for n in range(3):
        make_brick(db_session, world, f"B{n}", stage_id=design.id)

    services.update_stage(db_session, design, name="Storyboard", category="active", wip_limit=2,
                          wip_policy="block")  # fmt: skip

    assert (design.name, design.wip_limit, design.wip_policy) == ("Storyboard", 2, WipPolicy.BLOCK)
    with pytest.raises(DomainError):  # keeping its own name is fine, taking another's is not
        services.update_stage(db_session, design, name="analysis", category="active",
                              wip_limit=None, wip_policy="warn")  # fmt: skip


def test_reorder_left_and_right_stops_at_the_ends(db_session, world):
    design = stage_named(world, "Design")

    assert services.move_stage(db_session, design, -1)
    assert not services.move_stage(db_session, stage_named(world, "Backlog"), -1)
    assert not services.move_stage(db_session, stage_named(world, "Ready"), 1)

    assert names(db_session, world)[:3] == ["Backlog", "Design", "Analysis"]


def test_removing_a_stage_sends_its_cards_where_the_manager_says(db_session, world):
    design, production = stage_named(world, "Design"), stage_named(world, "Production")
    cards = [make_brick(db_session, world, f"B{n}", stage_id=design.id) for n in range(2)]
    versions = [b.version for b in cards]

    moved = services.remove_stage(db_session, design, destination=production, actor=world.manager,
                          now=NOW)  # fmt: skip

    assert moved == 2 and "Design" not in names(db_session, world)
    for b, version in zip(cards, versions, strict=True):
        assert (b.stage_id, b.version) == (production.id, version + 1)
    events = db_session.scalars(
        select(Activity).where(
            Activity.brick_id.in_([b.id for b in cards]), Activity.kind == ActivityKind.MOVED
        )
    ).all()
    assert len(events) == 2
    assert all(e.stage_id == production.id and e.actor_id == world.manager.id for e in events)
    assert all(e.at == NOW for e in events) and all(b.stage_entered_at == NOW for b in cards)
    assert [s.position for s in list_stages(db_session, world.academy)] == list(range(5))


def test_a_stage_with_cards_needs_a_destination_of_the_same_academy(db_session, world):
    design = stage_named(world, "Design")
    make_brick(db_session, world, "B", stage_id=design.id)

    with pytest.raises(DomainError) as missing:
        services.remove_stage(db_session, design, destination=None, actor=world.manager, now=NOW)
    with pytest.raises(DomainError) as foreign:
        services.remove_stage(db_session, design, destination=world.other_academy.stages[0],
                              actor=world.manager, now=NOW)  # fmt: skip
    with pytest.raises(DomainError) as itself:
        services.remove_stage(db_session, design, destination=design, actor=world.manager, now=NOW)

    assert missing.value.field == foreign.value.field == itself.value.field == "destination"
    assert "Design" in names(db_session, world)


def test_an_empty_stage_goes_without_a_destination_but_the_last_stage_stays(db_session, world):
    for s in list(list_stages(db_session, world.academy))[1:]:
        services.remove_stage(db_session, s, destination=None, actor=world.manager, now=NOW)

    with pytest.raises(DomainError):
        services.remove_stage(db_session, stage_named(world, "Backlog"), destination=None,
                              actor=world.manager, now=NOW)  # fmt: skip

    assert names(db_session, world) == ["Backlog"]


def test_the_destination_rules_apply_to_a_removal(db_session, world):
    design, production, ready = (
        stage_named(world, "Design"),
        stage_named(world, "Production"),
        stage_named(world, "Ready"),
    )
    make_brick(db_session, world, "B1", stage_id=design.id)
    make_brick(db_session, world, "B2", stage_id=design.id)
    production.wip_limit, production.wip_policy = 1, WipPolicy.BLOCK

    with pytest.raises(DomainError) as full:
        services.remove_stage(db_session, design, destination=production, actor=world.manager,
                          now=NOW)  # fmt: skip
    with pytest.raises(DomainError) as unfinished:
        services.remove_stage(db_session, design, destination=ready, actor=world.manager, now=NOW)

    assert "limit is 1" in full.value.message
    assert "definition of done" in unfinished.value.message


# -- Pages ---------------------------------------------------------------------------------------


def test_the_page_lists_stages_with_their_cards_and_limits(client, db_session, world, login):
    design = stage_named(world, "Design")
    design.wip_limit, design.wip_policy = 1, WipPolicy.BLOCK
    make_brick(db_session, world, "B1", stage_id=design.id)
    make_brick(db_session, world, "B2", stage_id=design.id)
    login(world.manager)

    html = client.get(url(world)).get_data(as_text=True)

    row = re.search(rf'<tr id="stage-{design.id}">.*?</tr>', html, re.S).group(0)
    assert ">2</td>" in row and "1 · Block" in row and "Over its limit" in row
    assert 'name="name"' in html  # the add form


def test_adding_a_taken_name_keeps_the_form_with_the_error_beside_the_name(
    client, db_session, world, login
):
    login(world.manager)

    response = client.post(
        url(world, "/new"),
        data={"name": "design", "category": "review", "wip_limit": "3", "wip_policy": "block"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="name-error">Another stage already has this name', html)
    assert 'value="design"' in html and 'value="3"' in html


def test_add_edit_and_move_through_the_pages(client, db_session, world, login):
    login(world.manager)

    added = client.post(
        url(world, "/new"),
        data={"name": "QA", "category": "review", "wip_limit": "", "wip_policy": "warn"},
    )
    qa = db_session.scalar(select(Stage).where(Stage.academy_id == world.academy.id,
                                               Stage.name == "QA"))  # fmt: skip
    edit_page = client.get(url(world, f"/{qa.id}/edit"))
    quality = {"name": "Quality", "category": "review", "wip_policy": "block"}
    edited = client.post(url(world, f"/{qa.id}/edit"), data={**quality, "wip_limit": "2"})
    bad = client.post(url(world, f"/{qa.id}/edit"), data={**quality, "wip_limit": "0"})
    moved = client.post(url(world, f"/{qa.id}/move"), data={"direction": "up"})

    assert added.status_code == edited.status_code == moved.status_code == 303
    assert edit_page.status_code == 200 and 'value="QA"' in edit_page.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="wip_limit-error"' in bad.get_data(as_text=True)
    assert (qa.name, qa.wip_limit, qa.wip_policy) == ("Quality", 2, WipPolicy.BLOCK)
    assert names(db_session, world)[-2:] == ["Quality", "Ready"]


def test_removing_through_the_page_asks_where_the_cards_go(client, db_session, world, login):
    design, production = stage_named(world, "Design"), stage_named(world, "Production")
    b = make_brick(db_session, world, "B", stage_id=design.id)
    login(world.manager)

    page = client.get(url(world, f"/{design.id}/remove"))
    refused = client.post(url(world, f"/{design.id}/remove"), data={"destination": ""})
    done = client.post(url(world, f"/{design.id}/remove"),
                       data={"destination": str(production.id)})  # fmt: skip

    assert "This stage holds 1 card." in page.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="destination-error">Choose the stage that receives its card\.',
                     refused.get_data(as_text=True))  # fmt: skip
    assert done.status_code == 303
    assert db_session.get(Brick, b.id).stage_id == production.id
    assert "Design" not in names(db_session, world)
