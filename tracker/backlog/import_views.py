"""The backlog import's routes (BACKLOG_IMPORT): /backlog/import (upload page, dry run),
/backlog/import/confirm, /backlog/import/template.csv, on the backlog blueprint (/a/<slug>).

The flow, the routes and the pages are the shared ones of tracker/imports_web.py; the rules are in
tracker/backlog/io.py.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g
from flask_babel import ngettext

from tracker import imports_web
from tracker.auth.permissions import Permission
from tracker.backlog import bp, io, queries
from tracker.backlog.list_forms import ImportBricksForm
from tracker.backlog.models import Brick
from tracker.db import db
from tracker.imports import ImportPlan
from tracker.web import see_other


class BrickImport(imports_web.Importer[list[Brick]]):
    """New bricks at the bottom of the backlog, in the file's order."""

    rules = io.RULES
    endpoints = ("backlog.import_upload", "backlog.import_confirm", "backlog.import_template")
    form = ImportBricksForm
    texts = "backlog/_import_texts.html"
    context = {"format_names": io.FORMAT_NAMES}

    def done(self, plan: ImportPlan[Any], bricks: list[Brick]) -> Any:
        """Show the first new brick where it landed: its page of the unfiltered list."""
        flash(
            ngettext(
                "%(num)s brick imported at the bottom of the backlog.",
                "%(num)s bricks imported at the bottom of the backlog.",
                len(bricks),
            ),
            "success",
        )
        first = bricks[0]
        page = queries.page_of(db.session, g.academy, queries.BacklogFilters(), first)
        return see_other(
            "backlog.index", page=page if page > 1 else None, _anchor=f"brick-{first.number}"
        )


imports_web.add_routes(
    bp, BrickImport(), "/backlog/import", Permission.BACKLOG_IMPORT, "brique-import-template.csv"
)
