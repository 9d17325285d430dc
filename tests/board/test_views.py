"""The board page: columns, cards, filters, swimlanes, WIP display, moves (JSON and form), speed."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from tests.factories import make_brick, stage_named
from tracker.academies.models import StageCategory, WipPolicy
from tracker.academies.services import list_stages
from tracker.backlog.checklists import tick_checklist_item
from tracker.backlog.models import Activity, ActivityKind, Brick, BrickFormat, ChecklistItem
from tracker.backlog.paths_services import create_path
from tracker.backlog.ranking import STEP
from tracker.board import services as board_services
from tracker.board.presenting import RenderedCards, avatar_colour, initials, rendered_cards
from tracker.board.queries import DONE_SHOWN, BoardFilters, load_board
from tracker.board.views import RenderedBoards, rendered_boards
from tracker.db import utcnow
from tracker.sprints.models import Sprint, SprintState
from tracker.sprints.services import create_sprint
from tracker.webhooks import services as webhooks


def url(world, query: str = "") -> str:
    return f"/a/{world.academy.slug}/board{query}"


def column(html: str, stage_id: int) -> list[int]:
    """The card numbers drawn in a stage's column(s), top to bottom."""
    blocks = re.findall(rf'<ol class="cards" data-stage="{stage_id}"[^>]*>(.*?)</ol>', html, re.S)
    return [int(n) for block in blocks for n in re.findall(r'data-n="(\d+)"', block)]


def head(html: str, stage_id: int) -> str:
    found = re.search(
        rf'<div class="column-head[^"]*" data-stage="{stage_id}".*?</div>', html, re.S
    )
    assert found, f"no head for stage {stage_id}"
    return found.group(0)


def card(html: str, number: int) -> str:
    found = re.search(rf'<li class="board-card" id="card-{number}".*?</li>', html, re.S)
    assert found, f"no card {number}"
    return found.group(0)


def move_json(client, world, payload):
    return client.post(f"/a/{world.academy.slug}/board/move", json=payload,
                       headers={"Accept": "application/json"})  # fmt: skip


# -- Drawing the board ---------------------------------------------------------------------------


def test_one_column_per_stage_with_its_cards_in_rank_order(client, db_session, world, login):
    design = stage_named(world, "Design")
    a = make_brick(db_session, world, "A", format="mooc", stage_id=design.id)
    b = make_brick(db_session, world, "B", format="mooc")
    c = make_brick(db_session, world, "C", format="mooc", stage_id=design.id)
    board_services.move_brick(db_session, c, design, 1, actor=world.manager,
                              expected_version=c.version, now=utcnow())  # fmt: skip
    login(world.designer)

    html = client.get(url(world)).get_data(as_text=True)

    titles = re.findall(r'<h2 class="column-title"[^>]*>([^<]+)</h2>', html)
    assert titles == [s.name for s in world.academy.stages]
    assert column(html, design.id) == [c.number, a.number]
    assert column(html, stage_named(world, "Backlog").id) == [b.number]


def test_a_card_shows_what_a_dlm_looks_for(client, db_session, world, login):
    path = create_path(db_session, world.academy, name="Data & IA", colour="#0b6e4f")
    b = make_brick(
        db_session,
        world,
        "Cyber <basics>",
        format="mooc",
        learner_minutes=90,
        estimate_points=5,
        owner_id=world.designer.id,
        learning_path_id=path.id,
    )
    tick_checklist_item(
        db_session, b, b.checklist[0], done=True, actor=world.designer, now=utcnow()
    )
    # Noon, three calendar days ago in the reader's zone (Paris): 3 days at any hour of the run.
    paris = ZoneInfo("Europe/Paris")
    noon = dt.datetime.combine(dt.datetime.now(paris).date(), dt.time(12), tzinfo=paris)
    b.stage_entered_at = (noon - dt.timedelta(days=3)).astimezone(dt.UTC)
    db_session.flush()
    login(world.manager)

    html = card(client.get(url(world)).get_data(as_text=True), b.number)

    assert f"<code>{world.academy.key_prefix}-{b.number}</code> Cyber &lt;basics&gt;" in html
    assert "MOOC · 1 h 30 · 5 pts" in html
    assert "Dan Designer" in html
    assert '<span class="path-badge path-colour-1">Data &amp; IA</span>' in html
    assert f"</span>1/{len(b.checklist)}</span>" in html  # partly done: no tick
    assert "✓" not in html
    assert 'class="avatar avatar-' in html and ">DD</span>" in html  # Dan Designer's initials
    assert "3 days" in html
    assert "style=" not in html
    assert f'href="/a/{world.academy.slug}/board/{b.number}/move"' in html


