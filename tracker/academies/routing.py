"""The one way to declare an area of an academy: a blueprint under /a/<slug>, with g.academy.

A leaf module (models and the session only) so that every domain package can declare its
blueprints in its __init__.py without an import cycle.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g
from sqlalchemy import select

from tracker.academies.models import Academy
from tracker.db import db


def load_academy(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Put the academy named by the URL's <slug> in g.academy (404 when there is none)."""
    slug = (values or {}).pop("slug", None)
    academy = None
    if isinstance(slug, str):
        academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
    if academy is None:
        abort(404)
    g.academy = academy


def add_slug(endpoint: str, values: dict[str, Any]) -> None:
    """url_for() inside an academy fills in its slug."""
    if "slug" not in values and g.get("academy") is not None:
        values["slug"] = g.academy.slug


def academy_blueprint(name: str, import_name: str) -> Blueprint:
    """The one way to declare an area of an academy: URLs under /a/<slug>, g.academy loaded."""
    blueprint = Blueprint(name, import_name, url_prefix="/a/<slug>")
    blueprint.url_value_preprocessor(load_academy)
    blueprint.url_defaults(add_slug)
    return blueprint
