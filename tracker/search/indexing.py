"""Keeping the search documents in step with what they describe, from the ORM's flush.

Why from the flush and not from database triggers: the text of a document is assembled from
several columns the same way on both engines (one Python function per kind), every service
that writes these things goes through the ORM, and the document is written in the same
transaction as the change. Deletions need nothing here: the document's foreign key cascades.
Bulk Core inserts (the bench's seed) call `reindex_academy` afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from tracker.backlog.models import Brick, LearningPath, TrainingNeed
from tracker.feedback.models import FeedbackRound
from tracker.releases.models import Release
from tracker.search.models import DocumentKind, SearchDocument

# kind, the document's foreign key, the columns read, how they make (title, content, number).
Fields = tuple[str, str, int | None]


def _brick(row: Any) -> Fields:
    return row.title, "\n".join((row.summary or "", row.description or "")), row.number


def _need(row: Any) -> Fields:
    return row.title, "\n".join((row.business_unit or "", row.description or "")), None


def _release(row: Any) -> Fields:
    return row.name, row.goal or "", None


def _round(row: Any) -> Fields:
    return row.title, row.instructions or "", None


def _path(row: Any) -> Fields:
    return row.name, "\n".join((row.target_population or "", row.description or "")), None


INDEXED: dict[type, tuple[DocumentKind, str, tuple[str, ...], Callable[[Any], Fields]]] = {
    Brick: (DocumentKind.BRICK, "brick_id", ("number", "title", "summary", "description"), _brick),
    TrainingNeed: (
        DocumentKind.NEED,
        "need_id",
        ("title", "business_unit", "description"),
        _need,
    ),
    Release: (DocumentKind.RELEASE, "release_id", ("name", "goal"), _release),
    FeedbackRound: (DocumentKind.ROUND, "round_id", ("title", "instructions"), _round),
    LearningPath: (
        DocumentKind.PATH,
        "path_id",
        ("name", "target_population", "description"),
        _path,
    ),
}

_TITLE_MAX = 200


def _document(model: type, row: Any) -> dict[str, Any]:
    kind, key, _columns, make = INDEXED[model]
    title, content, number = make(row)
    return {
        "academy_id": row.academy_id,
        "kind": kind,
        key: row.id,
        "number": number,
        "title": (title or "")[:_TITLE_MAX],
        "content": content.strip(),
    }


def _changed(row: Any, columns: Iterable[str]) -> bool:
    state = inspect(row)
    return any(state.attrs[column].history.has_changes() for column in columns)


@event.listens_for(Session, "after_flush")
def _index_flushed(session: Session, _context: Any) -> None:
    pending: dict[type, list[Any]] = {}
    for row in session.new:
        if type(row) in INDEXED:
            pending.setdefault(type(row), []).append(row)
    for row in session.dirty:
        model = type(row)
        if model in INDEXED and row not in session.deleted and _changed(row, INDEXED[model][2]):
            pending.setdefault(model, []).append(row)
    if not pending:
        return
    connection = session.connection()
    for model, rows in pending.items():
        key = INDEXED[model][1]
        column = getattr(SearchDocument, key)
        connection.execute(delete(SearchDocument).where(column.in_([row.id for row in rows])))
        connection.execute(insert(SearchDocument), [_document(model, row) for row in rows])


def reindex_academy(session: Session, academy_id: int) -> int:
    """Write every document of an academy again (after bulk Core inserts); how many."""
    session.execute(delete(SearchDocument).where(SearchDocument.academy_id == academy_id))
    total = 0
    for model in INDEXED:
        columns = [model.id, model.academy_id] + [  # type: ignore[attr-defined]
            getattr(model, name) for name in INDEXED[model][2]
        ]
        rows = session.execute(
            select(*columns).where(model.academy_id == academy_id)  # type: ignore[attr-defined]
        ).all()
        if rows:
            session.execute(insert(SearchDocument), [_document(model, row) for row in rows])
            total += len(rows)
    return total
