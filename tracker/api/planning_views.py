"""/api/v1 sprints (read, plan, start, close), releases (read, decide, mark released) and
published release notes: the services the sprint and release pages call."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api import schemas
from tracker.api.routing import allowed, api_blueprint, paged
from tracker.api.validation import FormInvalid
from tracker.auth.permissions import Permission, role_in
from tracker.db import db, utcnow
from tracker.releases import notes
from tracker.releases import services as releases
from tracker.sprints import services as sprints

blp = api_blueprint("planning", "Sprints, releases and release notes.")

ACADEMY = "/academies/<slug>"
SPRINT = f"{ACADEMY}/sprints/<int:sprint_id>"
RELEASE = f"{ACADEMY}/releases/<int:release_id>"


# -- Sprints -----------------------------------------------------------------------------------


@blp.route(f"{ACADEMY}/sprints", methods=["GET"])
@allowed(Permission.SPRINT_VIEW)
@paged(blp, schemas.SprintPage)
def list_sprints() -> Any:
    return sprints.list_sprints(db.session, g.academy)


@blp.route(SPRINT, methods=["GET"])
@allowed(Permission.SPRINT_VIEW)
@blp.response(200, schemas.Sprint)
def get_sprint(sprint_id: int) -> Any:
    return sprints.get_sprint(db.session, g.academy, sprint_id)


@blp.route(f"{SPRINT}/plan", methods=["POST"])
@allowed(Permission.SPRINT_MANAGE, write=True)
@blp.arguments(schemas.SprintPlan)
@blp.response(200, schemas.Sprint)
def plan_sprint(body: dict[str, Any], sprint_id: int) -> Any:
    """Bricks join (`add`) or leave (`remove`) the sprint, by number; a sprint that has
    started needs a `reason` (its scope log), as on the planning page."""
    sprint = sprints.get_sprint(db.session, g.academy, sprint_id)
    now = utcnow()
    if body["add"]:
        sprints.commit_bricks(
            db.session, sprint, body["add"], actor=current_user, reason=body["reason"], now=now
        )
    if body["remove"]:
        sprints.remove_bricks(
            db.session, sprint, body["remove"], actor=current_user, reason=body["reason"], now=now
        )
    db.session.commit()
    return sprint


@blp.route(f"{SPRINT}/start", methods=["POST"])
@allowed(Permission.SPRINT_MANAGE, write=True)
@blp.response(200, schemas.Sprint)
def start_sprint(sprint_id: int) -> Any:
    """Start the sprint: its bricks become its baseline."""
    sprint = sprints.get_sprint(db.session, g.academy, sprint_id)
    sprints.start_sprint(db.session, sprint, actor=current_user, now=utcnow())
    db.session.commit()
    return sprint


@blp.route(f"{SPRINT}/close", methods=["POST"])
@allowed(Permission.SPRINT_MANAGE, write=True)
@blp.arguments(schemas.SprintClose)
@blp.response(200, schemas.Sprint)
def close_sprint(body: dict[str, Any], sprint_id: int) -> Any:
    """Close the active sprint; `destinations` sends each unfinished brick (by number) to a
    planned sprint, or to the backlog (null). A brick left out refuses the close (409)."""
    sprint = sprints.get_sprint(db.session, g.academy, sprint_id)
    destinations = {int(number): target for number, target in body["destinations"].items()}
    sprints.close_sprint(db.session, sprint, destinations, actor=current_user, now=utcnow())
    db.session.commit()
    return sprint


# -- Releases ----------------------------------------------------------------------------------


@blp.route(f"{ACADEMY}/releases", methods=["GET"])
@allowed(Permission.RELEASE_VIEW)
@paged(blp, schemas.ReleasePage)
def list_releases() -> Any:
    return releases.list_releases(db.session, g.academy)


@blp.route(RELEASE, methods=["GET"])
@allowed(Permission.RELEASE_VIEW)
@blp.response(200, schemas.Release)
def get_release(release_id: int) -> Any:
    return releases.get_release(db.session, g.academy, release_id)


@blp.route(f"{RELEASE}/decision", methods=["POST"])
@allowed(Permission.RELEASE_DECIDE, write=True)
@blp.arguments(schemas.ReleaseDecision)
@blp.response(200, schemas.Release)
def decide_release(body: dict[str, Any], release_id: int) -> Any:
    """Go, go with reserves, or no-go on the release's last closed round."""
    release = releases.get_release(db.session, g.academy, release_id)
    releases.record_decision(
        db.session, release, outcome=body["outcome"], reserves=body["reserves"],
        comment=body["comment"], actor=current_user, now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    return release


def _destination(value: Any) -> int | str | None:
    if value is None or value == releases.KEEP:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return value
    raise FormInvalid({"destinations": [_('A release id, null or "keep".')]})


@blp.route(f"{RELEASE}/released", methods=["POST"])
@allowed(Permission.RELEASE_DECIDE, write=True)
@blp.arguments(schemas.ReleaseRelease)
@blp.response(200, schemas.Release)
def mark_released(body: dict[str, Any], release_id: int) -> Any:
    """Mark the approved release released (the gate passed, or an override's reason; done
    bricks only, unless `destinations` moves or keeps the unfinished ones)."""
    release = releases.get_release(db.session, g.academy, release_id)
    destinations = {int(k): _destination(v) for k, v in body["destinations"].items()}
    releases.mark_released(
        db.session, release, override_reason=body["override_reason"],
        destinations=destinations, unfinished_reason=body["unfinished_reason"],
        actor=current_user, now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    return release


# -- Release notes -----------------------------------------------------------------------------


@blp.route(f"{ACADEMY}/notes", methods=["GET"])
@allowed(Permission.NOTES_READ)
@paged(blp, schemas.NotesPage)
def list_notes() -> Any:
    """Published release notes, newest first (testers: those of releases they tested)."""
    readable = notes.readable_release_ids(
        db.session, g.academy, current_user, role_in(current_user, g.academy)
    )
    found = [
        {
            "release_id": n.release_id,
            "release_name": n.release.name,
            "body": n.published_body,
            "published_at": n.published_at,
        }
        for n in notes.published_notes(db.session, g.academy, release_ids=readable)
    ]
    return found
