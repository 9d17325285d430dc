"""The "my work" page."""

from __future__ import annotations

from typing import Any

from flask import flash, g, jsonify, render_template
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.permissions import Permission, role_in, vendor_of
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm
from tracker.web import requires, see_other, submit
from tracker.workspace import bp, notifications, notify, services
from tracker.workspace.forms import DigestForm
from tracker.workspace.labels import KIND_LABELS
from tracker.workspace.models import DigestFrequency


@bp.route("/my-work")
@requires(Permission.ACADEMY_VIEW)
def my_work() -> Any:
    work = services.my_work(
        db.session, g.academy, current_user, role=role_in(current_user, g.academy)
    )
    return render_template("workspace/my_work.html", work=work)


@bp.route("/mentions.json")
@requires(Permission.BRICK_VIEW)
def mention_candidates() -> Any:
    """The names the "@" autocomplete offers (static/js/mentions.js) to those who write on
    bricks; without JavaScript, "@" and a name typed in full mention just the same."""
    names = notify.mention_candidates(
        db.session.connection(), g.academy.id, vendor_id=vendor_of(current_user, g.academy)
    )
    response = jsonify(names=names)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- Notifications ---------------------------------------------------------------------------


@bp.app_template_global()
def unread_notifications() -> int:
    """For the bell (templates/workspace/_bell.html): unread notifications here."""
    academy = g.get("academy")
    if academy is None or not current_user.is_authenticated:
        return 0
    return notifications.unread_count(db.session, academy, current_user)


@bp.route("/notifications")
@requires(Permission.ACADEMY_VIEW)
def notifications_list() -> Any:
    form = DigestForm(frequency=notifications.frequency_of(db.session, current_user).value)
    return render_template(
        "workspace/notifications.html",
        items=notifications.latest(db.session, g.academy, current_user),
        kind_labels=KIND_LABELS,
        form=form,
        confirm_form=ConfirmForm(),
    )


@bp.route("/notifications/read", methods=["POST"])
@requires(Permission.ACADEMY_VIEW)
def read_all() -> Any:
    submit(
        ConfirmForm(),
        lambda: notifications.mark_read(
            db.session, g.academy, current_user, now=utcnow(), notification_id=None
        ),
    )
    return see_other("workspace.notifications_list")


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@requires(Permission.ACADEMY_VIEW)
def read_one(notification_id: int) -> Any:
    notifications.get_own(db.session, g.academy, current_user, notification_id)
    submit(
        ConfirmForm(),
        lambda: notifications.mark_read(
            db.session, g.academy, current_user, now=utcnow(), notification_id=notification_id
        ),
    )
    return see_other("workspace.notifications_list")


@bp.route("/notifications/settings", methods=["POST"])
@requires(Permission.ACADEMY_VIEW)
def digest_settings() -> Any:
    form = DigestForm()
    done = submit(
        form,
        lambda: notifications.set_frequency(
            db.session, current_user, DigestFrequency(form.frequency.data)
        ),
    )
    if done:
        flash(_("Your e-mail setting is saved."), "success")
    else:
        flash(_("Choose how often to be e-mailed."), "error")
    return see_other("workspace.notifications_list")
