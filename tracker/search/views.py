"""The search page of an academy (the box the navigation holds sends here)."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from flask_login import current_user

from tracker.auth.permissions import Permission, role_in
from tracker.db import db
from tracker.search import bp, services
from tracker.search.labels import KIND_LABELS
from tracker.web import query_text, requires


@bp.route("/search")
@requires(Permission.ACADEMY_VIEW)
def index() -> Any:
    query = query_text("q", max_length=services.MAX_TERMS * services.MAX_TERM_LENGTH)
    results = services.search(
        db.session, g.academy, current_user, role=role_in(current_user, g.academy), query=query
    )
    return render_template(
        "search/index.html", results=results, kind_labels=KIND_LABELS, query=query
    )
