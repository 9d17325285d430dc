"""Board tests read service messages in English (outside a request, the default is French)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(app, db_session) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with force_locale("en"):
        yield
