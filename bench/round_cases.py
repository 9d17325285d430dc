"""Bench case for the testers' side of a feedback round: `round-submit`.

Each client is one tester (sizes >= --concurrency: client i answers through personal link i)
who submits their complete questionnaire again and again: every request after the first is an
edit of the same response (delete and re-insert its answers, under the row lock). The one-shot
burst of 200 testers at the same moment, checked against the database afterwards, is
bench/round_burst.py.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case
from bench.round_burst import seed_round


def seed_round_testers(session: Session, size: int | None) -> Mapping[str, Any]:
    """An open round on a release of 3 bricks, `size` invited testers (default 200)."""
    facts = seed_round(
        session, testers=size or 200, secret_key=str(current_app.config["SECRET_KEY"])
    )
    return {"round_tokens": facts.tokens, "round_form": facts.form}


@case("round-submit", seed=seed_round_testers, sized=True)
def round_submit(ctx: Context) -> Request:
    """Testers submitting their answers through their personal links (each client one tester)."""
    tokens = ctx.facts["round_tokens"]
    form = [("csrf_token", ctx.csrf_token), *ctx.facts["round_form"], ("action", "submit")]
    return Request(
        f"/r/{tokens[ctx.client % len(tokens)]}",
        method="POST",
        body=urllib.parse.urlencode(form).encode(),
        expect=303,
    )
