"""Learning-data pages: the academy's LRS settings and pull, a brick's identifiers."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.permissions import Permission
from tracker.backlog.models import Brick
from tracker.backlog.services import get_brick
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm
from tracker.learning import bp, services
from tracker.learning.forms import BrickLinkForm, LrsForm
from tracker.learning.models import LrsAuth
from tracker.web import requires, see_other, submit, success


@bp.route("/learning/", methods=["GET", "POST"])
@requires(Permission.LEARNING_MANAGE)
def settings() -> Any:
    current = services.get_settings(db.session, g.academy)
    form = LrsForm(
        data={
            "endpoint": current.lrs_endpoint,
            "auth": current.lrs_auth.value,
            "username": current.lrs_username,
            "business_unit_extension": current.business_unit_extension,
        }
    )

    def secret_of() -> str | None:
        if form.clear_secret.data == "clear":
            return ""
        return form.secret.data or None

    done = submit(
        form,
        lambda: services.update_lrs(
            db.session, g.academy, endpoint=form.endpoint.data or "",
            auth=LrsAuth(form.auth.data), username=form.username.data or "",
            secret=secret_of(),
            business_unit_extension=form.business_unit_extension.data or "", now=utcnow(),
        ),
    )  # fmt: skip
    if done:
        return success(_("The learning data settings are saved."), "learning.settings")
    form.secret.data = ""  # never shown back
    return render_template(
        "learning/settings.html",
        form=form,
        settings=current,
        pull_form=ConfirmForm(),
        has_key=bool(current_app.config["LEARNER_KEY"]),
    ), done.status


@bp.route("/learning/pull", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def pull() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return see_other("learning.settings")
    report = services.pull_statements(
        db.session, g.academy, key=current_app.config["LEARNER_KEY"], now=utcnow(),
        timeout=float(current_app.config["LRS_TIMEOUT"]), checkpoint=db.session.commit,
    )  # fmt: skip
    db.session.commit()
    if report.errors:
        flash(_("The LRS could not be read: %(error)s", error=report.errors[0]), "error")
    else:
        flash(
            ngettext(
                "%(num)s statement read; new facts: %(stored)s.",
                "%(num)s statements read; new facts: %(stored)s.",
                report.read,
                stored=report.stored,
            ),
            "success",
        )
    return see_other("learning.settings")


@bp.route("/bricks/<int:number>/learning", methods=["GET", "POST"])
@requires(Permission.LEARNING_LINK)
def brick_link(number: int) -> Any:
    brick = get_brick(db.session, g.academy, number)
    current = services.brick_identifiers(db.session, brick)
    form = BrickLinkForm(
        data={"course_id": current.course_id, "activity_iris": "\n".join(current.iris)}
    )
    done = submit(
        form,
        lambda: services.set_brick_identifiers(
            db.session, brick, course_id=form.course_id.data or "",
            iris=services.split_iris(form.activity_iris.data or ""),
        ),
    )  # fmt: skip
    if done:
        return success(
            _("The learning platform identifiers of %(key)s are saved.", key=brick.key),
            "backlog.brick",
            number=brick.number,
        )
    return render_template("learning/brick_link.html", form=form, brick=brick), done.status


def brick_learning_identifiers(brick: Brick) -> services.BrickIdentifiers:
    """The brick's LMS course id and xAPI IRIs: for the brick page."""
    return services.brick_identifiers(db.session, brick)


bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        brick_learning_identifiers=brick_learning_identifiers,
    )
)
