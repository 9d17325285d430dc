"""Odd input on the results side never gives a 500."""

from __future__ import annotations

from tests.factories import add_item, add_round

HUGE = "9" * 25


def test_huge_numbers_are_refused_politely(client, login, db_session, world) -> None:
    round_ = add_round(db_session, world.academy)
    item = add_item(db_session, round_)
    base = f"/a/{world.academy.slug}/rounds"
    login(world.manager)

    pages = [
        client.get(f"{base}/{HUGE}/results"),
        client.get(f"{base}/{round_.id}/triage?brick={HUGE}"),
        client.get(f"{base}/{round_.id}/results?page={HUGE}&question={HUGE}"),
        client.post(f"{base}/{round_.id}/items/{HUGE}/move", data={}),
        client.post(
            f"{base}/{round_.id}/items/{item.id}/move",
            data={f"item{item.id}-status": "duplicate", f"item{item.id}-duplicate_of": HUGE},
        ),
    ]

    assert [p.status_code for p in pages] == [404, 200, 200, 404, 422]
