"""Benchmark case of vendors: the scorecard page, 50 vendors side by side over `size` bricks with
their history (seed_sprints' bricks, about three events each), every brick assigned to one of the
vendors in turn:

    .venv/bin/python bench/run.py vendor-scorecard --sizes 5000

X-Query-Count stays the same whatever the size (tests/vendors asserts it does not grow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case
from bench.sprints_cases import seed_sprints
from tracker.academies.models import Academy
from tracker.backlog.models import Brick
from tracker.demo import DEMO_SLUG
from tracker.vendors.models import Vendor

VENDORS = 50


def seed_vendors(session: Session, size: int | None) -> Mapping[str, Any]:
    facts = dict(seed_sprints(session, size))
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    now = dt.datetime.now(dt.UTC)
    session.execute(
        insert(Vendor),
        [
            {
                "academy_id": academy.id,
                "name": f"Bench vendor {k:02d}",
                "company": "",
                "specialties": ["video"],
                "languages": ["fr"],
                "tags": [],
                "contract_reference": "",
                "notes": "",
                "created_at": now,
            }
            for k in range(VENDORS)
        ],
    )
    ids = list(
        session.scalars(
            select(Vendor.id).where(Vendor.academy_id == academy.id).order_by(Vendor.id)
        )
    )[-VENDORS:]
    for k, vendor_id in enumerate(ids):
        session.execute(
            update(Brick)
            .where(Brick.academy_id == academy.id, Brick.id % VENDORS == k)
            .values(vendor_id=vendor_id)
        )
    session.flush()
    facts["vendors"] = VENDORS
    return facts


@case("vendor-scorecard", seed=seed_vendors, sized=True, login_as="manager")
def vendor_scorecard(ctx: Context) -> Request:
    """The vendor scorecard: 50 vendors over `size` bricks with their history."""
    return Request(f"/a/{ctx.facts['academy_slug']}/vendors/scorecard")