def test_a_finished_checklist_has_a_tick_and_a_card_without_owner_says_nobody(
    client, db_session, world, login
):
    b = make_brick(db_session, world, "Finished", format="video")
    for item in b.checklist:
        tick_checklist_item(db_session, b, item, done=True, actor=world.manager, now=utcnow())
    login(world.manager)

    html = card(client.get(url(world)).get_data(as_text=True), b.number)

    assert f"✓ {len(b.checklist)}/{len(b.checklist)}</span>" in html
    assert 'class="card-dod is-complete"' in html
    assert 'class="avatar avatar-none"' in html and "Nobody" in html


def test_the_move_control_is_a_small_labelled_link_to_the_move_form(
    client, db_session, world, login
):
    b = make_brick(db_session, world, "Movable", format="video")
    login(world.designer)

    html = card(client.get(url(world, "?format=video")).get_data(as_text=True), b.number)

    move = re.search(r'<a class="card-move"[^>]*>.*?</a>', html, re.S)
    assert move, html
    assert f'href="/a/{world.academy.slug}/board/{b.number}/move?format=video"' in move.group(0)
    assert f'<span class="visually-hidden">Move… {world.academy.key_prefix}-{b.number}</span>' in (
        move.group(0)
    )
    assert 'title="Move…"' in move.group(0)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Sophie Rosier", "SR"), ("Karim", "KA"), ("Jean-Marc Dupont", "JD"), ("— ?", "?"),
     ("élodie de la Tour", "ÉT")],
)  # fmt: skip
def test_initials_of_a_name(name, expected):
    assert initials(name) == expected


def test_a_name_has_the_same_avatar_colour_every_time():
    assert avatar_colour("Sophie Rosier") == avatar_colour("Sophie Rosier")
    assert {avatar_colour(n) for n in ("Ann", "Bob", "Cyd", "Dan", "Eve", "Fay")} != {0}


def test_the_column_head_shows_count_points_and_an_over_limit_state(
    client, db_session, world, login
):
    design = stage_named(world, "Design")
    design.wip_limit, design.wip_policy = 2, WipPolicy.WARN
    production = stage_named(world, "Production")
    production.wip_limit = 5
    for n in range(3):
        make_brick(db_session, world, f"D{n}", format="mooc", stage_id=design.id, estimate_points=2)
    make_brick(db_session, world, "P", format="mooc", stage_id=production.id, estimate_points=1)
    login(world.designer)

    html = client.get(url(world)).get_data(as_text=True)

    over, fine = head(html, design.id), head(html, production.id)
    assert 'class="column-head is-over"' in over and "Over its limit" in over
    assert "<span data-count>3</span>" in over and "<span data-points>6</span>" in over
    assert "WIP <span data-total>3</span>/2" in over
    assert "is-over" not in fine and "<span data-total>1</span>/5" in fine


def test_the_active_sprint_is_shown_by_default_and_all_on_demand(client, db_session, world, login):
    active = create_sprint(db_session, world.academy, name="Sprint 2")
    planned = create_sprint(db_session, world.academy, name="Sprint 3")
    in_sprint = make_brick(db_session, world, "In", format="mooc", sprint_id=active.id)
    active.state = SprintState.ACTIVE
    later = make_brick(db_session, world, "Later", format="mooc", sprint_id=planned.id)
    loose = make_brick(db_session, world, "Loose", format="mooc")
    backlog = stage_named(world, "Backlog").id
    login(world.manager)

    default = client.get(url(world)).get_data(as_text=True)
    everything = client.get(url(world, "?sprint=all")).get_data(as_text=True)
    none = client.get(url(world, "?sprint=none")).get_data(as_text=True)
    other = client.get(url(world, f"?sprint={planned.id}")).get_data(as_text=True)

    assert column(default, backlog) == [in_sprint.number]
    assert "Current sprint (Sprint 2)" in default
    assert column(everything, backlog) == [in_sprint.number, later.number, loose.number]
    assert column(none, backlog) == [loose.number]
    assert column(other, backlog) == [later.number]
    # The filter travels with the card links, so a move comes back to the same view.
    assert f"/board/{later.number}/move?sprint={planned.id}" in other


