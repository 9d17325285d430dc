"""The results side of a round (the manager's pages): results, exports, the triage board; and
the feedback partials other areas' pages include (gate snapshots, a brick's feedback items)."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any

from flask import Response as HttpResponse
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from tracker import changes
from tracker.attachments import services as attachments
from tracker.auth.permissions import Permission
from tracker.backlog.models import Brick
from tracker.db import db, parse_whole, utcnow
from tracker.feedback import bp, charts, exports, gate, results, rounds, triage
from tracker.feedback.labels import (
    ITEM_KIND_LABELS,
    ITEM_STATUS_LABELS,
    QUESTION_KIND_LABELS,
    SEVERITY_LABELS,
)
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    ItemKind,
    QuestionKind,
    RoundState,
    Severity,
)
from tracker.feedback.triage_forms import CreateBrickFromItemForm, MoveItemForm
from tracker.forms import form_values
from tracker.web import (
    conditional,
    query_int,
    query_page,
    query_text,
    requires,
    submit,
    submit_once,
)

DIMENSION_LABELS = {
    results.Dimension.BUSINESS_UNIT: _l("Business unit"),
    results.Dimension.JOB_FAMILY: _l("Job family"),
    results.Dimension.SITE: _l("Site"),
    results.Dimension.LANGUAGE: _l("Language"),
}
CRITERION_LABELS = {
    "min_responses": _l("Responses"),
    "min_response_rate": _l("Response rate"),
    "min_csat": _l("CSAT"),
    "min_nps": _l("NPS"),
    "max_blocking": _l("Open blocking issues"),
}
NO_DATA_REASONS = {
    gate.NO_INVITATIONS: _l("nobody was invited"),
    gate.NO_QUESTION: _l("no question of the questionnaire feeds this criterion"),
    gate.NO_ANSWERS: _l("nobody answered the questions that feed it"),
}


# -- Template helpers (app-wide: the release and brick pages include our partials) ----------


def last_gate_snapshot(release: Any) -> Any:
    """(round, snapshot) of the release's last closed round, or None: for the release page."""
    return gate.last_round_snapshot(db.session, release.id)


def round_gate_snapshot(round_: FeedbackRound) -> Any:
    """The round's stored gate snapshot, or None: for the round page."""
    return gate.gate_snapshot(db.session, round_)


def feedback_items_of_brick(brick: Brick) -> list[Any]:
    """The feedback items a brick was created from: for the brick page."""
    return triage.items_of_brick(db.session, brick)


bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        last_gate_snapshot=last_gate_snapshot,
        round_gate_snapshot=round_gate_snapshot,
        feedback_items_of_brick=feedback_items_of_brick,
        GATE_CRITERION_LABELS=CRITERION_LABELS,
        GATE_NO_DATA_REASONS=NO_DATA_REASONS,
    )
)


# -- Results --------------------------------------------------------------------------------


def _dimension() -> results.Dimension:
    try:
        return results.Dimension(request.args.get("dim", ""))
    except ValueError:
        return results.Dimension.BUSINESS_UNIT


def _text_answers(round_: FeedbackRound, found: results.RoundResults) -> dict[str, Any]:
    """The text answers' panel: its questions, the one chosen (?question=), the page of answers
    matching ?q=."""
    text_questions = [r.question for r in found.questions if r.question.kind == QuestionKind.TEXT]
    question_id = query_int("question")
    if question_id not in {q.id for q in text_questions}:
        question_id = None
    query, page = query_text("q"), query_page()
    return {
        # Two queries over every text answer (a count and a page): kept like the aggregates.
        "texts": results.kept_part(
            db.session,
            round_,
            ("texts", question_id, query, page),
            lambda: results.text_answers(
                db.session, round_, query=query, question_id=question_id, page=page
            ),
        ),
        "text_questions": text_questions,
        "text_question_id": question_id,
    }


# The questions' figures and charts, drawn: per worker, per state of the academy's data (the
# change counters), language and dimension. Drawing them is most of the page's time (a few
# hundred numbers and forty charts at 20 questions), and they change only when answers do.
_DRAWN: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
DRAWN = 32


