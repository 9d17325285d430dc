"""/api/v1/academies: the token's academies, their members, stages and learning paths."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user

from tracker.academies import services as academies
from tracker.api import schemas, services
from tracker.api.routing import allowed, api_blueprint, paged, reachable
from tracker.api.validation import checked
from tracker.auth.permissions import Permission, role_in
from tracker.backlog import paths_services as paths
from tracker.backlog.paths_forms import CreatePathForm
from tracker.backlog.paths_services import PALETTE_HEXES
from tracker.db import db
from tracker.web import name_rule

blp = api_blueprint("academies", "Academies, their members, board stages and learning paths.")

ACADEMY = "/academies/<slug>"


def _academy(academy: Any, role: Any) -> dict[str, Any]:
    return {
        "slug": academy.slug, "name": academy.name, "key_prefix": academy.key_prefix,
        "description": academy.description, "default_locale": academy.default_locale,
        "role": str(getattr(role, "value", role) or ""),
    }  # fmt: skip


@blp.route("/academies", methods=["GET"])
@allowed(None)
@paged(blp, schemas.AcademyPage)
def list_academies() -> Any:
    """The academies this token reaches (its owner's, or its one academy)."""
    found = [
        _academy(academy, role)
        for academy, role in academies.academies_of(db.session, current_user)
        if reachable(academy)
    ]
    return found


@blp.route(ACADEMY, methods=["GET"])
@allowed(Permission.ACADEMY_VIEW)
@blp.response(200, schemas.Academy)
def get_academy() -> Any:
    return _academy(g.academy, role_in(current_user, g.academy))


@blp.route(f"{ACADEMY}/members", methods=["GET"])
@allowed(Permission.MEMBER_LIST)
@paged(blp, schemas.MemberPage)
def list_members() -> Any:
    """The academy's members and their roles (service accounts marked)."""
    robots = services.service_user_ids(db.session, g.academy)
    found = [
        {
            "user_id": m.user_id,
            "display_name": m.user.display_name,
            "role": m.role.value,
            "service_account": m.user_id in robots,
        }
        for m in academies.list_members(db.session, g.academy)
    ]
    return found


@blp.route(f"{ACADEMY}/stages", methods=["GET"])
@allowed(Permission.BOARD_VIEW)
@paged(blp, schemas.StagePage)
def list_stages() -> Any:
    """The board's columns, left to right."""
    return academies.list_stages(db.session, g.academy)


@blp.route(f"{ACADEMY}/paths", methods=["GET"])
@allowed(Permission.PATH_VIEW)
@paged(blp, schemas.PathPage)
def list_paths() -> Any:
    return paths.list_paths(db.session, g.academy)


@blp.route(f"{ACADEMY}/paths/<int:path_id>", methods=["GET"])
@allowed(Permission.PATH_VIEW)
@blp.response(200, schemas.Path)
def get_path(path_id: int) -> Any:
    return paths.get_path(db.session, g.academy, path_id)


@blp.route(f"{ACADEMY}/paths", methods=["POST"])
@allowed(Permission.PATH_MANAGE, write=True)
@blp.arguments(schemas.PathCreate)
@blp.response(201, schemas.Path)
def create_path(body: dict[str, Any]) -> Any:
    """A new learning path (the page's form and rules: a unique name, a palette colour)."""
    body.setdefault("colour", PALETTE_HEXES[0])
    form = checked(CreatePathForm, body, is_name_taken=name_rule(paths.is_path_name_taken))
    path = paths.create_path(
        db.session, g.academy, name=form.name.data or "", colour=form.colour.data or "",
        description=form.description.data or "",
        target_population=form.target_population.data or "",
    )  # fmt: skip
    db.session.commit()
    return path, 201