def test_filters_by_owner_format_and_path_and_a_stale_value_is_ignored(
    client, db_session, world, login
):
    path = create_path(db_session, world.academy, name="Onboarding")
    mine = make_brick(db_session, world, "Mine", owner_id=world.designer.id, format="video")
    pathed = make_brick(db_session, world, "Pathed", format="mooc", learning_path_id=path.id)
    nobody = make_brick(db_session, world, "Nobody's", format="mooc")
    backlog = stage_named(world, "Backlog").id
    login(world.designer)

    def shown(query: str) -> list[int]:
        return column(client.get(url(world, query)).get_data(as_text=True), backlog)

    assert shown(f"?owner={world.designer.id}") == [mine.number]
    assert shown("?owner=none") == [pathed.number, nobody.number]
    assert shown("?format=video") == [mine.number]
    assert shown(f"?path={path.id}") == [pathed.number]
    assert shown("?path=none&format=mooc") == [nobody.number]
    assert shown("?owner=99999&format=nonsense") == [mine.number, pathed.number, nobody.number]


def test_swimlanes_by_learning_path_keep_the_filters_in_their_links(
    client, db_session, world, login
):
    first = create_path(db_session, world.academy, name="Alpha path", colour="#6a3d9a")
    second = create_path(db_session, world.academy, name="Beta path")
    a = make_brick(db_session, world, "A", format="mooc", learning_path_id=second.id)
    b = make_brick(db_session, world, "B", format="mooc", learning_path_id=first.id)
    c = make_brick(db_session, world, "C", format="mooc")
    login(world.manager)

    html = client.get(url(world, "?lanes=path&format=mooc")).get_data(as_text=True)

    lanes = re.findall(r'<h2 class="lane-title"[^>]*>(.*?)<small>', html, re.S)
    assert [re.sub(r"<[^>]+>", "", lane).strip() for lane in lanes] == [
        "Alpha path", "Beta path", "No learning path",
    ]  # fmt: skip
    backlog = stage_named(world, "Backlog").id
    assert re.findall(rf'data-stage="{backlog}" data-lane="(\d+)"', html) == [
        str(first.id), str(second.id), "0",
    ]  # fmt: skip
    assert column(html, backlog) == [b.number, a.number, c.number]
    assert "path-colour-2" in html  # the lane's colour
    assert 'name="lanes" value="path"' in html  # the filter form keeps the lanes
    assert "/move?format=mooc&amp;lanes=path" in html
    assert f'href="/a/{world.academy.slug}/board?format=mooc">Hide the swimlanes' in html


def test_a_done_column_shows_its_latest_cards_and_all_on_demand(client, db_session, world, login):
    ready = stage_named(world, "Ready")
    now = dt.datetime.now(dt.UTC)
    total = DONE_SHOWN + 5
    first = world.academy.brick_counter + 1
    db_session.execute(
        insert(Brick),
        [
            {"academy_id": world.academy.id, "number": first + n, "title": f"Done {n}",
             "format": BrickFormat.VIDEO, "rank": (n + 1) * STEP, "stage_id": ready.id,
             "stage_entered_at": now - dt.timedelta(days=n), "version": 1}
            for n in range(total)
        ],
    )  # fmt: skip
    world.academy.brick_counter = first + total - 1
    db_session.flush()
    login(world.manager)

    collapsed = client.get(url(world)).get_data(as_text=True)
    everything = client.get(url(world, "?done=all")).get_data(as_text=True)

    shown = column(collapsed, ready.id)
    assert len(shown) == DONE_SHOWN
    assert set(shown) == {first + n for n in range(DONE_SHOWN)}  # the latest finished
    assert "5 older done cards not shown." in collapsed
    assert f'href="/a/{world.academy.slug}/board?done=all">Show all done' in collapsed
    assert "<span data-count>55</span>" in head(collapsed, ready.id)
    assert len(column(everything, ready.id)) == total


