"""What templates can use: permissions, the current academy, labels, Markdown, formatting."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_locale
from flask_login import current_user

from tracker import formatting
from tracker.academies.labels import (
    MEMBER_EVENT_LABELS,
    ROLE_DESCRIPTIONS,
    ROLE_LABELS,
    STAGE_CATEGORY_LABELS,
    WIP_POLICY_LABELS,
    role_count,
)
from tracker.academies.models import Role
from tracker.academies.services import academies_of
from tracker.auth.permissions import Permission, can
from tracker.backlog.labels import NEED_STATUS_LABELS
from tracker.backlog.paths_services import colour_class
from tracker.db import db
from tracker.mail.labels import MAIL_STATUS_LABELS
from tracker.markdown import markdown_to_text, render_markdown, render_markdown_for_email
from tracker.navigation import academy_nav
from tracker.releases.labels import RELEASE_STATE_LABELS
from tracker.sprints.labels import SPRINT_STATE_LABELS

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def my_academies() -> list[Any]:
    """The academies of the logged-in person (one query per request, shared by the layout)."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("_my_academies")
    if cached is None:
        cached = academies_of(db.session, current_user)
        g._my_academies = cached
    return cached


def init_app(app: Flask) -> None:
    formatting.init_app(app)
    app.jinja_env.filters["markdown"] = render_markdown
    # An e-mail's HTML part: images as links, nothing loaded when the message is opened.
    app.jinja_env.filters["markdown_email"] = render_markdown_for_email
    # The text part of an e-mail that carries Markdown (its HTML part uses `markdown_email`).
    app.jinja_env.filters["markdown_text"] = markdown_to_text
    # A learning path's colour as a CSS class (static/css/brique.css): no inline style.
    app.jinja_env.globals["path_colour_class"] = colour_class
    app.jinja_env.globals.update(
        can=can,
        role_count=role_count,
        P=Permission,
        Role=Role,
        ROLE_LABELS=ROLE_LABELS,
        ROLE_DESCRIPTIONS=ROLE_DESCRIPTIONS,
        MEMBER_EVENT_LABELS=MEMBER_EVENT_LABELS,
        STAGE_CATEGORY_LABELS=STAGE_CATEGORY_LABELS,
        WIP_POLICY_LABELS=WIP_POLICY_LABELS,
        RELEASE_STATE_LABELS=RELEASE_STATE_LABELS,
        SPRINT_STATE_LABELS=SPRINT_STATE_LABELS,
        NEED_STATUS_LABELS=NEED_STATUS_LABELS,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        MAIL_STATUS_LABELS=MAIL_STATUS_LABELS,
        my_academies=my_academies,
        academy_nav=academy_nav,
        current_locale=lambda: str(get_locale() or "fr"),
    )

    @app.context_processor
    def current_academy() -> dict[str, Any]:
        return {"academy": g.get("academy")}
