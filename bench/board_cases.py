"""Benchmark cases of the kanban board: the page at a size, and a card move (JSON).

Registered on import by bench/cases.py. Both share `seed_board`: the demo backlog topped up to
`size` bricks (bench.cases.seed_backlog), each with a five-item definition of done, partly
ticked, as real bricks have. Run for the figures of the board issue:

    .venv/bin/python bench/run.py board board-move floor --sizes 1000
    .venv/bin/python bench/run.py board:1000 board-quick:1000   # the quick view (issue 11)
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

import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case, seed_backlog
from tracker.academies.models import Academy, Membership, Role, Stage, StageCategory
from tracker.backlog.models import Activity, ActivityKind, Brick, ChecklistItem, Comment
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


QUICK_BRICKS = 16  # the quick view's bricks: each client's requests cycle over them
QUICK_CHECKLIST = 9
QUICK_COMMENTS = 20
QUICK_EVENTS = 30


def seed_quick_view(session: Session, size: int | None) -> Mapping[str, Any]:
    """The board's data (seed_board) and, on QUICK_BRICKS of its bricks, what a worked brick's
    quick view shows: 9 definition-of-done items (some ticked), 20 comments by the team, 30
    history events (moves between the columns, edits, ticks)."""
    facts = dict(seed_board(session, size))
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    bricks = session.execute(
        select(Brick.id, Brick.number, Brick.stage_id)
        .where(Brick.academy_id == academy.id, Brick.title.like("Brique de banc%"))
        .order_by(Brick.rank.desc())  # away from the move case's bricks (the top of a column)
        .limit(QUICK_BRICKS)
    ).all()
    stages = list(session.scalars(select(Stage.id).where(Stage.academy_id == academy.id)))
    people = list(
        session.scalars(
            select(Membership.user_id).where(
                Membership.academy_id == academy.id,
                Membership.role.in_((Role.MANAGER, Role.DESIGNER)),
            )
        )
    )
    ids = [brick_id for brick_id, _number, _stage in bricks]
    session.execute(delete(ChecklistItem).where(ChecklistItem.brick_id.in_(ids)))
    start = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    checklist, comments, events = [], [], []
    for brick_id, number, stage_id in bricks:
        checklist += [
            {"brick_id": brick_id, "position": p, "label": f"{label} ({p + 1})", "done": p % 2 == 0}
            for p, label in enumerate((CHECKLIST * 2)[:QUICK_CHECKLIST])
        ]
        comments += [
            {
                "brick_id": brick_id,
                "author_id": people[n % len(people)],
                "body": f"Commentaire {n + 1} : storyboard relu, **deux** écrans à reprendre."
                + " Voir la charte graphique." * (n % 3),
                "created_at": start + dt.timedelta(hours=n),
            }
            for n in range(QUICK_COMMENTS)
        ]
        for n in range(QUICK_EVENTS):
            kind = (ActivityKind.MOVED, ActivityKind.EDITED, ActivityKind.CHECKLIST)[n % 3]
            changes: dict[str, Any] = {
                ActivityKind.MOVED: {
                    "stage_id": [stages[n % len(stages)], stages[(n + 1) % len(stages)]]
                },
                ActivityKind.EDITED: {"learner_minutes": [30 + n, 31 + n]},
                ActivityKind.CHECKLIST: {"done": [n % 2 == 0, n % 2 == 1]},
            }[kind]
            events.append(
                {
                    "academy_id": academy.id,
                    "brick_id": brick_id,
                    "brick_number": number,
                    "kind": kind,
                    "changes": changes,
                    "stage_id": stage_id,
                    "actor_id": people[n % len(people)],
                    "at": start + dt.timedelta(hours=n, minutes=30),
                    "note": CHECKLIST[n % len(CHECKLIST)] if kind == ActivityKind.CHECKLIST else "",
                }
            )
    session.execute(insert(ChecklistItem), checklist)
    session.execute(insert(Comment), comments)
    session.execute(insert(Activity), events)
    session.flush()
    facts.update(quick_bricks=[number for _id, number, _stage in bricks])
    return facts


@case("board-quick", seed=seed_quick_view, sized=True, login_as="manager")
def board_quick(ctx: Context) -> Request:
    """A card's quick view (the dialog's HTML fragment) in a board of `size` bricks, as a
    manager: a brick with 9 definition-of-done items, 20 comments and 30 history events; the
    requests cycle over 16 such bricks."""
    numbers = ctx.facts["quick_bricks"]
    number = numbers[(ctx.client + ctx.iteration) % len(numbers)]
    return Request(f"/a/{ctx.facts['academy_slug']}/board/{number}/quick")
