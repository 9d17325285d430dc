"""Benchmark cases of the JSON API: the brick list (100 per page) and the board move.

Registered on import by bench/cases.py. The seed is the board's (bench.board_cases.seed_board:
the demo backlog topped up to `size` bricks, movers set aside) plus one personal access token
of the demo manager per client (read and write). Figures beside the board's:

    .venv/bin/python bench/run.py api-bricks board --sizes 5000
    .venv/bin/python bench/run.py api-move board-move --sizes 1000

The server runs with a rate limit high enough not to refuse the load (bench/run.py): what is
measured is the API, its per-request token check and rate-limit UPDATE included.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.board_cases import MOVERS, seed_board
from bench.cases import Context, Request, case
from tracker.academies.models import Academy, Membership, Role
from tracker.api.services import create_personal_token
from tracker.auth.models import User
from tracker.demo import DEMO_SLUG


def seed_api(session: Session, size: int | None) -> Mapping[str, Any]:
    facts = dict(seed_board(session, size))
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    manager = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.academy_id == academy.id, Membership.role == Role.MANAGER)
    ).first()
    assert manager is not None
    now = dt.datetime.now(dt.UTC)
    facts["api_tokens"] = [
        create_personal_token(
            session, manager, name=f"bench {n}", can_write=True, academy=academy, days=7, now=now
        ).secret
        for n in range(MOVERS)
    ]
    return facts


def _auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {ctx.facts['api_tokens'][ctx.client]}"}


@case("api-bricks", seed=seed_api, sized=True)
def api_bricks(ctx: Context) -> Request:
    """GET /api/v1/.../bricks?limit=100 (the backlog's first page, JSON); size = bricks.

    With a manager's token (one per client)."""
    return Request(
        f"/api/v1/academies/{ctx.facts['academy_slug']}/bricks?limit=100", headers=_auth(ctx)
    )


@case("api-move", seed=seed_api, sized=True)
def api_move(ctx: Context) -> Request:
    """POST /api/v1/.../bricks/<n>/move with If-Match, with a manager's token; size = bricks.

    Client n moves its own brick back and forth between two columns, after the same anchor
    cards as board-move; every move succeeds and bumps the version (the If-Match it sends).
    """
    going = ctx.iteration % 2 == 0
    to = 1 if going else 0
    number = ctx.facts["move_bricks"][ctx.client]
    payload = {"stage_id": ctx.facts["move_stages"][to], "after": ctx.facts["move_after"][to]}
    return Request(
        f"/api/v1/academies/{ctx.facts['academy_slug']}/bricks/{number}/move",
        method="POST",
        body=json.dumps(payload).encode(),
        headers={
            **_auth(ctx),
            "Content-Type": "application/json",
            "If-Match": f'"{1 + ctx.iteration}"',
        },
    )
