"""Every event type, emitted by its service when an endpoint listens, with its data."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import SECRET
from tests.factories import make_brick, make_need, make_sprint
from tests.releases.helpers import add_bricks, make_testers, run_round
from tracker.backlog.needs_services import change_need_status
from tracker.backlog.services import delete_brick, update_brick
from tracker.board.services import move_brick
from tracker.db import utcnow
from tracker.releases import notes, services
from tracker.sprints import services as sprint_services
from tracker.webhooks import services as webhooks
from tracker.webhooks.events import EVENT_TYPES
from tracker.webhooks.models import WebhookDelivery, WebhookEvent


def _events(db_session) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    rows = db_session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    return [(e.event_type, json.loads(e.body)) for e in rows]


def test_every_event_type_is_emitted_with_its_data(db_session, world):
    now = utcnow()
    webhooks.create_endpoint(
        db_session, world.academy, url="https://hooks.example.com/all", description="",
        event_types=EVENT_TYPES, actor=None, allow_private=False, app_secret_key="k", now=now,
    )  # fmt: skip

    # Bricks: created, updated, moved, deleted.
    brick = make_brick(db_session, world, "Card", now=now)
    update_brick(db_session, brick, actor=world.manager, expected_version=brick.version,
                 summary="Short", now=now)  # fmt: skip
    second_stage = sorted(world.academy.stages, key=lambda s: s.position)[1]
    move_brick(db_session, brick, second_stage, 1, actor=world.manager,
               expected_version=brick.version, now=now)  # fmt: skip
    # Sprints: started, closed.
    sprint = make_sprint(db_session, world)
    sprint_services.start_sprint(db_session, sprint, actor=world.manager, now=now)
    sprint_services.close_sprint(db_session, sprint, {}, actor=world.manager, now=now)
    # Rounds, releases, notes.
    release = services.create_release(
        db_session, world.academy, name="Incrément 9", actor=world.manager, now=now
    )
    add_bricks(db_session, world.academy, release, 1)
    testers = make_testers(db_session, world.academy, 3)
    run_round(db_session, world.academy, release, world.manager, testers, secret_key=SECRET,
              rating=5, nps=10)  # fmt: skip
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=now)
    services.mark_released(db_session, release, actor=world.manager, now=now)
    notes.publish_notes(db_session, release, body="# Nouveautés", actor=world.manager, now=now,
                        base_url="http://brique.test")  # fmt: skip
    # Needs: created, triaged.
    need = make_need(db_session, world, title="Excel avancé", now=now)
    change_need_status(db_session, need, "accepted", actor=world.manager, now=now)
    delete_brick(db_session, brick, actor=world.manager, now=now)

    events = _events(db_session)
    types = [t for t, _body in events]
    assert set(types) == set(EVENT_TYPES), set(EVENT_TYPES) - set(types)
    by_type = dict(events)
    for event_type, body in events:
        assert body["type"] == event_type and body["timestamp"].endswith("Z")
        assert body["data"]["academy_id"] == world.academy.id
    assert by_type["brick.updated"]["data"]["changes"] == {"summary": ["", "Short"]}
    assert by_type["brick.moved"]["data"]["changes"]["stage_id"][1] == second_stage.id
    assert by_type["sprint.closed"]["data"]["sprint"]["state"] == "closed"
    gate = by_type["round.closed"]["data"]["gate"]
    assert gate["passed"] is True and gate["invited"] == 3
    assert "answers" not in json.dumps(gate)  # aggregates only
    assert by_type["release.decided"]["data"]["decision"]["outcome"] == "go"
    assert by_type["release.released"]["data"]["release"]["state"] == "released"
    assert by_type["notes.published"]["data"]["notes"]["body"] == "# Nouveautés"
    assert by_type["need.triaged"]["data"]["need"]["status"] == "accepted"
    assert by_type["need.triaged"]["data"]["from_status"] == "new"
    assert by_type["brick.deleted"]["data"]["brick"]["title"] == "Card"
    deliveries = db_session.scalars(select(WebhookDelivery)).all()
    assert len(deliveries) == len(events)