def test_any_change_shows_on_the_next_load(client, db_session, world, login):
    b = make_brick(db_session, world, "Quiz", format="mooc", owner_id=world.designer.id)
    login(world.manager)
    before = card(client.get(url(world)).get_data(as_text=True), b.number)

    tick_checklist_item(db_session, b, b.checklist[0], done=True, actor=world.manager, now=utcnow())
    world.designer.display_name = "Dana Designer"
    db_session.flush()
    after = card(client.get(url(world)).get_data(as_text=True), b.number)

    assert "</span>0/" in before and "Dan Designer" in before
    assert "</span>1/" in after and "Dana Designer" in after


def test_builders_get_the_move_controls_and_only_managers_the_override_and_stages(
    client, db_session, world, login
):
    make_brick(db_session, world, "A", format="mooc")
    login(world.designer)
    designer = client.get(url(world)).get_data(as_text=True)
    client.post("/logout")
    login(world.manager)
    manager = client.get(url(world)).get_data(as_text=True)

    for html in (designer, manager):
        assert "js/board.js" in html and 'id="move-dialog"' in html and "card-move" in html
        assert 'name="csrf-token"' in html
    assert 'name="override_reason"' not in designer and 'name="override_reason"' in manager
    assert "/stages" not in designer and f'/a/{world.academy.slug}/stages"' in manager
    assert manager.count('id="move-dialog"') == 1


# -- Moving by JSON (drag and drop) --------------------------------------------------------------


def test_a_drop_moves_the_card_after_its_neighbour_and_answers_the_new_state(
    client, db_session, world, login
):
    design = stage_named(world, "Design")
    a = make_brick(db_session, world, "A", format="mooc", stage_id=design.id)
    b = make_brick(db_session, world, "B", format="mooc", stage_id=design.id)
    x = make_brick(db_session, world, "X", format="mooc")
    login(world.designer)

    response = move_json(client, world, {"brick": x.number, "version": x.version,
                                         "stage": design.id, "after": a.number})  # fmt: skip

    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["stage"], data["position"], data["version"]) == (design.id, 2, x.version)
    assert data["totals"] == {str(design.id): 3}
    assert data["message"] == f"{x.key} moved to Design."
    html = client.get(url(world)).get_data(as_text=True)
    assert column(html, design.id) == [a.number, x.number, b.number]


def test_a_drop_on_a_filtered_board_lands_next_to_the_visible_neighbour(
    client, db_session, world, login
):
    design = stage_named(world, "Design")
    a = make_brick(db_session, world, "A", stage_id=design.id, format="video")
    hidden = make_brick(db_session, world, "Hidden", format="mooc", stage_id=design.id)
    b = make_brick(db_session, world, "B", stage_id=design.id, format="video")
    login(world.designer)

    # On ?format=video the person sees A, B and drops B above A ("before": A).
    response = move_json(client, world, {"brick": b.number, "version": b.version,
                                         "stage": design.id, "before": a.number})  # fmt: skip

    assert response.status_code == 200
    everything = client.get(url(world)).get_data(as_text=True)
    assert column(everything, design.id) == [b.number, a.number, hidden.number]


def test_a_stale_version_gets_409_with_where_the_card_really_is(client, db_session, world, login):
    design, production = stage_named(world, "Design"), stage_named(world, "Production")
    x = make_brick(db_session, world, "X", format="mooc")
    seen = x.version
    board_services.move_brick(db_session, x, production, 1, actor=world.manager,
                              expected_version=seen, now=utcnow())  # fmt: skip
    login(world.designer)

    response = move_json(client, world, {"brick": x.number, "version": seen, "stage": design.id})

    assert response.status_code == 409
    data = response.get_json()
    assert data["code"] == "conflict"
    assert "since you loaded the board" in data["detail"]
    assert data["card"] == {"brick": x.number, "stage": production.id, "position": 1,
                            "version": x.version}  # fmt: skip
    assert db_session.get(Brick, x.id).stage_id == production.id