def _questions_html(
    round_: FeedbackRound, found: results.RoundResults, dimension: results.Dimension
) -> Markup:
    def draw() -> Markup:
        return Markup(  # noqa: S704 - a rendered (escaped) template
            render_template(
                "feedback/manager/_results_questions.html",
                round=round_,
                found=found,
                dimension=dimension,
                **RESULTS_PAGE_NAMES,
            )
        )

    if changes.pending(db.session):  # changes not counted yet: never keep what they show
        return draw()
    key = (round_.id, dimension, str(get_locale()), *changes.counters(db.session, g.academy.id))
    drawn = _DRAWN.get(key)
    if drawn is None:
        drawn = _DRAWN[key] = draw()
        while len(_DRAWN) > DRAWN:
            _DRAWN.popitem(last=False)
    else:
        _DRAWN.move_to_end(key)
    return drawn


def forget_drawn() -> None:
    """Empty the kept drawings (the test suite rolls committed data back: see
    results.forget_kept)."""
    _DRAWN.clear()


# What the results page reads besides the figures.
RESULTS_PAGE_NAMES = {
    "DIMENSION_LABELS": DIMENSION_LABELS,
    "QUESTION_KIND_LABELS": QUESTION_KIND_LABELS,
    "STATUS_LABELS": ITEM_STATUS_LABELS,
    "make_bar_chart": charts.bar_chart,
    "make_nps_chart": charts.nps_chart,
    "RoundState": RoundState,
}


