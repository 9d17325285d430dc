"""The "my work" page."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from flask_login import current_user

from tracker.auth.permissions import Permission, role_in
from tracker.db import db
from tracker.web import requires
from tracker.workspace import bp, services


@bp.route("/my-work")
@requires(Permission.ACADEMY_VIEW)
def my_work() -> Any:
    work = services.my_work(
        db.session, g.academy, current_user, role=role_in(current_user, g.academy)
    )
    return render_template("workspace/my_work.html", work=work)
