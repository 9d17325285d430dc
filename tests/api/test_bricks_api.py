"""The bricks through the API: list with filters and a cursor, read, create, update, move,
reorder, delete; ETag / If-Match; problems."""

from __future__ import annotations

from sqlalchemy import select

from tests.api.helpers import bearer, personal_token
from tests.factories import make_brick
from tracker.academies.models import Stage


def _url(world, suffix=""):
    return f"/api/v1/academies/{world.academy.slug}/bricks{suffix}"


def test_list_pages_with_a_cursor_and_filters(client, db_session, world):
    for i in range(5):
        make_brick(db_session, world, f"Brick {i}", format="video" if i % 2 else "mooc")
    secret = personal_token(db_session, world.designer, write=False)

    first = client.get(_url(world, "?limit=2"), headers=bearer(secret))
    assert first.status_code == 200, first.json
    assert [b["title"] for b in first.json["items"]] == ["Brick 0", "Brick 1"]
    second = client.get(first.json["next"], headers=bearer(secret))
    third = client.get(second.json["next"], headers=bearer(secret))
    assert [b["title"] for b in second.json["items"]] == ["Brick 2", "Brick 3"]
    assert [b["title"] for b in third.json["items"]] == ["Brick 4"]
    assert third.json["next"] is None

    videos = client.get(_url(world, "?format=video"), headers=bearer(secret))
    assert [b["title"] for b in videos.json["items"]] == ["Brick 1", "Brick 3"]
    assert first.json["items"][0]["created_at"].endswith("+00:00")


def test_bad_parameters_are_problems(client, db_session, world):
    secret = personal_token(db_session, world.designer)
    response = client.get(_url(world, "?format=nope"), headers=bearer(secret))
    assert response.status_code == 400
    assert response.json["code"] == "bad-query"
    assert response.mimetype == "application/problem+json"
    assert "format" in response.json["errors"]
    assert client.get(_url(world, "?cursor=zzz"), headers=bearer(secret)).status_code == 400


def test_create_read_update_with_if_match(client, db_session, world):
    secret = personal_token(db_session, world.manager)
    created = client.post(
        _url(world),
        json={"title": "RGPD basics", "format": "mooc", "learner_minutes": 90,
              "objectives": [{"statement": "Name the principles", "bloom_level": "remember"}]},
        headers=bearer(secret),
    )  # fmt: skip
    assert created.status_code == 201, created.json
    number = created.json["number"]
    assert created.headers["ETag"] == '"1"'
    assert created.json["objectives"][0]["bloom_level"] == "remember"

    read = client.get(_url(world, f"/{number}"), headers=bearer(secret))
    assert read.headers["ETag"] == created.headers["ETag"]

    missing = client.patch(_url(world, f"/{number}"), json={"title": "x"}, headers=bearer(secret))
    assert missing.status_code == 428
    assert missing.json["code"] == "precondition-required"

    updated = client.patch(
        _url(world, f"/{number}"), json={"title": "RGPD, the basics"},
        headers=bearer(secret, **{"If-Match": read.headers["ETag"]}),
    )  # fmt: skip
    assert updated.status_code == 200, updated.json
    assert updated.json["title"] == "RGPD, the basics"
    assert updated.json["learner_minutes"] == 90
    assert updated.json["objectives"][0]["statement"] == "Name the principles"

    stale = client.patch(
        _url(world, f"/{number}"), json={"title": "Mine"},
        headers=bearer(secret, **{"If-Match": read.headers["ETag"]}),
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.json["type"] == "urn:brique:problem:precondition-failed"


def test_form_rules_give_field_errors(client, db_session, world):
    secret = personal_token(db_session, world.manager)
    response = client.post(
        _url(world),
        json={"title": "Bad link", "format": "mooc", "content_url": "ftp://x", "owner_id": 999},
        headers=bearer(secret),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"content_url", "owner_id"}


def test_not_json_is_415(client, db_session, world):
    secret = personal_token(db_session, world.manager)
    response = client.post(_url(world), data="title=x", headers=bearer(secret),
                           content_type="text/plain", csrf=False)  # fmt: skip
    assert response.status_code == 415


def test_move_and_reorder(client, db_session, world):
    bricks = [make_brick(db_session, world, f"B{i}") for i in range(3)]
    secret = personal_token(db_session, world.manager)
    stages = db_session.scalars(
        select(Stage).where(Stage.academy_id == world.academy.id).order_by(Stage.position)
    ).all()
    target = stages[1]
    number = bricks[0].number
    read = client.get(_url(world, f"/{number}"), headers=bearer(secret))

    moved = client.post(
        _url(world, f"/{number}/move"), json={"stage_id": target.id},
        headers=bearer(secret, **{"If-Match": read.headers["ETag"]}),
    )  # fmt: skip
    assert moved.status_code == 200, moved.json
    assert moved.json["stage_id"] == target.id
    assert moved.headers["ETag"] != read.headers["ETag"]

    again = client.post(
        _url(world, f"/{number}/move"), json={"stage_id": stages[0].id},
        headers=bearer(secret, **{"If-Match": read.headers["ETag"]}),
    )  # fmt: skip
    assert again.status_code == 412

    reordered = client.post(
        _url(world, f"/{bricks[2].number}/reorder"), json={"position": 1},
        headers=bearer(secret, **{"If-Match": '"1"'}),
    )  # fmt: skip
    assert reordered.status_code == 200, reordered.json
    listed = client.get(_url(world), headers=bearer(secret))
    assert listed.json["items"][0]["number"] == bricks[2].number


def test_delete(client, db_session, world):
    brick = make_brick(db_session, world, "Gone")
    secret = personal_token(db_session, world.manager)
    assert client.delete(_url(world, f"/{brick.number}"), headers=bearer(secret)).status_code == 204
    assert client.get(_url(world, f"/{brick.number}"), headers=bearer(secret)).status_code == 404


def test_nul_characters_and_bad_json(client, db_session, world):
    secret = personal_token(db_session, world.manager)
    created = client.post(
        _url(world), json={"title": "Ti\x00tle", "format": "mooc"}, headers=bearer(secret)
    )
    assert created.status_code == 201, created.json
    assert created.json["title"] == "Title"
    broken = client.post(
        _url(world),
        data="{not json",
        content_type="application/json",
        headers=bearer(secret),
        csrf=False,
    )
    assert broken.status_code == 400
    assert broken.mimetype == "application/problem+json"