@bp.route("/rounds/<int:round_id>/results")
@requires(Permission.ROUND_RESULTS)
@conditional
def round_results(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    found = results.round_results(db.session, round_, dimension := _dimension())
    snapshot = gate.gate_snapshot(db.session, round_)
    return render_template(
        "feedback/manager/results.html",
        round=round_,
        found=found,
        questions_html=_questions_html(round_, found, dimension),
        segments=found.segments,
        snapshot=snapshot,
        preview=None
        if snapshot is not None
        else results.kept_part(
            db.session, round_, ("gate",), lambda: gate.compute_gate(db.session, round_)
        ),
        dimension=dimension,
        **_text_answers(round_, found),
        **RESULTS_PAGE_NAMES,
    )


@bp.route("/rounds/<int:round_id>/export/<any(answers, items):what>.<any(csv, xlsx):fmt>")
@requires(Permission.ROUND_EXPORT)
def round_export(round_id: int, what: str, fmt: str) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    body, mimetype, filename = exports.export_round(db.session, round_, what, fmt)
    return HttpResponse(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# -- Triage ---------------------------------------------------------------------------------


def _filters() -> tuple[triage.ItemFilters, dict[str, str]]:
    """The board's filters from the query string (unknown values are ignored), and the same as
    plain values to carry through links and forms."""
    kind = severity = None
    with contextlib.suppress(ValueError):
        kind = ItemKind(request.values.get("kind", ""))
    with contextlib.suppress(ValueError):
        severity = Severity(request.values.get("severity", ""))
    raw_brick = request.values.get("brick", "")
    brick_id = parse_whole(raw_brick)
    carried = {
        key: value
        for key, value in (
            ("kind", kind.value if kind else ""),
            ("severity", severity.value if severity else ""),
            ("brick", str(brick_id) if brick_id else ""),
        )
        if value
    }
    return triage.ItemFilters(kind=kind, severity=severity, brick_id=brick_id), carried


def _board_forms(
    items: list[FeedbackItem],
    bricks: dict[int, Brick],
    failed: FeedbackItem | None,
    failed_form: Any,
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Each item's move form and "turn into a brick" form; the one that failed keeps its input
    and its errors."""
    move_forms: dict[int, Any] = {}
    brick_forms: dict[int, Any] = {}
    for item in items:
        prefix = f"item{item.id}"
        if failed is not None and item.id == failed.id and failed_form is not None:
            if isinstance(failed_form, MoveItemForm):
                move_forms[item.id] = failed_form
            else:
                brick_forms[item.id] = failed_form
        move_forms.setdefault(
            item.id,
            MoveItemForm(
                prefix=prefix,
                formdata=None,
                status=item.status.value,
                duplicate_of=item.duplicate_of_id,
            ),
        )
        if item.created_brick_id is None:
            anchored = bricks.get(item.brick_id) if item.brick_id else None
            brick_forms.setdefault(
                item.id,
                CreateBrickFromItemForm(
                    prefix=prefix,
                    formdata=None,
                    title=item.title,
                    format=anchored.format.value if anchored else "micro_learning",
                ),
            )
    return move_forms, brick_forms


def _render_board(
    round_: FeedbackRound,
    *,
    status: int = 200,
    failed: FeedbackItem | None = None,
    failed_form: Any = None,
) -> Any:
    filters, carried = _filters()
    items = triage.list_items(db.session, round_, filters)
    all_items = items if not carried else triage.list_items(db.session, round_)
    brick_ids = {i.brick_id for i in all_items if i.brick_id} | {
        i.created_brick_id for i in all_items if i.created_brick_id
    }
    bricks = triage.bricks_by_id(db.session, brick_ids)
    move_forms, brick_forms = _board_forms(items, bricks, failed, failed_form)
    return render_template(
        "feedback/manager/triage.html",
        round=round_,
        columns=triage.board(items),
        total=len(items),
        all_items=all_items,
        bricks=bricks,
        release_bricks=results.round_bricks(db.session, round_, ()),
        history=triage.item_history(db.session, items),
        files=attachments.item_attachments(db.session, [i.id for i in items]),
        move_forms=move_forms,
        brick_forms=brick_forms,
        filters=filters,
        carried=carried,
        STATUS_LABELS=ITEM_STATUS_LABELS,
        KIND_LABELS=ITEM_KIND_LABELS,
        SEVERITY_LABELS=SEVERITY_LABELS,
        failed_id=failed.id if failed is not None else None,
    ), status


def _back_to_board(round_: FeedbackRound, item: FeedbackItem) -> Any:
    _, carried = _filters()
    values: dict[str, Any] = {"round_id": round_.id, **carried}
    target = url_for("feedback.triage_board", **values)
    return redirect(f"{target}#item-{item.id}", code=303)


def _round_item(round_id: int, item_id: int) -> tuple[FeedbackRound, FeedbackItem]:
    """The round and one of its items, as the address names them."""
    round_ = rounds.get_round(db.session, g.academy, round_id)
    return round_, triage.get_item(db.session, round_, item_id)


@bp.route("/rounds/<int:round_id>/triage")
@requires(Permission.ITEM_TRIAGE)
def triage_board(round_id: int) -> Any:
    return _render_board(rounds.get_round(db.session, g.academy, round_id))


@bp.route("/rounds/<int:round_id>/items/<int:item_id>/move", methods=["POST"])
@requires(Permission.ITEM_TRIAGE)
def triage_move(round_id: int, item_id: int) -> Any:
    round_, item = _round_item(round_id, item_id)
    form = MoveItemForm(prefix=f"item{item.id}")
    done = submit(
        form,
        lambda: triage.move_item(
            db.session,
            item,
            form.status.data or "",
            actor=current_user,
            duplicate_of_id=form.duplicate_of.data,
            now=utcnow(),
        ),
    )
    if done:
        status = ITEM_STATUS_LABELS[item.status]
        flash(_("Item #%(number)s moved to %(status)s.", number=item.id, status=status), "success")
        return _back_to_board(round_, item)
    return _render_board(round_, status=422, failed=item, failed_form=form)


@bp.route("/rounds/<int:round_id>/items/<int:item_id>/brick", methods=["POST"])
@requires(Permission.ITEM_TRIAGE)
def triage_to_brick(round_id: int, item_id: int) -> Any:
    round_, item = _round_item(round_id, item_id)
    form = CreateBrickFromItemForm(prefix=f"item{item.id}")
    # A path, not a full address: the link works whatever host serves the page.
    item_url = url_for("feedback.triage_board", round_id=round_.id, _anchor=f"item-{item.id}")

    def create() -> Brick:
        now = utcnow()
        brick = triage.create_brick_from_item(
            db.session, g.academy, round_, item, actor=current_user, item_url=item_url,
            now=now, **form_values(form, texts=("title", "format")),
        )  # fmt: skip
        # The tester's screenshots come along to the brick (its history says so).
        for attached in attachments.item_attachments(db.session, [item.id])[item.id]:
            attachments.copy_to_brick(db.session, attached, brick, actor=current_user, now=now)
        return brick

    done = submit_once(form, Brick, create, kind="item-brick")
    if done and done.value:
        key = done.value.key
        flash(_("Brick %(key)s created from item #%(number)s.", key=key, number=item.id), "success")
        return _back_to_board(round_, item)
    return _render_board(round_, status=422, failed=item, failed_form=form)
