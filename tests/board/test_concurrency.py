"""Twenty people drop the same card at once: one move wins, the others get 409, nobody a 500.

Against a real multi-process server (gunicorn, 2 worker processes x 10 threads) on a
committed database: a temporary SQLite file, or a scratch PostgreSQL database when
TRACKER_TEST_DATABASE_URL is set. Each client logs in with its own session through the real
login form (bench.run's client) and posts the board's JSON move with the version it saw.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.cases import PASSWORD, Request
from bench.run import Client, log_in
from tests.conftest import live_server
from tests.factories import make_academy, make_brick, make_member
from tracker.academies.models import Role, Stage, StageCategory
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.db import db

pytestmark = pytest.mark.slow

CLIENTS = 20


@dataclass
class Served:
    url: str
    app: object
    slug: str
    brick_id: int
    brick_number: int
    targets: list[int]  # stage ids other than the card's own
    logins: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    def seed(session: Session) -> Served:
        academy = make_academy(session, name="Concurrency")
        people = [
            make_member(session, academy, Role.DESIGNER, email=f"d{n}@example.com",
                        password=PASSWORD)
            for n in range(CLIENTS)
        ]  # fmt: skip
        brick = make_brick(session, academy, "Contested", actor=people[0])
        session.flush()
        # Not the done column: a card with an unticked checklist may not go there (422).
        targets = [
            s.id
            for s in academy.stages
            if s.id != brick.stage_id and s.category != StageCategory.DONE
        ]
        logins = {str(n): p.email for n, p in enumerate(people)}
        return Served("", None, academy.slug, brick.id, brick.number, targets, logins)

    workdir = tmp_path_factory.mktemp("board_concurrency")
    with live_server(workdir, "board", seed) as (url, app, served):
        yield dataclasses.replace(served, url=url, app=app)


def test_twenty_simultaneous_moves_at_one_version_let_exactly_one_through(served: Served) -> None:
    # Arrange: twenty people, each logged in with their own session, all seeing version 1.
    clients = [Client(served.url, n) for n in range(CLIENTS)]
    for n, client in enumerate(clients):
        log_in(client, str(n), served.logins)
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    bodies: list[dict] = []
    errors: list[BaseException] = []

    def drop(client: Client) -> None:
        payload = {
            "brick": served.brick_number,
            "version": 1,
            # Each aims at some other column: whoever wins, the card leaves the backlog.
            "stage": served.targets[client.index % len(served.targets)],
        }
        request = Request(
            f"/a/{served.slug}/board/move",
            method="POST",
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": client.csrf_token,
            },
        )
        # A new connection for the drop: the server may have closed a kept-alive one while the
        # others logged in (a slow machine), and writing on it would be a broken pipe.
        client.connection.close()
        try:
            barrier.wait(timeout=30)
            response = client.send(request)
            statuses.append(response.status)
            bodies.append(json.loads(response.body or b"{}"))
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=drop, args=(client,)) for client in clients]

    # Act
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for client in clients:
        client.close()

    # Assert: one 200, nineteen 409 with a message and where the card is now, no 500.
    assert not errors, errors
    assert sorted(statuses) == [200] + [409] * (CLIENTS - 1), statuses
    winner = next(b for b, s in zip(bodies, statuses, strict=True) if s == 200)
    for body, status in zip(bodies, statuses, strict=True):
        if status == 409:
            assert body["code"] == "conflict" and body["detail"]
            assert body["card"]["version"] == 2
    with served.app.app_context():  # type: ignore[attr-defined]
        session = db.session
        brick = session.get(Brick, served.brick_id)
        moves = session.scalar(
            select(func.count(Activity.id)).where(
                Activity.brick_id == served.brick_id, Activity.kind == ActivityKind.MOVED
            )
        )
        assert (brick.version, brick.stage_id) == (2, winner["stage"])
        assert moves == 1
        assert session.get(Stage, winner["stage"]) is not None
