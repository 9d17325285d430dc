"""Saved views of the backlog: a person names the filters they use often and finds them again
in one click. A view is personal (nobody else lists it) and holds only filter arguments, as
a query string (the list's address: links to it are the same as a shared filtered view)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import SavedView
from tracker.errors import DomainError, NotFound

# Enough for every habit; a bound so that nobody fills a table from a form.
MAX_VIEWS = 30
NAME_MAX = 80


def views_of(session: Session, academy: Academy, user: User) -> list[SavedView]:
    return list(
        session.scalars(
            select(SavedView)
            .where(SavedView.academy_id == academy.id, SavedView.user_id == user.id)
            .order_by(func.lower(SavedView.name), SavedView.id)
        )
    )


def save_view(
    session: Session, academy: Academy, user: User, name: str, filters: dict[str, str]
) -> SavedView:
    """Keep `filters` (the valid filter arguments of the list) under `name`; a name the person
    already uses gets the new filters (two saves at once: one view, the last filters)."""
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Name the view."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            ngettext("At most %(num)s character.", "At most %(num)s characters.", NAME_MAX),
            field="name",
        )
    if not filters:
        raise DomainError(_("Choose at least one filter before saving a view."), field="name")
    query = urlencode(sorted(filters.items()))
    existing = _named(session, academy, user, name)
    if existing is None:
        count = session.scalar(
            select(func.count())
            .select_from(SavedView)
            .where(SavedView.academy_id == academy.id, SavedView.user_id == user.id)
        )
        if (count or 0) >= MAX_VIEWS:
            raise DomainError(
                ngettext(
                    "You have %(num)s saved view: remove it first.",
                    "You have %(num)s saved views: remove one first.",
                    MAX_VIEWS,
                ),
                field="name",
            )
        try:
            with session.begin_nested():
                view = SavedView(academy_id=academy.id, user_id=user.id, name=name, query=query)
                session.add(view)
            return view
        except IntegrityError:
            # The same person saved the same name at the same moment: replace theirs.
            existing = _named(session, academy, user, name)
            if existing is None:  # pragma: no cover - the index said it exists
                raise
    existing.query = query
    session.flush()
    return existing


def _named(session: Session, academy: Academy, user: User, name: str) -> SavedView | None:
    return session.scalar(
        select(SavedView).where(
            SavedView.academy_id == academy.id,
            SavedView.user_id == user.id,
            SavedView.name == name,
        )
    )


def own_view(session: Session, academy: Academy, user: User, view_id: int) -> SavedView:
    """One of the person's views (someone else's is not found: a view is private)."""
    view = session.scalar(
        select(SavedView).where(
            SavedView.id == view_id,
            SavedView.academy_id == academy.id,
            SavedView.user_id == user.id,
        )
    )
    if view is None:
        raise NotFound(_("This view does not exist."))
    return view


def delete_view(session: Session, view: SavedView) -> SavedView:
    session.delete(view)
    session.flush()
    return view


def view_args(view: SavedView) -> dict[str, str]:
    """The view's filters, as query arguments for url_for."""
    return dict(parse_qsl(view.query))


def export_for(session: Session, user: User) -> list[dict[str, Any]]:
    """The person's saved views, for their personal data export."""
    rows = session.execute(
        select(Academy.slug, SavedView.name, SavedView.query, SavedView.created_at)
        .join(Academy, Academy.id == SavedView.academy_id)
        .where(SavedView.user_id == user.id)
        .order_by(Academy.slug, SavedView.name)
    ).all()
    return [
        {"academy": slug, "name": name, "filters": query, "created_at": created.isoformat()}
        for slug, name, query, created in rows
    ]


def erase_for(session: Session, user: User) -> None:
    session.execute(delete(SavedView).where(SavedView.user_id == user.id))
