"""Brick pages: create, view, edit, delete, comments, definition of done.

`bp` is the backlog blueprint (/a/<slug>/...). Other modules attach their routes to it:
tracker/backlog/list_views.py (the backlog list, filters, bulk actions, import/export) and the
learning paths and training needs views import `bp` from here and add routes to it; they must
be imported before the blueprint is registered (see tracker/__init__.py _register_blueprints).
"""

from __future__ import annotations

from flask import Blueprint

from tracker.academies.views import add_slug, load_academy

bp = Blueprint("backlog", __name__, url_prefix="/a/<slug>")
# The same academy loading as the academy blueprint: g.academy from the slug, 404 if unknown.
bp.url_value_preprocessor(load_academy)
bp.url_defaults(add_slug)
