"""/api/v1 feedback rounds (read), their results (aggregates only, with the results page's
anonymity rules: small segments hidden in anonymous rounds, no answer, no respondent) and their
feedback items (read, triage)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user

from tracker.api import schemas
from tracker.api.routing import allowed, api_blueprint, paged
from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.feedback import gate, results, rounds, triage
from tracker.feedback.models import FeedbackItem, FeedbackRound

blp = api_blueprint("feedback", "Beta-test rounds, their aggregate results and feedback items.")

ROUND = "/academies/<slug>/rounds/<int:round_id>"


def _round(summary: rounds.RoundSummary) -> dict[str, Any]:
    r = summary.round
    return {
        "id": r.id, "release_id": r.release_id, "title": r.title, "state": r.state.value,
        "anonymous": r.anonymous, "opens_at": r.opens_at, "closes_at": r.closes_at,
        "opened_at": r.opened_at, "closed_at": r.closed_at, "invited": summary.invited,
        "completed": summary.completed,
    }  # fmt: skip


@blp.route("/academies/<slug>/rounds", methods=["GET"])
@allowed(Permission.ROUND_VIEW)
@paged(blp, schemas.RoundPage)
def list_rounds() -> Any:
    found = [_round(s) for s in rounds.list_rounds(db.session, g.academy)]
    return found


@blp.route(ROUND, methods=["GET"])
@allowed(Permission.ROUND_VIEW)
@blp.response(200, schemas.Round)
def get_round(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    return _round(rounds.round_summary(db.session, round_))


def _figures(figures: results.Figures) -> dict[str, Any]:
    nps = figures.nps
    return {
        "n": figures.n, "indicative": figures.indicative, "mean": figures.mean,
        "csat": figures.csat, "nps": nps.score if nps is not None else None,
        "yes_share": figures.yes_share,
        "counts": {str(key): int(value) for key, value in figures.counts.items()},
    }  # fmt: skip


def _results(round_: FeedbackRound, found: results.RoundResults) -> dict[str, Any]:
    segments = found.segments
    snapshot = gate.gate_snapshot(db.session, round_)
    return {
        "round_id": round_.id,
        "invited": found.progress.invited,
        "completed": found.progress.completed,
        "questions": [
            {
                "question_id": q.question.id,
                "prompt": q.question.prompt,
                "kind": q.question.kind.value,
                "per_brick": q.question.per_brick,
                "overall": _figures(q.overall),
                "bricks": [
                    {"brick_number": brick.number, "figures": _figures(figures)}
                    for brick, figures in q.per_brick
                ],
            }
            for q in found.questions
        ],
        "items_by_status": {s.value: n for s, n in found.items_by_status.items()},
        "dimension": segments.dimension.value if segments is not None else None,
        "segments": [
            {
                # A hidden segment shows neither its size nor its figures (as on the page).
                "value": row.value,
                "size": None if row.hidden else row.size,
                "hidden": row.hidden,
                "figures": {}
                if row.hidden
                else {str(qid): _figures(f) for qid, f in row.figures.items()},
            }
            for row in (segments.rows if segments is not None else [])
        ],
        "gate": (
            {"passed": snapshot.passed, "frozen": True}
            if snapshot is not None
            else {"passed": bool(gate.compute_gate(db.session, round_)["passed"]), "frozen": False}
        ),
    }


@blp.route(f"{ROUND}/results", methods=["GET"])
@allowed(Permission.ROUND_RESULTS)
@blp.arguments(schemas.ResultsQuery, location="query", as_kwargs=False)
@blp.response(200, schemas.RoundResults)
def round_results(args: dict[str, Any], round_id: int) -> Any:
    """The round's figures per question and per brick, and per segment of `dimension` (in an
    anonymous round, segments under 5 respondents are hidden, as on the results page). Free
    text answers are not served: they are read on the page."""
    round_ = rounds.get_round(db.session, g.academy, round_id)
    dimension = results.Dimension(args.get("dimension") or results.Dimension.BUSINESS_UNIT)
    return _results(round_, results.round_results(db.session, round_, dimension))


def _item(round_: FeedbackRound, item: FeedbackItem, numbers: dict[int, int]) -> dict[str, Any]:
    return {
        "id": item.id, "round_id": item.round_id,
        "brick_number": numbers.get(item.brick_id) if item.brick_id else None,
        "location": item.location, "kind": item.kind.value, "severity": item.severity.value,
        "title": item.title, "description": item.description, "status": item.status.value,
        "duplicate_of_id": item.duplicate_of_id,
        # Anonymous rounds: no date (as on the pages and in the exports), never a reporter.
        "created_at": None if round_.anonymous else item.created_at,
    }  # fmt: skip


def _numbers(ids: set[int]) -> dict[int, int]:
    return {i: b.number for i, b in triage.bricks_by_id(db.session, ids).items()}


@blp.route(f"{ROUND}/items", methods=["GET"])
@allowed(Permission.ITEM_TRIAGE)
@paged(blp, schemas.ItemPage)
def list_items(round_id: int) -> Any:
    """The round's feedback items, blocking first (as on the triage board)."""
    round_ = rounds.get_round(db.session, g.academy, round_id)
    items = triage.list_items(db.session, round_)
    numbers = _numbers({i.brick_id for i in items if i.brick_id})
    return [_item(round_, i, numbers) for i in items]


@blp.route(f"{ROUND}/items/<int:item_id>", methods=["GET"])
@allowed(Permission.ITEM_TRIAGE)
@blp.response(200, schemas.Item)
def get_item(round_id: int, item_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    item = triage.get_item(db.session, round_, item_id)
    return _item(round_, item, _numbers({item.brick_id} if item.brick_id else set()))


@blp.route(f"{ROUND}/items/<int:item_id>/triage", methods=["POST"])
@allowed(Permission.ITEM_TRIAGE, write=True)
@blp.arguments(schemas.ItemTriage)
@blp.response(200, schemas.Item)
def triage_item(body: dict[str, Any], round_id: int, item_id: int) -> Any:
    """Move the item to a column of the triage board (`duplicate` names the original)."""
    round_ = rounds.get_round(db.session, g.academy, round_id)
    item = triage.get_item(db.session, round_, item_id)
    triage.move_item(
        db.session, item, body["status"], actor=current_user,
        duplicate_of_id=body.get("duplicate_of"), now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    return _item(round_, item, _numbers({item.brick_id} if item.brick_id else set()))
