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

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership, Role
from tracker.auth.models import User
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
        objectives=[(f"Objectif {n}", "apply") for n in range(5)],
    )  # fmt: skip
    for n in range((size or 200) - 1):
        if n % 2:
            services.add_comment(session, brick, author=manager, body=f"Commentaire **{n}**")
        else:
            services.update_brick(
                session, brick, actor=manager, expected_version=brick.version,
                summary=f"Résumé {n}", learner_minutes=n,
            )  # fmt: skip
    return {"brick_number": brick.number}


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


@case("floor", server="floor")
def floor(ctx: Context) -> Request:
    """gunicorn serving fixed bytes from memory (bench/floor.py): the ceiling for any page."""
    return Request("/")


# Cases kept in their own modules register themselves on import (after `case` exists).
import bench.feedback_cases  # noqa: E402, F401
