"""/api/v1/academies/<slug>/bricks: the backlog through the API.

Bodies are checked by their schema (types), then fed through the brick page's own form (its
lengths, choices of this academy, durations, links) and handed to the same services as the
pages (sprints.scope for create and edit, board.services for moves, backlog.reorder for the
priority order). The brick's version is its ETag; changes need If-Match.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.api import schemas
from tracker.api.routing import (
    allowed,
    api_blueprint,
    decode_cursor,
    encode_cursor,
    etag,
    expected_version,
    next_link,
)
from tracker.api.validation import FormInvalid, form_data, validated
from tracker.auth.permissions import Permission
from tracker.backlog import presenting, queries, reorder, services
from tracker.backlog.forms import BrickForm, CreateBrickForm, EditBrickForm
from tracker.backlog.models import Brick
from tracker.board import services as board
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.sprints import scope

blp = api_blueprint("bricks", "The backlog: bricks, their board moves and priority order.")

BRICKS = "/academies/<slug>/bricks"
BRICK = "/academies/<slug>/bricks/<int:number>"


def _reference(raw: str | None) -> int | None:
    if not raw:
        return None
    return queries.UNASSIGNED if raw == "none" else int(raw)


def _filters(args: dict[str, Any]) -> queries.BacklogFilters:
    return queries.BacklogFilters(
        format=args.get("format"),
        learning_path_id=_reference(args.get("path")),
        stage_id=int(args["stage"]) if args.get("stage") else None,
        owner_id=_reference(args.get("owner")),
        sprint_id=_reference(args.get("sprint")),
        release_id=_reference(args.get("release")),
        language=args.get("language") or None,
        text=args.get("q", ""),
    )


@blp.route(BRICKS, methods=["GET"])
@allowed(Permission.BRICK_VIEW)
@blp.arguments(schemas.BrickFilters, location="query", as_kwargs=False)
@blp.response(200, schemas.BrickPage)
def list_bricks(args: dict[str, Any]) -> Any:
    """The backlog in priority order, filtered as on the backlog page."""
    conditions = queries.filter_conditions(g.academy, _filters(args))
    cursor = decode_cursor(2)
    if cursor is not None:
        rank, brick_id = cursor
        conditions.append(or_(Brick.rank > rank, and_(Brick.rank == rank, Brick.id > brick_id)))
    limit = int(args["limit"])
    found = list(
        db.session.scalars(
            select(Brick)
            .where(*conditions)
            .options(joinedload(Brick.academy), selectinload(Brick.objectives))
            .order_by(Brick.rank, Brick.id)
            .limit(limit + 1)
        )
    )
    more = len(found) > limit
    items = found[:limit]
    last = items[-1] if items else None
    token = encode_cursor([last.rank, last.id]) if more and last is not None else None
    return {"items": items, "next": next_link(token)}


def _answer(brick: Brick, status: int = 200) -> Any:
    return brick, status, {"ETag": etag(brick.version)}


@blp.route(BRICK, methods=["GET"])
@allowed(Permission.BRICK_VIEW)
@blp.response(200, schemas.Brick)
def get_brick(number: int) -> Any:
    """One brick; its ETag is its version."""
    return _answer(services.get_brick(db.session, g.academy, number))


def _checked_form(form_class: type[BrickForm], values: dict[str, Any], brick: Brick | None) -> Any:
    form = form_class(formdata=form_data(values), meta={"csrf": False})
    picks = services.brick_choices(
        db.session, g.academy, vendor_id=brick.vendor_id if brick is not None else None
    )
    form.set_choices(
        stages=picks.stages, sprints=picks.sprints, releases=picks.releases,
        learning_paths=picks.learning_paths, owners=picks.owners, reviewers=picks.reviewers,
        locale=presenting.current_locale_code(),
        current_language=brick.language if brick is not None else None,
    )  # fmt: skip
    if brick is not None:
        form.keep_people(brick)
    return validated(form)


@blp.route(BRICKS, methods=["POST"])
@allowed(Permission.BRICK_CREATE, write=True)
@blp.arguments(schemas.BrickCreate)
@blp.response(201, schemas.Brick)
def create_brick(body: dict[str, Any]) -> Any:
    """Create a brick at the bottom of the backlog (in the first stage unless `stage_id`)."""
    body.setdefault("stage_id", services.first_stage(db.session, g.academy).id)
    body.setdefault("language", g.academy.default_locale)
    form = _checked_form(CreateBrickForm, body, None)
    values = form.brick_values()
    brick = scope.create_brick(
        db.session, g.academy, actor=current_user, title=values.pop("title"),
        format=values.pop("format"), objectives=form.objective_values(),
        scope_reason=form.scope_reason.data, now=utcnow(), **values,
    )  # fmt: skip
    db.session.commit()
    return _answer(brick, 201)


@blp.route(BRICK, methods=["PATCH"])
@allowed(Permission.BRICK_EDIT, write=True)
@blp.arguments(schemas.BrickFields)
@blp.response(200, schemas.Brick)
@blp.alt_response(412, description="The If-Match version is not the current one")
@blp.alt_response(428, description="If-Match is missing")
def update_brick(body: dict[str, Any], number: int) -> Any:
    """Change some of the brick's fields (the others stay); needs If-Match."""
    brick = services.load_brick_page(db.session, g.academy, number)
    version = expected_version(brick.version)
    current = presenting.edit_form_data(brick)
    current.pop("original", None)
    if "objectives" not in body:
        current.pop("objectives", None)
    form = _checked_form(EditBrickForm, {**current, **body, "version": version}, brick)
    scope.edit_brick(
        db.session, brick, actor=current_user, expected_version=version,
        objectives=form.objective_values() if "objectives" in body else None,
        scope_reason=form.scope_reason.data, now=utcnow(), **form.brick_values(),
    )  # fmt: skip
    db.session.commit()
    return _answer(brick)


