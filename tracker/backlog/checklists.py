"""Definition of done: checklist templates per format (per academy), and ticking a brick's items.

Every academy gets default templates when it is created (tracker.academies.defaults) in its
own language; managers then edit them. Academies created before templates existed get the
defaults the first time a manager opens the templates page (`ensure_default_checklists`).
A new brick copies its format's template (backlog.services.create_brick): later edits of a
template do not change the checklists of existing bricks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import rows
from tracker.academies.defaults import install_default_checklists
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog import ranking
from tracker.backlog.models import (
    ActivityKind,
    Brick,
    BrickFormat,
    ChecklistItem,
    ChecklistTemplate,
)
from tracker.backlog.services import record_activity
from tracker.cleaning import one_of
from tracker.errors import DomainError, NotFound


def has_templates(session: Session, academy: Academy) -> bool:
    count = session.scalar(
        select(func.count(ChecklistTemplate.id)).where(ChecklistTemplate.academy_id == academy.id)
    )
    return bool(count)


def ensure_default_checklists(session: Session, academy: Academy) -> bool:
    """Install the defaults for an academy that has no template at all; True if it did.

    Two managers opening the page at once install them once: the academy row is locked
    (PostgreSQL) or the write transaction is immediate (SQLite) before looking again.
    """
    ranking.lock_backlog(session, academy.id)
    if has_templates(session, academy):
        return False
    install_default_checklists(session, academy)
    return True


def templates_by_format(
    session: Session, academy: Academy
) -> dict[BrickFormat, list[ChecklistTemplate]]:
    """Every format (in the enum's order), each with its items in order."""
    rows = session.scalars(
        select(ChecklistTemplate)
        .where(ChecklistTemplate.academy_id == academy.id)
        .order_by(ChecklistTemplate.position, ChecklistTemplate.id)
    ).all()
    result: dict[BrickFormat, list[ChecklistTemplate]] = {format: [] for format in BrickFormat}
    for row in rows:
        result[row.format].append(row)
    return result


def get_template_item(session: Session, academy: Academy, item_id: int) -> ChecklistTemplate:
    return rows.get_in(
        session, ChecklistTemplate, item_id, _("No such checklist item."), academy_id=academy.id
    )


def _items_of(session: Session, academy_id: int, format: BrickFormat) -> list[ChecklistTemplate]:
    return list(
        session.scalars(
            select(ChecklistTemplate)
            .where(ChecklistTemplate.academy_id == academy_id, ChecklistTemplate.format == format)
            .order_by(ChecklistTemplate.position, ChecklistTemplate.id)
        )
    )


def _clean_label(label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise DomainError(_("Write the item."), field="label")
    if len(label) > 255:
        raise DomainError(_("Keep it under 255 characters."), field="label")
    return label


def add_template_item(
    session: Session, academy: Academy, format: BrickFormat | str, label: str
) -> ChecklistTemplate:
    """Add an item at the end of a format's definition of done."""
    format = one_of(BrickFormat, format, field="format", message=_("Choose a value from the list."))
    items = _items_of(session, academy.id, format)
    item = ChecklistTemplate(
        academy_id=academy.id,
        format=format,
        position=(items[-1].position + 1) if items else 0,
        label=_clean_label(label),
    )
    session.add(item)
    session.flush()
    return item


def rename_template_item(session: Session, item: ChecklistTemplate, label: str) -> None:
    item.label = _clean_label(label)
    session.flush()


def remove_template_item(session: Session, item: ChecklistTemplate) -> None:
    """Remove an item from the template; bricks that already have it keep theirs."""
    session.delete(item)
    session.flush()


def move_template_item(session: Session, item: ChecklistTemplate, offset: int) -> None:
    """Move an item up (-1) or down (+1) in its format's list; positions become 0..n-1."""
    rows.swap_with_neighbour(
        session, _items_of(session, item.academy_id, item.format), item, offset
    )


def get_checklist_item(brick: Brick, item_id: int) -> ChecklistItem:
    for item in brick.checklist:
        if item.id == item_id:
            return item
    raise NotFound(_("No such checklist item."))


def tick_checklist_item(
    session: Session,
    brick: Brick,
    item: ChecklistItem,
    *,
    done: bool,
    actor: User | None,
    now: dt.datetime,
) -> bool:
    """Tick (or untick) an item of a brick's definition of done; True if it changed.

    The wanted state is given rather than toggled, so two people ticking the same item at
    once agree. Ticking does not bump the brick's version: someone editing the brick's fields
    meanwhile is not interrupted by it.
    """
    if item.brick_id != brick.id:
        raise NotFound(_("No such checklist item."))
    if item.done == done:
        return False
    item.done = done
    item.done_at = now if done else None
    item.done_by_id = actor.id if (actor and done) else None
    record_activity(
        session,
        brick,
        ActivityKind.CHECKLIST,
        actor=actor,
        changes={"done": [not done, done]},
        note=item.label,
        at=now,
    )
    session.flush()
    return True


def labels_of(items: Sequence[ChecklistItem]) -> list[str]:
    return [item.label for item in items]
