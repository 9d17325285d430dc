"""The webhooks settings pages of an academy: its managers subscribe, edit, disable or enable,
delete, read the delivery log and send a delivery again."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.forms import ConfirmForm
from tracker.web import query_page, requires, see_other, submit, submit_once, success
from tracker.webhooks import bp, services
from tracker.webhooks.forms import EndpointForm, NewEndpointForm
from tracker.webhooks.labels import DELIVERY_LABELS, EVENT_LABELS
from tracker.webhooks.models import WebhookEndpoint

PAGE_SIZE = 25


def _allow_private() -> bool:
    return bool(current_app.config["WEBHOOKS_ALLOW_PRIVATE"])


@bp.route("/settings/webhooks")
@requires(Permission.WEBHOOK_MANAGE)
def index() -> Any:
    return render_template(
        "webhooks/index.html",
        endpoints=services.list_endpoints(db.session, g.academy),
        EVENT_LABELS=EVENT_LABELS,
    )


@bp.route("/settings/webhooks/new", methods=["GET", "POST"])
@requires(Permission.WEBHOOK_MANAGE)
def create() -> Any:
    form = NewEndpointForm()
    if request.method == "GET":
        form.event_types.data = []
    shown: list[str] = []  # the secret, when this very request created the endpoint

    def create_endpoint() -> WebhookEndpoint:
        endpoint, secret = services.create_endpoint(
            db.session, g.academy, url=form.url.data or "", description=form.description.data or "",
            event_types=form.event_types.data or [], actor=current_user,
            allow_private=_allow_private(), app_secret_key=current_app.config["SECRET_KEY"],
            now=utcnow(),
        )  # fmt: skip
        shown.append(secret)
        return endpoint

    done = submit_once(form, WebhookEndpoint, create_endpoint)
    if done and done.value:
        if not shown:  # sent twice: the first answer showed the secret
            return see_other("webhooks.show", endpoint_id=done.value.id)
        # Shown once, in this answer only (never in a cookie, a log or a later page).
        return _show(done.value, secret=shown[0])
    return render_template("webhooks/new.html", form=form), done.status


def _show(
    endpoint: WebhookEndpoint,
    *,
    form: EndpointForm | None = None,
    secret: str = "",
    status: int = 200,
) -> Any:
    page = query_page()
    lines, total = services.delivery_log(db.session, endpoint, page=page, page_size=PAGE_SIZE)
    if form is None:
        form = EndpointForm(obj=endpoint)
    return (
        render_template(
            "webhooks/show.html",
            endpoint=endpoint,
            form=form,
            confirm_form=ConfirmForm(),
            secret=secret,
            lines=lines,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            total=total,
            EVENT_LABELS=EVENT_LABELS,
            DELIVERY_LABELS=DELIVERY_LABELS,
        ),
        status,
    )


@bp.route("/settings/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@requires(Permission.WEBHOOK_MANAGE)
def show(endpoint_id: int) -> Any:
    endpoint = services.get_endpoint(db.session, g.academy, endpoint_id)
    form = EndpointForm(obj=endpoint if request.method == "GET" else None)
    done = submit(
        form,
        lambda: services.update_endpoint(
            db.session, endpoint, url=form.url.data or "", description=form.description.data or "",
            event_types=form.event_types.data or [], allow_private=_allow_private(),
        ),
    )  # fmt: skip
    if done:
        return success(_("The webhook is saved."), "webhooks.show", endpoint_id=endpoint.id)
    return _show(endpoint, form=form, status=done.status)


@bp.route("/settings/webhooks/<int:endpoint_id>/enable", methods=["POST"])
@requires(Permission.WEBHOOK_MANAGE)
def enable(endpoint_id: int) -> Any:
    return _set_enabled(endpoint_id, True, _("The webhook is enabled: pending events leave now."))


@bp.route("/settings/webhooks/<int:endpoint_id>/disable", methods=["POST"])
@requires(Permission.WEBHOOK_MANAGE)
def disable(endpoint_id: int) -> Any:
    return _set_enabled(endpoint_id, False, _("The webhook is disabled."))


def _set_enabled(endpoint_id: int, enabled: bool, said: str) -> Any:
    endpoint = services.get_endpoint(db.session, g.academy, endpoint_id)
    done = submit(ConfirmForm(), lambda: services.set_enabled(db.session, endpoint, enabled))
    if done:
        flash(said, "success")
    return see_other("webhooks.show", endpoint_id=endpoint.id)


@bp.route("/settings/webhooks/<int:endpoint_id>/rotate-secret", methods=["POST"])
@requires(Permission.WEBHOOK_MANAGE)
def rotate_secret(endpoint_id: int) -> Any:
    endpoint = services.get_endpoint(db.session, g.academy, endpoint_id)
    done = submit(
        ConfirmForm(),
        lambda: services.rotate_secret(
            db.session, endpoint, app_secret_key=current_app.config["SECRET_KEY"]
        ),
    )
    if done and done.value:
        return _show(endpoint, secret=done.value)
    return see_other("webhooks.show", endpoint_id=endpoint.id)


@bp.route("/settings/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@requires(Permission.WEBHOOK_MANAGE)
def delete(endpoint_id: int) -> Any:
    endpoint = services.get_endpoint(db.session, g.academy, endpoint_id)
    done = submit(ConfirmForm(), lambda: services.delete_endpoint(db.session, endpoint))
    if done:
        return success(_("The webhook is deleted."), "webhooks.index")
    return see_other("webhooks.show", endpoint_id=endpoint.id)


@bp.route(
    "/settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/send-again",
    methods=["POST"],
)
@requires(Permission.WEBHOOK_MANAGE)
def send_again(endpoint_id: int, delivery_id: int) -> Any:
    endpoint = services.get_endpoint(db.session, g.academy, endpoint_id)
    done = submit(
        ConfirmForm(),
        lambda: services.send_again(db.session, endpoint, delivery_id, now=utcnow()),
    )
    if done:
        flash(_("The event will be sent again, after the pending ones."), "success")
    return see_other("webhooks.show", endpoint_id=endpoint.id)
