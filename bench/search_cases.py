"""Benchmark case of the academy's search: the page for a two-word query, accents dropped.

The demo backlog topped up to `size` bricks (bench.cases.seed_backlog: a third of them titled
"... cybersécurité et données"), their search documents written again (the seed inserts with
Core, which the indexing of the ORM's flush does not see). Run for the figures of issue 11:

    .venv/bin/python bench/run.py search --sizes 5000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case, seed_backlog
from tracker.academies.models import Academy
from tracker.demo import DEMO_SLUG
from tracker.search.indexing import reindex_academy


def seed_search(session: Session, size: int | None) -> Mapping[str, Any]:
    facts = dict(seed_backlog(session, size))
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    facts["documents"] = reindex_academy(session, academy.id)
    return facts


@case("search", seed=seed_search, sized=True, login_as="designer")
def search(ctx: Context) -> Request:
    """The search page for "cybersecurite donnees" (a third of the bricks match, 20 shown per
    kind), as a designer; size = bricks."""
    return Request(f"/a/{ctx.facts['academy_slug']}/search?q=cybersecurite+donnees")
