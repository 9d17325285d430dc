"""The benchmark cases: what each one seeds and which request its clients repeat. Add yours here.

A case is registered with the ``@case(...)`` decorator on its request builder:

    @case("backlog", seed=seed_bricks, sized=True, login_as="manager")
    def backlog(ctx: Context) -> Request:
        return Request(f"/a/{ctx.facts['academy_slug']}/backlog")

- The runner always seeds the demo academy first (tracker.demo: slug ``academie-digitale``,
  every demo person with the password bench.cases.PASSWORD). Its facts are in ``ctx.facts``:
  ``academy_slug``, ``academy_id``.
- ``seed(session, size)`` then adds the case's own data with the services or bulk inserts (it is
  called inside an app context, French locale; flush, do not commit) and may return more facts
  (ids to request, for example), merged into ``ctx.facts``. ``size`` is one of ``--sizes`` when
  the case is ``sized``, else None. Cases with the same seed function and size share one database
  and one server, so give cases that can share data the same seed function.
- The builder is called before every request: use ``ctx.client`` (0..N-1) and ``ctx.iteration``
  to spread requests over several objects; ``ctx.csrf_token`` is valid for the client's session,
  for POST cases (send it as a ``csrf_token`` form field or an ``X-CSRFToken`` header).
- ``login_as`` is a demo role (``manager``, ``designer``, ``tester``, ``stakeholder``, ``admin``)
  or an e-mail address: each client logs in through the real /login form with its own session.
  None means anonymous.
- ``server="floor"`` serves bench/floor.py (fixed bytes from memory) instead of the app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.demo import DEMO_SLUG

# The demo people's password in benchmark databases (they live only for the run, on loopback).
PASSWORD = "bench-password-not-secret"


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expect: int = 200  # any other status counts as an error
    counted: bool = True  # False: sent and checked, left out of the figures (a background writer)


@dataclass(frozen=True)
class Context:
    facts: Mapping[str, Any]  # the demo's facts and what the case's seed returned
    size: int | None
    client: int  # which client (0..concurrency-1)
    iteration: int  # how many requests this client has sent in this case so far
    csrf_token: str  # valid for this client's session ("" for anonymous clients)


Seed = Callable[[Session, int | None], Mapping[str, Any] | None]
Builder = Callable[[Context], Request]


@dataclass(frozen=True)
class Case:
    name: str
    build: Builder
    seed: Seed | None = None
    sized: bool = False
    login_as: str | None = None
    server: str = "app"  # "app" or "floor"
    description: str = ""


CASES: dict[str, Case] = {}


def case(
    name: str,
    *,
    seed: Seed | None = None,
    sized: bool = False,
    login_as: str | None = None,
    server: str = "app",
) -> Callable[[Builder], Builder]:
    """Register the decorated request builder as the case `name` (its docstring describes it)."""

    def register(build: Builder) -> Builder:
        if name in CASES:
            raise ValueError(f"two benchmark cases are called {name!r}")
        if server not in ("app", "floor"):
            raise ValueError(f"unknown server {server!r} for case {name!r}")
        description = (build.__doc__ or "").strip().splitlines()
        CASES[name] = Case(
            name=name,
            build=build,
            seed=seed,
            sized=sized,
            login_as=login_as,
            server=server,
            description=description[0] if description else "",
        )
        return build

    return register


# -- Seeds ------------------------------------------------------------------------------------


def seed_members(session: Session, size: int | None) -> Mapping[str, Any]:
    """`size` more testers in the demo academy (bulk inserted: no password, no e-mail sent)."""
    academy_id = session.scalar(select(Academy.id).where(Academy.slug == DEMO_SLUG))
    now = dt.datetime.now(dt.UTC)
    count = size or 0
    if count:
        session.execute(
            insert(User),
            [
                {
                    "email": f"bench-tester-{n}@brique.example",
                    "display_name": f"Testeur {n}",
                    "password_hash": None,
                    "locale": "fr",
                    "is_admin": False,
                    "is_active_account": True,
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        ids = session.scalars(
            select(User.id).where(User.email.like("bench-tester-%@brique.example"))
        ).all()
        session.execute(
            insert(Membership),
            [
                {"academy_id": academy_id, "user_id": user_id, "role": Role.TESTER}
                for user_id in ids
            ],
        )
    return {"extra_members": count}


def seed_brick_history(session: Session, size: int | None) -> Mapping[str, Any]:
    """One brick of the demo academy with `size` history events (edits and comments)."""
    from tracker.backlog import services

    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    manager = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.academy_id == academy.id, Membership.role == Role.MANAGER)
    ).first()
    brick = services.create_brick(
        session, academy, actor=manager, title="Banc : une brique très commentée",
        format="video", description="## Plan\n\n" + "- une étape\n" * 20,
        objectives=[(f"Objectif {n}", "apply") for n in range(5)], now=utcnow(),
    )  # fmt: skip
    for n in range((size or 200) - 1):
        if n % 2:
            services.add_comment(
                session, brick, author=manager, body=f"Commentaire **{n}**", now=utcnow()
            )
        else:
            services.update_brick(
                session, brick, actor=manager, expected_version=brick.version,
                summary=f"Résumé {n}", learner_minutes=n, now=utcnow(),
            )  # fmt: skip
    return {"brick_number": brick.number}


def seed_backlog(session: Session, size: int | None) -> Mapping[str, Any]:
    """The demo academy's backlog topped up to `size` bricks (bulk inserted, spread over the
    demo's stages, paths, sprints, releases and owners so that every column has something)."""
    from tracker.academies.models import Stage
    from tracker.backlog.models import Brick, BrickFormat, LearningPath
    from tracker.backlog.ranking import STEP
    from tracker.releases.models import Release
    from tracker.sprints.models import Sprint

    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()

    def ids(model: Any) -> list[int]:
        return list(session.scalars(select(model.id).where(model.academy_id == academy.id)))

    stages, paths, sprints, releases = ids(Stage), ids(LearningPath), ids(Sprint), ids(Release)
    owners = list(
        session.scalars(
            select(Membership.user_id).where(
                Membership.academy_id == academy.id,
                Membership.role.in_((Role.MANAGER, Role.DESIGNER)),
            )
        )
    )
    existing = session.scalar(select(func.count(Brick.id)).where(Brick.academy_id == academy.id))
    last_rank = session.scalar(select(func.max(Brick.rank)).where(Brick.academy_id == academy.id))
    count = max(0, (size or 0) - int(existing or 0))
    formats = list(BrickFormat)
    now = dt.datetime.now(dt.UTC)
    # Read from the table: the demo's bricks moved the counter with Core updates.
    last_number = session.scalar(
        select(func.max(Brick.number)).where(Brick.academy_id == academy.id)
    )
    first = int(last_number or 0) + 1
    rows = [
        {
            "academy_id": academy.id,
            "number": first + n,
            "title": f"Brique de banc {n}" + (" : cybersécurité et données" if n % 3 == 0 else ""),
            "summary": "",
            "description": "Une description de banc d'essai." * (n % 4),
            "format": formats[n % len(formats)],
            "learner_minutes": 15 + n % 120,
            "estimate_points": n % 8 or None,
            "rank": (last_rank or 0) + (n + 1) * STEP,
            "stage_id": stages[n % len(stages)],
            "sprint_id": sprints[n % len(sprints)] if sprints and n % 4 == 0 else None,
            "release_id": releases[n % len(releases)] if releases and n % 3 == 0 else None,
            "learning_path_id": paths[n % len(paths)] if paths and n % 5 else None,
            "owner_id": owners[n % len(owners)] if owners and n % 2 else None,
            "language": "fr" if n % 7 else "en",
            "created_at": now,
            "updated_at": now,
            "stage_entered_at": now,
            "version": 1,
        }
        for n in range(count)
    ]
    if rows:
        session.execute(insert(Brick), rows)
        session.execute(
            update(Academy).where(Academy.id == academy.id).values(brick_counter=first + count - 1)
        )
    session.flush()
    return {"backlog_bricks": int(existing or 0) + count}


