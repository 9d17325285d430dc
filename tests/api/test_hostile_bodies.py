"""Any JSON body, of any shape, sent to every API write: an answer (a problem), never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import bearer, personal_token
from tests.factories import make_brick

KEYS = (
    "title", "format", "objectives", "stage_id", "position", "after", "before", "add", "remove",
    "destinations", "status", "outcome", "reason", "name", "business_unit", "learner_minutes",
    "statement", "bloom_level", "duplicate_of", "owner_id", "colour",
)  # fmt: skip

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=8,
)
bodies = st.dictionaries(st.sampled_from(KEYS), values, max_size=6) | values

WRITES = (
    ("POST", "/bricks"),
    ("PATCH", "/bricks/{n}"),
    ("POST", "/bricks/{n}/move"),
    ("POST", "/bricks/{n}/reorder"),
    ("POST", "/paths"),
    ("POST", "/needs"),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_any_json_body_gets_an_answer(client, db_session, world, body: Any) -> None:
    if not hasattr(world, "_api_secret"):
        world._api_secret = personal_token(db_session, world.manager)  # type: ignore[attr-defined]
        world._api_brick = make_brick(db_session, world, "Target").number  # type: ignore[attr-defined]
    base = f"/api/v1/academies/{world.academy.slug}"
    headers = bearer(world._api_secret, **{"If-Match": '"1"'})  # type: ignore[attr-defined]
    for method, path in WRITES:
        url = base + path.format(n=world._api_brick)  # type: ignore[attr-defined]
        response = client.open(url, method=method, json=body, headers=headers)
        assert response.status_code < 500, (method, path, body, response.get_data(as_text=True))
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