def test_a_full_blocking_column_refuses_the_drop_on_the_server(client, db_session, world, login):
    design = stage_named(world, "Design")
    design.wip_limit, design.wip_policy = 1, WipPolicy.BLOCK
    make_brick(db_session, world, "In", format="mooc", stage_id=design.id)
    x = make_brick(db_session, world, "X", format="mooc")
    login(world.designer)

    response = move_json(client, world, {"brick": x.number, "version": x.version,
                                         "stage": design.id})  # fmt: skip

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "urn:brique:problem:wip_limit", "title": "Unprocessable Entity",
        "status": 422, "code": "wip_limit",
        "detail": "Design is full: its limit is 1 card. Move it out first.",
    }  # fmt: skip
    assert db_session.get(Brick, x.id).stage_id == stage_named(world, "Backlog").id


def test_done_with_an_incomplete_checklist_is_422_and_a_manager_may_override(
    client, db_session, world, login
):
    ready = stage_named(world, "Ready")
    x = make_brick(
        db_session, world, "X", format="mooc", stage_id=stage_named(world, "Review (alpha)").id
    )
    login(world.designer)
    payload = {"brick": x.number, "version": x.version, "stage": ready.id}

    refused = move_json(client, world, payload)
    designer_override = move_json(client, world, {**payload, "override_reason": "Trust me"})
    client.post("/logout")
    login(world.manager)
    offered = move_json(client, world, payload)
    overridden = move_json(client, world, {**payload, "override_reason": "Signed off by HR"})

    assert refused.status_code == 422
    assert refused.get_json()["code"] == "definition_of_done"
    assert refused.get_json()["can_override"] is False
    assert designer_override.status_code == 422
    assert offered.get_json()["can_override"] is True
    assert overridden.status_code == 200
    note = db_session.scalar(
        select(Activity.note).where(Activity.brick_id == x.id, Activity.kind == ActivityKind.MOVED)
    )
    assert note == "Signed off by HR"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ("not json", 400),
        ({"brick": "x", "version": 1, "stage": 1}, 400),
        ({"brick": 1, "version": True, "stage": 1}, 400),
        ({"brick": 1, "stage": 1}, 400),
        ({"brick": 10**12, "version": 1, "stage": 1}, 400),
        ({"brick": 1, "version": 1, "stage": 1, "override_reason": 5}, 400),
        ({"brick": 999, "version": 1, "stage": "STAGE"}, 404),
        ({"brick": "BRICK", "version": 1, "stage": "FOREIGN"}, 404),
    ],
)
def test_bad_json_gets_a_json_error_not_a_500(client, db_session, world, login, payload, status):
    x = make_brick(db_session, world, "X", format="mooc")
    foreign = world.other_academy.stages[0].id
    design = stage_named(world, "Design").id
    if isinstance(payload, dict):
        payload = {
            k: {"STAGE": design, "FOREIGN": foreign, "BRICK": x.number}.get(v, v)
            if isinstance(v, str) else v
            for k, v in payload.items()
        }  # fmt: skip
    login(world.designer)

    if isinstance(payload, str):
        response = client.post(url(world, "/move"), data=payload, csrf=False, headers={
            "Content-Type": "application/json", "X-CSRFToken": client._csrf_token()})  # fmt: skip
    else:
        response = move_json(client, world, payload)

    assert response.status_code == status
    assert response.get_json()["detail"]


def test_a_json_move_without_the_csrf_token_is_refused(client, db_session, world, login):
    x = make_brick(db_session, world, "X", format="mooc")
    login(world.designer)

    response = client.post(url(world, "/move"), csrf=False, headers={"Accept": "application/json"},
                           json={"brick": x.number, "version": x.version,
                                 "stage": stage_named(world, "Design").id})  # fmt: skip

    assert response.status_code == 400
    assert db_session.get(Brick, x.id).stage_id == stage_named(world, "Backlog").id


# -- Moving by the form (keyboard, no JavaScript) ------------------------------------------------