# -- Cases ------------------------------------------------------------------------------------


@case("login")
def login_page(ctx: Context) -> Request:
    """GET /login, anonymous (the form with its CSRF token)."""
    return Request("/login")


@case("academy-home", seed=seed_members, sized=True, login_as="manager")
def academy_home(ctx: Context) -> Request:
    """The academy home page, as its manager; size = extra testers in the academy."""
    return Request(f"/a/{ctx.facts['academy_slug']}/")


@case("brick-page", seed=seed_brick_history, sized=True, login_as="designer")
def brick_page(ctx: Context) -> Request:
    """One brick's page, as a designer; size = events in its history (half are comments)."""
    return Request(f"/a/{ctx.facts['academy_slug']}/bricks/{ctx.facts['brick_number']}")


@case("backlog", seed=seed_backlog, sized=True, login_as="manager")
def backlog(ctx: Context) -> Request:
    """The backlog list (first page of 100), as a manager; size = bricks in the backlog."""
    return Request(f"/a/{ctx.facts['academy_slug']}/backlog")


@case("backlog-filtered", seed=seed_backlog, sized=True, login_as="manager")
def backlog_filtered(ctx: Context) -> Request:
    """The backlog searched for a word (accented) and filtered by language, its second page."""
    query = "q=cybers%C3%A9curit%C3%A9&language=fr&page=2"
    return Request(f"/a/{ctx.facts['academy_slug']}/backlog?{query}")


@case("floor", server="floor")
def floor(ctx: Context) -> Request:
    """gunicorn serving fixed bytes from memory (bench/floor.py): the ceiling for any page."""
    return Request("/")


# Cases kept in their own modules register themselves on import (after `case` exists).
import bench.api_cases  # noqa: E402
import bench.board_cases  # noqa: E402
import bench.feedback_cases  # noqa: E402
import bench.round_cases  # noqa: E402, F401
