"""Saved views of the backlog: a person names the filters they use often and finds them again
in one click. A view holds only filter arguments, as a query string (the list's address:
links to it are the same as a shared filtered view). It is personal unless its author shares
it with the academy (a manager or a designer may): then the academy's team lists it beside
their own, under its author's name; a vendor's member is not offered the team's views (their
names speak of bricks they do not see). A shared view is changed or removed by its author;
a manager may also remove it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

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


def shared_views(session: Session, academy: Academy, user: User) -> list[SavedView]:
    """The views other members share with the academy, with their author."""
    return list(
        session.scalars(
            select(SavedView)
            .where(
                SavedView.academy_id == academy.id,
                SavedView.user_id != user.id,
                SavedView.shared.is_(True),
            )
            .options(joinedload(SavedView.user))
            .order_by(func.lower(SavedView.name), SavedView.id)
        )
    )


def save_view(
    session: Session,
    academy: Academy,
    user: User,
    name: str,
    filters: dict[str, str],
    *,
    shared: bool = False,
    may_share: bool = False,
) -> SavedView:
    """Keep `filters` (the valid filter arguments of the list) under `name`, shared with the
    academy or not; a name the person already uses gets the new filters (two saves at once:
    one view, the last filters)."""
    if shared and not may_share:
        raise DomainError(_("Only a manager or a designer shares a view."))
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
                view = SavedView(
                    academy_id=academy.id, user_id=user.id, name=name, query=query, shared=shared
                )
                session.add(view)
            return view
        except IntegrityError:
            # The same person saved the same name at the same moment: replace theirs.
            existing = _named(session, academy, user, name)
            if existing is None:  # pragma: no cover - the index said it exists
                raise
    existing.query = query
    existing.shared = shared
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


def removable_view(
    session: Session, academy: Academy, user: User, view_id: int, *, is_manager: bool
) -> SavedView:
    """One of the person's views, or for a manager a view shared with the academy; any other
    is not found (a private view is nobody else's business)."""
    mine = SavedView.user_id == user.id
    view = session.scalar(
        select(SavedView).where(
            SavedView.id == view_id,
            SavedView.academy_id == academy.id,
            (mine | SavedView.shared.is_(True)) if is_manager else mine,
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
        select(
            Academy.slug, SavedView.name, SavedView.query, SavedView.shared, SavedView.created_at
        )
        .join(Academy, Academy.id == SavedView.academy_id)
        .where(SavedView.user_id == user.id)
        .order_by(Academy.slug, SavedView.name)
    ).all()
    return [
        {
            "academy": slug,
            "name": name,
            "filters": query,
            "shared": shared,
            "created_at": created.isoformat(),
        }
        for slug, name, query, shared, created in rows
    ]


def erase_for(session: Session, user: User) -> None:
    session.execute(delete(SavedView).where(SavedView.user_id == user.id))