@blp.route(BRICK, methods=["DELETE"])
@allowed(Permission.BRICK_DELETE, write=True)
@blp.response(204)
def delete_brick(number: int) -> Any:
    """Delete a brick (its history stays). If-Match, when sent, must be current."""
    brick = services.get_brick(db.session, g.academy, number)
    if request.headers.get("If-Match", "").strip():
        expected_version(brick.version)
    services.delete_brick(db.session, brick, actor=current_user, now=utcnow())
    db.session.commit()
    return "", 204


@blp.route(f"{BRICK}/move", methods=["POST"])
@allowed(Permission.CARD_MOVE, write=True)
@blp.arguments(schemas.BrickMove)
@blp.response(200, schemas.Brick)
@blp.alt_response(412, description="The If-Match version is not the current one")
@blp.alt_response(428, description="If-Match is missing")
def move_brick(body: dict[str, Any], number: int) -> Any:
    """Move the brick on the board (the board's rules: WIP limits, definition of done)."""
    brick = services.get_brick(db.session, g.academy, number)
    version = expected_version(brick.version)
    drop = board.CardDrop(
        number=number, version=version, stage_id=body["stage_id"], after=body.get("after"),
        before=body.get("before"), position=body.get("position"),
        override_reason=body.get("override_reason"),
    )  # fmt: skip
    moved = board.move_card(db.session, g.academy, drop, actor=current_user, now=utcnow())
    db.session.commit()
    return _answer(moved.brick)


@blp.route(f"{BRICK}/reorder", methods=["POST"])
@allowed(Permission.BACKLOG_REORDER, write=True)
@blp.arguments(schemas.BrickReorder)
@blp.response(200, schemas.Brick)
@blp.alt_response(412, description="The If-Match version is not the current one")
@blp.alt_response(428, description="If-Match is missing")
def reorder_brick(body: dict[str, Any], number: int) -> Any:
    """Change the brick's place in the backlog's priority order: a position (1 = top), or
    just before / after another brick (exactly one of the three)."""
    brick = services.get_brick(db.session, g.academy, number)
    expected_version(brick.version)
    given = [name for name in ("position", "after", "before") if body.get(name) is not None]
    if len(given) != 1:
        raise FormInvalid({"position": [_("Give exactly one of position, after, before.")]})
    now = utcnow()
    if given == ["position"]:
        reorder.move_brick_to_position(
            db.session, brick, body["position"], actor=current_user, now=now
        )
    else:
        other = services.get_brick(db.session, g.academy, body[given[0]])
        try:
            reorder.move_brick(db.session, brick, actor=current_user, now=now, **{given[0]: other})
        except DomainError as error:
            error.field = error.field or given[0]
            raise
    db.session.commit()
    return _answer(brick)
