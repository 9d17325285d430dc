"""The board's stages: an academy starts with the default ones (backlog ... done)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories.academies import World
from tracker.academies.models import Academy, Stage, StageCategory
from tracker.academies.services import list_stages


def _academy(where: Academy | World) -> Academy:
    return where.academy if isinstance(where, World) else where


def stage_named(where: Academy | World, name: str) -> Stage:
    """The academy's stage called `name` (the default English ones: "Backlog", "Design"...)."""
    return next(s for s in _academy(where).stages if s.name == name)


def stage_of(
    session: Session, where: Academy | World, category: StageCategory, nth: int = 0
) -> Stage:
    """The academy's `nth` stage of `category`, in board order."""
    stages = [s for s in list_stages(session, _academy(where)) if s.category == category]
    return stages[nth]
