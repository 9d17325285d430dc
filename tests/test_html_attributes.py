"""Attributes rendered only when they mean something: no aria-invalid="None" (an invalid ARIA
value, axe-core's critical aria-valid-attr-value) on the pages with forms that set it."""

from __future__ import annotations

import re

import pytest

from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.sprints.models import Sprint

NONE_ATTRIBUTE = re.compile(r'\s[\w-]+="None"')


@pytest.fixture
def sprint(db_session, world):
    planned = Sprint(academy_id=world.academy.id, name="Sprint 1")
    db_session.add(planned)
    db_session.flush()
    return planned


def test_no_attribute_reads_none(client, db_session, login, world, sprint):
    create_brick(db_session, world.academy, actor=world.manager, title="Quiz", format="video",
                 now=utcnow())  # fmt: skip
    login(world.manager)
    base = f"/a/{world.academy.slug}"
    for path in ("/backlog", f"/sprints/{sprint.id}/plan", "/reports", "/reports?start=x"):
        page = client.get(base + path).get_data(as_text=True)
        assert not NONE_ATTRIBUTE.findall(page), path


def test_an_invalid_field_says_so_once(client, login, world):
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/reports?start=2026-12-05&end=2026-01-01")
    html = page.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and 'aria-invalid="None"' not in html
