"""API credentials end to end: an LMS with a service account; academy scoping (404 for another
academy's objects); read-only tokens (403 on writes); revoked or expired tokens (401); the rate
limit (429 + Retry-After); tokens stored hashed and shown once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.api.helpers import bearer, personal_token, service_token
from tests.factories import add_item, add_question, add_round, make_brick, make_member, respond
from tracker.academies.models import Role, Stage
from tracker.api.models import ApiToken
from tracker.api.services import personal_tokens
from tracker.backlog.models import Activity
from tracker.db import utcnow
from tracker.feedback.models import QuestionKind
from tracker.tokens import hash_token


def _stages(session, academy):
    return session.scalars(
        select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position)
    ).all()


def test_an_lms_with_a_service_account(client, db_session, world):
    """The LMS lists the backlog, creates bricks, moves one with If-Match (412 when stale),
    and reads a round's aggregates."""
    make_brick(db_session, world, "Existing")
    round_ = add_round(db_session, world.academy, anonymous=True)
    rating = add_question(db_session, round_, QuestionKind.RATING, "Overall")
    for value in (5, 4, 4):
        respond(db_session, round_, {rating: value}, business_unit="DRH")
    add_item(db_session, round_, title="Typo on slide 2")
    secret = service_token(db_session, world.academy, world.manager, "designer")
    base = f"/api/v1/academies/{world.academy.slug}"
    auth = bearer(secret)

    backlog = client.get(f"{base}/bricks?limit=100", headers=auth)
    assert backlog.status_code == 200
    assert [b["title"] for b in backlog.json["items"]] == ["Existing"]

    made = [
        client.post(
            f"{base}/bricks",
            json={"title": f"LMS course {i}", "format": "elearning_module", "learner_minutes": 30},
            headers=auth,
        )
        for i in range(2)
    ]
    assert [r.status_code for r in made] == [201, 201]
    number, tag = made[0].json["number"], made[0].headers["ETag"]
    # The history names the service account as the author.
    author = db_session.scalar(
        select(Activity.actor_id).where(Activity.brick_number == number).limit(1)
    )
    assert author is not None and author not in {world.manager.id, world.designer.id}

    target = _stages(db_session, world.academy)[1]
    moved = client.post(
        f"{base}/bricks/{number}/move", json={"stage_id": target.id},
        headers=bearer(secret, **{"If-Match": tag}),
    )  # fmt: skip
    assert moved.status_code == 200 and moved.json["stage_id"] == target.id
    stale = client.post(
        f"{base}/bricks/{number}/move", json={"stage_id": target.id, "position": 1},
        headers=bearer(secret, **{"If-Match": tag}),
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"

    found = client.get(f"{base}/rounds/{round_.id}/results", headers=auth)
    assert found.status_code == 200, found.json
    overall = found.json["questions"][0]["overall"]
    assert overall["n"] == 3
    assert overall["counts"]["4"] == 2 and overall["counts"]["5"] == 1
    # Anonymous round, a segment of 3 respondents: hidden, neither its size nor its figures.
    assert all(s["hidden"] and s["size"] is None for s in found.json["segments"])
    assert "respondent" not in str(found.json)
    items = client.get(f"{base}/rounds/{round_.id}/items", headers=auth).json["items"]
    assert items[0]["title"] == "Typo on slide 2" and items[0]["created_at"] is None


def _academy_b_objects(session, world):
    """One object of each kind in the other academy, and their API paths."""
    from tests.factories import make_round
    from tracker.backlog.needs_services import submit_need
    from tracker.backlog.paths_services import create_path
    from tracker.sprints.services import create_sprint

    other, boss = world.other_academy, world.outsider
    brick = make_brick(session, other, "Secret", actor=boss)
    setup = make_round(session, other, boss)
    item = add_item(session, setup.round, title="Hidden")
    need = submit_need(session, other, actor=boss, title="N", business_unit="BU", now=utcnow())
    path = create_path(session, other, name="P")
    sprint = create_sprint(session, other, name="S")
    session.flush()
    base = f"/api/v1/academies/{other.slug}"
    return [
        ("GET", base, None),
        ("GET", f"{base}/members", None),
        ("GET", f"{base}/stages", None),
        ("GET", f"{base}/bricks", None),
        ("GET", f"{base}/bricks/{brick.number}", None),
        ("PATCH", f"{base}/bricks/{brick.number}", {"title": "x"}),
        ("DELETE", f"{base}/bricks/{brick.number}", None),
        ("POST", f"{base}/bricks/{brick.number}/move", {"stage_id": brick.stage_id}),
        ("POST", f"{base}/bricks", {"title": "x", "format": "mooc"}),
        ("GET", f"{base}/paths/{path.id}", None),
        ("GET", f"{base}/sprints/{sprint.id}", None),
        ("POST", f"{base}/sprints/{sprint.id}/start", {}),
        ("GET", f"{base}/releases/{setup.round.release_id}", None),
        ("GET", f"{base}/rounds/{setup.round.id}/results", None),
        ("GET", f"{base}/rounds/{setup.round.id}/items/{item.id}", None),
        ("POST", f"{base}/rounds/{setup.round.id}/items/{item.id}/triage", {"status": "done"}),
        ("GET", f"{base}/needs/{need.id}", None),
        ("GET", f"{base}/notes", None),
    ]


@pytest.mark.parametrize("kind", ["scoped personal token", "service account"])
def test_a_token_of_academy_a_gets_404_for_academy_b(kind, client, db_session, world):
    # The manager is a member of B too: a token narrowed to A still sees nothing of B.
    from tracker.academies.services import add_member

    add_member(db_session, world.other_academy, world.manager, Role.MANAGER)
    if kind == "service account":
        secret = service_token(db_session, world.academy, world.manager, "manager")
    else:
        secret = personal_token(db_session, world.manager, academy=world.academy)
    for method, url, body in _academy_b_objects(db_session, world):
        response = client.open(url, method=method, json=body, headers=bearer(secret))
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.mimetype == "application/problem+json"
    listed = client.get("/api/v1/academies", headers=bearer(secret)).json["items"]
    assert [a["slug"] for a in listed] == [world.academy.slug]


def test_a_read_only_token_gets_403_on_writes(client, db_session, world):
    brick = make_brick(db_session, world, "Read me")
    secret = personal_token(db_session, world.manager, write=False)
    base = f"/api/v1/academies/{world.academy.slug}"
    assert client.get(f"{base}/bricks/{brick.number}", headers=bearer(secret)).status_code == 200
    writes = [
        ("POST", f"{base}/bricks", {"title": "x", "format": "mooc"}),
        ("PATCH", f"{base}/bricks/{brick.number}", {"title": "x"}),
        ("DELETE", f"{base}/bricks/{brick.number}", None),
        ("POST", f"{base}/bricks/{brick.number}/move", {"stage_id": brick.stage_id}),
        ("POST", f"{base}/bricks/{brick.number}/reorder", {"position": 1}),
        ("POST", f"{base}/needs", {"title": "x", "business_unit": "y"}),
    ]
    for method, url, body in writes:
        response = client.open(
            url, method=method, json=body, headers=bearer(secret, **{"If-Match": '"1"'})
        )
        assert response.status_code == 403, (method, url)
        assert response.json["code"] == "forbidden"


def test_revoked_expired_or_unknown_tokens_get_401(client, db_session, world):
    url = f"/api/v1/academies/{world.academy.slug}/bricks"
    revoked = personal_token(db_session, world.designer)
    expired = personal_token(db_session, world.designer)
    rows = {t.token_hash: t for t in personal_tokens(db_session, world.designer)}
    rows[hash_token(revoked)].revoked_at = utcnow()
    rows[hash_token(expired)].expires_at = utcnow() - dt.timedelta(seconds=1)
    db_session.flush()
    for secret in (revoked, expired, "brq_unknown", "not-even-ours"):
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(url).status_code == 401
    # A session cookie is no credential for the API.
    from tests.conftest import PASSWORD

    client.post("/login", data={"email": world.designer.email, "password": PASSWORD})
    assert client.get(url).status_code == 401


def test_rate_limit_per_token(app, client, db_session, world):
    secret = personal_token(db_session, world.designer)
    other = personal_token(db_session, world.designer)
    url = f"/api/v1/academies/{world.academy.slug}/stages"
    app.config["API_RATE_LIMIT"] = 3
    try:
        answers = [client.get(url, headers=bearer(secret)).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = client.get(url, headers=bearer(secret))
        assert refused.json["code"] == "rate-limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
        assert client.get(url, headers=bearer(other)).status_code == 200  # per token
    finally:
        app.config["API_RATE_LIMIT"] = 600


def test_token_page_shows_it_once_and_stores_a_hash(client, db_session, world, login):
    login(world.designer)
    page = client.post(
        "/account/tokens/",
        data={"name": "My script", "access": "write", "academy": world.academy.slug, "days": "30"},
    )
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    secret = text.split('id="new-token" class="feed-url" type="text" readonly value="')[1][:47]
    assert secret.startswith("brq_")
    stored = db_session.scalar(select(ApiToken).where(ApiToken.name == "My script"))
    assert stored is not None and stored.token_hash == hash_token(secret)
    assert secret not in str(stored.__dict__)
    again = client.get("/account/tokens/").get_data(as_text=True)
    assert secret not in again and "My script" in again

    api = client.get(f"/api/v1/academies/{world.academy.slug}/bricks", headers=bearer(secret))
    assert api.status_code == 200
    client.post(f"/account/tokens/{stored.id}/revoke")
    api = client.get(f"/api/v1/academies/{world.academy.slug}/bricks", headers=bearer(secret))
    assert api.status_code == 401


def test_service_accounts_page(client, db_session, world, login):
    login(world.manager)
    created = client.post(
        f"/a/{world.academy.slug}/settings/service-accounts",
        data={"name": "Moodle", "role": "stakeholder"},
    )
    assert created.status_code == 303
    page = client.get(f"/a/{world.academy.slug}/settings/service-accounts")
    assert "Moodle" in page.get_data(as_text=True)
    members = client.get(f"/a/{world.academy.slug}/members").get_data(as_text=True)
    assert "Moodle" in members


def test_a_service_account_acts_with_its_role(client, db_session, world):
    secret = service_token(db_session, world.academy, world.manager, "stakeholder")
    base = f"/api/v1/academies/{world.academy.slug}"
    assert client.get(f"{base}/bricks", headers=bearer(secret)).status_code == 403
    need = client.post(
        f"{base}/needs", json={"title": "Excel", "business_unit": "DRH"}, headers=bearer(secret)
    )
    assert need.status_code == 201
    assert client.get(f"{base}/needs", headers=bearer(secret)).json["items"][0]["title"] == "Excel"


def test_only_managers_make_service_accounts(db_session, world):
    from tracker.api.services import create_service_account
    from tracker.errors import Forbidden

    make_member(db_session, world.academy, Role.DESIGNER)
    with pytest.raises(Forbidden):
        create_service_account(
            db_session, world.academy, name="x", role="manager", actor=world.admin,
            actor_role=None, now=utcnow(),
        )  # fmt: skip


def test_tokens_are_in_the_personal_export_and_go_with_an_erased_person(client, db_session, world):
    from tracker.auth.services import erase_user, export_personal_data

    secret = personal_token(db_session, world.designer, write=False)
    db_session.commit()
    assert client.get("/api/v1/academies", headers=bearer(secret)).status_code == 200

    [exported] = export_personal_data(db_session, world.designer)["api_access"]
    assert exported["name"] == "test" and exported["can_write"] is False
    assert exported["last_used_at"] is not None
    assert secret not in str(exported) and "hash" not in str(exported)

    erase_user(db_session, world.designer, actor=world.admin, now=utcnow())
    db_session.commit()
    assert client.get("/api/v1/academies", headers=bearer(secret)).status_code == 401
    assert export_personal_data(db_session, world.designer)["api_access"] == []