def move_url(world, b, query: str = "") -> str:
    return f"/a/{world.academy.slug}/board/{b.number}/move{query}"


def test_the_move_form_moves_and_comes_back_to_the_same_board(client, db_session, world, login):
    design = stage_named(world, "Design")
    a = make_brick(db_session, world, "A", format="mooc", stage_id=design.id)
    x = make_brick(db_session, world, "X", format="mooc")
    login(world.designer)

    page = client.get(move_url(world, x, "?sprint=all&lanes=path"))
    response = client.post(move_url(world, x, "?sprint=all&lanes=path"), data={
        "stage": str(design.id), "position": "1", "version": str(x.version)})  # fmt: skip

    assert page.status_code == 200 and "It is in Backlog, at position 1." in page.get_data(True)
    assert response.status_code == 303
    assert (
        response.location == f"/a/{world.academy.slug}/board?sprint=all&lanes=path#card-{x.number}"
    )
    board = client.get(url(world)).get_data(as_text=True)
    assert column(board, design.id) == [x.number, a.number]
    assert f"{x.key} moved to Design." in board


def test_an_empty_position_puts_the_card_at_the_bottom(client, db_session, world, login):
    design = stage_named(world, "Design")
    a = make_brick(db_session, world, "A", format="mooc", stage_id=design.id)
    x = make_brick(db_session, world, "X", format="mooc", stage_id=design.id)
    board_services.move_brick(db_session, x, design, 1, actor=world.manager,
                              expected_version=x.version, now=utcnow())  # fmt: skip
    login(world.designer)

    client.post(move_url(world, x), data={"stage": str(design.id), "position": "",
                                          "version": str(x.version)})  # fmt: skip

    assert column(client.get(url(world)).get_data(as_text=True), design.id) == [a.number, x.number]


def test_a_refused_form_move_says_why_beside_the_field(client, db_session, world, login):
    design = stage_named(world, "Design")
    design.wip_limit, design.wip_policy = 1, WipPolicy.BLOCK
    make_brick(db_session, world, "In", format="mooc", stage_id=design.id)
    x = make_brick(db_session, world, "X", format="mooc")
    login(world.designer)

    response = client.post(move_url(world, x), data={"stage": str(design.id),
                                                     "version": str(x.version)})  # fmt: skip

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="stage-error">Design is full', html)
    assert f'<option selected value="{design.id}">' in html  # what was chosen is kept


def test_a_stale_form_move_says_so_and_offers_the_form_again(client, db_session, world, login):
    production = stage_named(world, "Production")
    x = make_brick(db_session, world, "X", format="mooc")
    seen = x.version
    board_services.move_brick(db_session, x, production, 1, actor=world.manager,
                              expected_version=seen, now=utcnow())  # fmt: skip
    login(world.designer)

    response = client.post(move_url(world, x), data={"stage": str(stage_named(world, "Design").id),
                                                     "version": str(seen)})  # fmt: skip

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "since you loaded the board" in html and "It is now in Production" in html
    assert f'name="version" type="hidden" value="{x.version}"' in html


def test_a_designer_form_move_to_done_shows_the_checklist_message(client, db_session, world, login):
    x = make_brick(
        db_session, world, "X", format="mooc", stage_id=stage_named(world, "Review (alpha)").id
    )
    login(world.designer)

    response = client.post(move_url(world, x), data={
        "stage": str(stage_named(world, "Ready").id), "version": str(x.version),
        "override_reason": "ignored: designers have no such field"})  # fmt: skip

    assert response.status_code == 422
    assert "Its definition of done is not complete" in response.get_data(as_text=True)


# -- Size and speed ------------------------------------------------------------------------------


