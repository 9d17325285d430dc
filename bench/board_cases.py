"""Benchmark cases of the kanban board: the page at a size, and a card move (JSON).

Registered on import by bench/cases.py. Both share `seed_board`: the demo backlog topped up to
`size` bricks (bench.cases.seed_backlog), each with a five-item definition of done, partly
ticked, as real bricks have. Run for the figures of the board issue:

    .venv/bin/python bench/run.py board board-move floor --sizes 1000
    .venv/bin/python bench/run.py board --sizes 100 5000
    .venv/bin/python bench/run.py board board-mixed --sizes 1000 --concurrency 5

`board-mixed` is the board while people work: clients 0-3 read it while client 4 moves a card
every 500 ms (its moves are left out of the figures); compare its req/s with `board`'s at the
same concurrency (the issue's acceptance: at least 60 %). bench/board_render.py gives the
board's server time alone: cold, warm, after one move, and 304.

In the first line the floor serves a body the size of the 1,000-brick board (the largest page
of that run), so that board req/s / floor req/s is the share the application leaves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case, seed_backlog
from tracker.academies.models import Academy, Stage, StageCategory
from tracker.backlog.models import Brick, ChecklistItem
from tracker.demo import DEMO_SLUG

CHECKLIST = ("Objectifs validés", "Storyboard relu", "Médias produits", "Quiz testé", "Accessible")
MOVERS = 64  # bricks set aside for the move case: one per client (up to 64 clients)


def seed_board(session: Session, size: int | None) -> Mapping[str, Any]:
    facts = dict(seed_backlog(session, size))
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    bare = session.scalars(
        select(Brick.id).where(
            Brick.academy_id == academy.id,
            ~Brick.checklist.any(),
            Brick.title.like("Brique de banc%"),
        )
    ).all()
    if bare:
        session.execute(
            insert(ChecklistItem),
            [
                {
                    "brick_id": brick_id,
                    "position": p,
                    "label": label,
                    "done": (brick_id + p) % 3 == 0,
                }
                for brick_id in bare
                for p, label in enumerate(CHECKLIST)
            ],
        )
    # Two columns in progress, without limits, for the move case: each client moves its own
    # brick back and forth between them, dropping it after a card that never moves.
    stages = session.scalars(
        select(Stage)
        .where(Stage.academy_id == academy.id, Stage.category == StageCategory.ACTIVE)
        .order_by(Stage.position)
    ).all()
    first, second = stages[0], stages[1]
    movers = session.scalars(
        select(Brick.number)
        .where(Brick.stage_id == first.id, Brick.title.like("Brique de banc%"))
        .order_by(Brick.rank)
        .limit(MOVERS + 2)
    ).all()
    anchor_second = session.scalars(
        select(Brick.number).where(Brick.stage_id == second.id).order_by(Brick.rank).limit(1)
    ).first()
    session.flush()
    facts.update(
        move_stages=[first.id, second.id],
        move_after=[movers[0], anchor_second],  # the card dropped after, in each column
        move_bricks=list(movers[1:]),
    )
    return facts


@case("board", seed=seed_board, sized=True, login_as="manager")
def board(ctx: Context) -> Request:
    """The board, as a manager, every sprint (all the bricks); size = bricks."""
    return Request(f"/a/{ctx.facts['academy_slug']}/board?sprint=all")


@case("board-move", seed=seed_board, sized=True, login_as="designer")
def board_move(ctx: Context) -> Request:
    """A card dropped in the next column (JSON move), as a designer; size = bricks.

    Client n moves its own brick back and forth between two columns; every move succeeds
    and bumps the version by one, so the version it saw is 1 + the requests it already sent.
    """
    going = ctx.iteration % 2 == 0  # even: to the second column; odd: back to the first
    to = 1 if going else 0
    payload = {
        "brick": ctx.facts["move_bricks"][ctx.client],
        "version": 1 + ctx.iteration,
        "stage": ctx.facts["move_stages"][to],
        "after": ctx.facts["move_after"][to],
    }
    return Request(
        f"/a/{ctx.facts['academy_slug']}/board/move",
        method="POST",
        body=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": ctx.csrf_token,
        },
    )


MIXED_MOVER = 4  # the fifth client of board-mixed moves a card; the others read the board
MOVE_EVERY = 0.5  # seconds between two moves


@case("board-mixed", seed=seed_board, sized=True, login_as="manager")
def board_mixed(ctx: Context) -> Request:
    """The board read by clients 0-3 while client 4 moves a card every 500 ms (JSON, not
    counted in the figures); run with --concurrency 5; size = bricks."""
    if ctx.client != MIXED_MOVER:
        return board(ctx)
    time.sleep(MOVE_EVERY)
    to = 1 if ctx.iteration % 2 == 0 else 0
    payload = {
        "brick": ctx.facts["move_bricks"][-1],  # a brick no other case moves
        "version": 1 + ctx.iteration,
        "stage": ctx.facts["move_stages"][to],
        "after": ctx.facts["move_after"][to],
    }
    return Request(
        f"/a/{ctx.facts['academy_slug']}/board/move",
        method="POST",
        body=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": ctx.csrf_token,
        },
        counted=False,
    )
