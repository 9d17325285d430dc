"""A blocking WIP limit holds whatever the path: nine people save nine brick edit forms at once,
each moving a card into a column limited to 2, twenty times over. Exactly two saves go through
each time, the seven others are refused (422) with the limit's message, and the column never
holds more than 2 cards.

Against a real multi-process server (gunicorn, 2 worker processes x 10 threads) on a committed
database, as tests/board/test_concurrency.py: a temporary SQLite file, or a scratch PostgreSQL
database when TRACKER_TEST_DATABASE_URL is set. One server serves every trial; between trials
the cards go back to the backlog. The same server also takes one comment form sent nine times
at once (a create form creates once: tracker.submissions).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.cases import PASSWORD, Request
from bench.run import Client, log_in
from tests.conftest import live_server
from tests.factories import make_academy, make_member
from tracker.academies.models import Role, StageCategory, WipPolicy
from tracker.backlog import services
from tracker.backlog.models import Brick, Comment
from tracker.db import db, utcnow

pytestmark = pytest.mark.slow

EDITORS = 9
TRIALS = 20
LIMIT = 2


@dataclass
class Served:
    url: str
    app: object
    slug: str
    bricks: list[int]  # ids, one per editor
    numbers: list[int]
    backlog_id: int
    limited_id: int
    logins: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    def seed(session: Session) -> Served:
        academy = make_academy(session, name="WIP race")
        people = [
            make_member(session, academy, Role.DESIGNER, email=f"e{n}@example.com",
                        password=PASSWORD)
            for n in range(EDITORS)
        ]  # fmt: skip
        bricks = [
            services.create_brick(
                session, academy, actor=people[0], title=f"Card {n}", format="video", now=utcnow()
            )
            for n in range(EDITORS)
        ]
        limited = next(s for s in academy.stages if s.category == StageCategory.ACTIVE)
        limited.wip_limit, limited.wip_policy = LIMIT, WipPolicy.BLOCK
        session.flush()
        return Served(
            "",
            None,
            academy.slug,
            [b.id for b in bricks],
            [b.number for b in bricks],
            bricks[0].stage_id,
            limited.id,
            {str(n): p.email for n, p in enumerate(people)},
        )

    with live_server(tmp_path_factory.mktemp("wip_race"), "wip", seed) as (url, app, served):
        yield dataclasses.replace(served, url=url, app=app)


def back_to_the_backlog(served: Served) -> dict[int, int]:
    """Every card in the backlog again; returns each card's version now (by number)."""
    with served.app.app_context():  # type: ignore[attr-defined]
        session = db.session
        bricks = session.scalars(select(Brick).where(Brick.id.in_(served.bricks))).all()
        for brick in bricks:
            brick.stage_id = served.backlog_id
        session.commit()
        return {brick.number: brick.version for brick in bricks}


def edit_form(served: Served, client: Client, number: int, version: int) -> Request:
    """The brick's edit form as a browser posts it, with the limited column as its stage."""
    fields = {
        "csrf_token": client.csrf_token,
        "version": str(version),
        "original": "",
        "title": f"Card {served.numbers.index(number)}",
        "summary": "",
        "description": "",
        "format": "video",
        "learner_minutes": "",
        "estimate_points": "",
        "stage_id": str(served.limited_id),
        "sprint_id": "",
        "scope_reason": "",
        "release_id": "",
        "learning_path_id": "",
        "owner_id": "",
        "vendor": "",
        "target_audience": "",
        "language": "fr",
        "prerequisites": "",
        "content_url": "",
    }
    return Request(
        f"/a/{served.slug}/bricks/{number}/edit",
        method="POST",
        body=urllib.parse.urlencode(fields).encode(),
    )


def trial(served: Served, clients: list[Client]) -> list[tuple[int, str]]:
    """One round: every card back in the backlog, then the nine saves at once."""
    versions = back_to_the_backlog(served)
    barrier = threading.Barrier(EDITORS)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def save(client: Client, request: Request) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.send(request)
            answers.append((response.status, response.body.decode("utf-8", "replace")))
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [
        threading.Thread(
            target=save, args=(client, edit_form(served, client, number, versions[number]))
        )
        for client, number in zip(clients, served.numbers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


def cards_in_the_limited_column(served: Served) -> int:
    with served.app.app_context():  # type: ignore[attr-defined]
        query = select(func.count(Brick.id)).where(Brick.stage_id == served.limited_id)
        return int(db.session.scalar(query) or 0)


def test_nine_simultaneous_edit_forms_never_overfill_a_column_limited_to_two(
    served: Served,
) -> None:
    clients = [Client(served.url, n) for n in range(EDITORS)]
    for n, client in enumerate(clients):
        log_in(client, str(n), served.logins)
    outcomes: list[list[int]] = []
    counts: list[int] = []
    refusals: list[str] = []
    try:
        for _trial in range(TRIALS):
            answers = trial(served, clients)
            outcomes.append(sorted(status for status, _body in answers))
            refusals += [body for status, body in answers if status == 422]
            counts.append(cards_in_the_limited_column(served))
    finally:
        for client in clients:
            client.close()

    assert counts == [LIMIT] * TRIALS, counts
    assert outcomes == [[303] * LIMIT + [422] * (EDITORS - LIMIT)] * TRIALS, outcomes
    # The refusal is the limit's (in the academy's language).
    assert all("its limit is 2 cards" in body for body in refusals), refusals[:1]


def test_one_comment_form_sent_nine_times_at_once_posts_one_comment(served: Served) -> None:
    """The same person's form (one token), sent from nine connections at the same moment: the
    unique claim serializes them, one comment is posted and every send leads to it."""
    clients = [Client(served.url, n) for n in range(EDITORS)]
    for client in clients:
        log_in(client, "0", served.logins)
    number = served.numbers[0]
    page = clients[0].send(Request(f"/a/{served.slug}/bricks/{number}"))
    token = re.search(rb'name="once" type="hidden" value="([^"]+)"', page.body)
    assert token is not None
    barrier = threading.Barrier(EDITORS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send(client: Client) -> None:
        body = {"csrf_token": client.csrf_token, "once": token.group(1).decode(), "body": "Vu."}
        try:
            barrier.wait(timeout=30)
            response = client.send(
                Request(
                    f"/a/{served.slug}/bricks/{number}/comments",
                    method="POST",
                    body=urllib.parse.urlencode(body).encode(),
                )
            )
            statuses.append(response.status)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for client in clients:
            client.close()

    assert not errors, errors
    assert statuses == [303] * EDITORS, statuses
    with served.app.app_context():  # type: ignore[attr-defined]
        posted = db.session.scalar(
            select(func.count(Comment.id)).where(Comment.brick_id == served.bricks[0])
        )
    assert posted == 1