def bulk_bricks(db_session, world, count: int) -> None:
    """`count` bricks over every stage, with owners, paths, sprints and checklists (bulk)."""
    paths = [create_path(db_session, world.academy, name=f"Path {count}-{n}").id for n in range(3)]
    sprint = create_sprint(db_session, world.academy, name=f"Sprint {count}")
    stages = [s.id for s in world.academy.stages]
    first = world.academy.brick_counter + 1
    last_rank = db_session.scalar(
        select(func.max(Brick.rank)).where(Brick.academy_id == world.academy.id)
    )
    now = dt.datetime.now(dt.UTC)
    db_session.execute(
        insert(Brick),
        [
            {"academy_id": world.academy.id, "number": first + n,
             "title": f"Brique numéro {n} : un titre de longueur moyenne",
             "format": list(BrickFormat)[n % 13], "learner_minutes": 15 + n % 100,
             "estimate_points": n % 8, "rank": (last_rank or 0) + (n + 1) * STEP,
             "stage_id": stages[n % len(stages)], "sprint_id": sprint.id if n % 2 else None,
             "learning_path_id": paths[n % 3] if n % 4 else None,
             "owner_id": (world.manager.id, world.designer.id, None)[n % 3],
             "stage_entered_at": now - dt.timedelta(days=n % 30), "version": 1}
            for n in range(count)
        ],
    )  # fmt: skip
    world.academy.brick_counter = first + count - 1
    ids = db_session.scalars(
        select(Brick.id).where(Brick.academy_id == world.academy.id, Brick.number >= first)
    ).all()
    db_session.execute(
        insert(ChecklistItem),
        [{"brick_id": i, "position": p, "label": f"Item {p}", "done": (i + p) % 3 == 0}
         for i in ids for p in range(4)],
    )  # fmt: skip
    db_session.flush()


@pytest.mark.parametrize("query", ["", "?lanes=path&sprint=all", "?owner=none&done=all"])
def test_the_board_runs_as_many_queries_for_1000_bricks_as_for_10(
    client, db_session, world, login, queries, query
):
    login(world.manager)

    def count_for(n: int) -> int:
        bulk_bricks(db_session, world, n)
        db_session.expire_all()
        with queries() as counter:
            response = client.get(url(world, query))
        assert response.status_code == 200
        return counter.count

    few = count_for(10)
    many = count_for(990)  # 1,000 in all

    assert few == many
    assert few <= 13  # 12, and the notification bell's unread count (tracker.workspace)


def test_a_card_weighs_about_one_kilobyte(client, db_session, world, login):
    login(world.manager)
    empty = len(client.get(url(world)).get_data())
    bulk_bricks(db_session, world, 300)

    full = client.get(url(world)).get_data()

    shown = len(re.findall(rb'<li class="board-card"', full))
    per_card = (len(full) - empty) / shown
    assert shown == 300
    assert per_card <= 1024, f"{per_card:.0f} bytes per card"
    print(f"board: {len(full)} bytes for {shown} cards, {per_card:.0f} bytes per card")


def test_the_stages_link_and_the_nav_entry(client, db_session, world, login):
    login(world.designer)
    home = client.get(f"/a/{world.academy.slug}/").get_data(as_text=True)
    client.post("/logout")
    login(world.stakeholder)
    other = client.get(f"/a/{world.academy.slug}/").get_data(as_text=True)

    assert f'href="/a/{world.academy.slug}/board"' in home
    assert f'href="/a/{world.academy.slug}/board"' not in other


def test_a_stage_made_done_collapses_too(db_session, world):
    review = stage_named(world, "Review (alpha)")
    review.category = StageCategory.DONE
    stages = list_stages(db_session, world.academy)

    data = load_board(db_session, world.academy, BoardFilters(), stages)

    assert review.id in data.done_stage_ids


def test_a_sprint_filter_value_of_another_academy_is_ignored(client, db_session, world, login):
    foreign = Sprint(academy_id=world.other_academy.id, name="Elsewhere")
    db_session.add(foreign)
    x = make_brick(db_session, world, "X", format="mooc")
    db_session.flush()
    login(world.manager)

    html = client.get(url(world, f"?sprint={foreign.id}")).get_data(as_text=True)

    assert column(html, stage_named(world, "Backlog").id) == [x.number]


def test_the_rendered_boards_cache_renders_once_per_key_and_forgets_the_oldest():
    cache = RenderedBoards(max_chars=10)
    calls: list[str] = []

    def render(text: str):
        return lambda: calls.append(text) or text

    first = cache.get("a", render("aaaa"))
    again = cache.get("a", render("changed"))
    cache.get("b", render("bbbb"))
    cache.get("c", render("cccc"))  # 12 characters in all: "a" goes
    cache.get("a", render("aaaa"))
    huge = cache.get("d", render("d" * 11))  # larger than the cache: drawn, not kept

    assert (str(first), str(again)) == ("aaaa", "aaaa")
    assert calls == ["aaaa", "bbbb", "cccc", "aaaa", "d" * 11]
    assert str(huge) == "d" * 11 and "d" not in cache._entries


def test_a_move_draws_again_the_card_that_moved_and_no_other(client, db_session, world, login):
    rendered_cards.clear()
    rendered_boards.clear()
    design, build = stage_named(world, "Design"), stage_named(world, "Production")
    bricks = [make_brick(db_session, world, f"B{i}", format="mooc", stage_id=design.id)
              for i in range(5)]  # fmt: skip
    db_session.flush()
    login(world.manager)
    before = client.get(url(world)).get_data(as_text=True)
    drawn = rendered_cards.rendered
    moved = bricks[2]

    answer = move_json(client, world, {"brick": moved.number, "version": moved.version,
                                       "stage": build.id})  # fmt: skip
    after = client.get(url(world)).get_data(as_text=True)

    assert answer.status_code == 200
    assert rendered_cards.rendered == drawn + 1  # the moved card only (its version changed)
    assert moved.number in column(after, build.id)
    assert moved.number not in column(after, design.id)
    for other in (bricks[0], bricks[1], bricks[3], bricks[4]):
        assert card(after, other.number) == card(before, other.number)


def test_the_cards_cache_keeps_at_most_its_size():
    cache = RenderedCards(max_chars=10)
    for n in range(5):
        cache.put(("card", n), "abcd")

    assert len(cache) == 2 and cache.get(("card", 4)) == "abcd" and cache.get(("card", 0)) is None


def test_a_drop_runs_a_fixed_number_of_queries_whatever_the_board(
    client, db_session, world, login, queries
):
    login(world.designer)
    design, production = stage_named(world, "Design"), stage_named(world, "Production")
    anchor = make_brick(db_session, world, "Anchor", format="mooc", stage_id=production.id)
    moving = make_brick(db_session, world, "Moving", format="mooc", stage_id=design.id)

    def count_for(extra: int) -> int:
        db_session.refresh(world.academy)  # its brick counter, bumped in SQL
        bulk_bricks(db_session, world, extra)
        db_session.commit()
        db_session.refresh(moving)
        to = production if moving.stage_id == design.id else design
        payload = {"brick": moving.number, "version": moving.version, "stage": to.id,
                   "after": anchor.number if to is production else None}  # fmt: skip
        address = f"/a/{world.academy.slug}/board/move"
        db_session.expire_all()  # as in a request of its own: nothing loaded beforehand
        with queries() as counter:
            answer = client.post(address, json=payload, headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return counter.count

    few, many = count_for(10), count_for(990)
    # An academy with a webhook endpoint (not subscribed to moves): the endpoints are looked up.
    webhooks.create_endpoint(
        db_session, world.academy, url="https://lms.example.org/hook", description="",
        event_types=["brick.deleted"], actor=None, allow_private=False, app_secret_key="k",
        now=utcnow(),
    )  # fmt: skip
    with_endpoint = count_for(1)

    # The academy, the session and its person, their roles, the column, the card and its
    # neighbour, where it lands with the columns' counts (one SELECT), the UPDATE, the history
    # line, the change counter, and the end of the test's SAVEPOINT; on PostgreSQL the board
    # lock too. In production that makes 10 on both engines: SQLite's BEGIN IMMEDIATE takes the
    # SAVEPOINT's place (test_move_lock.py), PostgreSQL's BEGIN is not a statement. The
    # owner's notification reads the column's category and the card from the session
    # (tracker.workspace.notify). An academy without webhook endpoints (Academy.has_webhooks)
    # has none to look up; one with an endpoint, one query more.
    postgresql = db_session.get_bind().dialect.name == "postgresql"
    assert few == many == (11 if postgresql else 10)
    assert with_endpoint == few + 1
