"""The kanban board: columns of cards, filters in the URL, moves by drag and drop or by a form.

Drag and drop (static/js/board.js) posts JSON to `move_json`; the "Move…" link of each card
leads to `move`, an ordinary form that works without JavaScript (the board opens the same form
in a dialog). Both move through board.services with the version the person saw.

The columns are the heavy part of the page (thousands of cards): they are rendered once per
state of the board and kept in a small per-process cache whose key holds every row and total
they are drawn from, so that any change anywhere (a move, an edit, a tick, a rename) draws them
anew, while the flashes, menus and CSRF token around them are rendered for each request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash, g, jsonify, render_template, request, url_for
from flask_babel import get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from tracker.academies.models import Stage
from tracker.academies.services import list_stages
from tracker.auth.permissions import Permission, can
from tracker.backlog.models import Brick
from tracker.backlog.services import get_brick
from tracker.board import bp, services
from tracker.board.forms import FilterBoardForm, MoveCardForm
from tracker.board.presenting import CardPage, CardRenderer
from tracker.board.queries import (
    DONE_SHOWN,
    BoardData,
    BoardFilters,
    BoardOptions,
    board_options,
    build_board,
    load_board,
)
from tracker.db import db, parse_whole, utcnow
from tracker.errors import Conflict, DomainError
from tracker.web import (
    attach_error,
    carried_args,
    conditional,
    problem,
    reads_first,
    requires,
    see_other,
)

FILTER_ARGS = ("sprint", "owner", "format", "path", "lanes", "done")


# -- The rendered columns, cached per state of the board ------------------------------------------


class RenderedBoards:
    """A small LRU of rendered columns, bounded by their total size (per process)."""

    def __init__(self, max_chars: int = 24_000_000) -> None:
        self.max_chars = max_chars
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], str]) -> Markup:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        html = Markup(render())  # noqa: S704 (a Jinja template's output, escaped by autoescape)
        if len(html) > self.max_chars:
            return html
        with self._lock:
            if key not in self._entries:
                self._entries[key] = html
                self._chars += len(html)
            while self._chars > self.max_chars:
                _key, evicted = self._entries.popitem(last=False)
                self._chars -= len(evicted)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0


rendered_boards = RenderedBoards()


# -- Helpers -------------------------------------------------------------------------------------


def _filters() -> tuple[FilterBoardForm, BoardFilters, dict[str, str], BoardOptions]:
    """The filter form from the query string, the filters, the args to carry along, choices."""
    options = board_options(db.session, g.academy)
    form = FilterBoardForm(request.args, options=options)
    return form, form.to_filters(), carried_args(form, FILTER_ARGS), options


def _today_and_zone() -> tuple[dt.date, dt.tzinfo]:
    zone: dt.tzinfo = get_timezone() or dt.UTC
    # The standard library's zones convert thousands of moments several times faster.
    with contextlib.suppress(ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo(str(zone))
    return utcnow().astimezone(zone).date(), zone


def _stage_key(stage: Stage) -> tuple[Any, ...]:
    return (
        stage.id,
        stage.name,
        stage.position,
        stage.category,
        stage.wip_limit,
        stage.wip_policy,
    )


def _columns_html(
    data: BoardData,
    filters: BoardFilters,
    carried: dict[str, str],
    options: BoardOptions,
) -> Markup:
    academy = g.academy
    today, zone = _today_and_zone()
    can_move = can(current_user, Permission.CARD_MOVE, academy)
    paths = (
        tuple((p.id, p.name, p.colour, p.position) for p in options.paths) if filters.lanes else ()
    )
    key = (
        academy.id,
        academy.slug,
        academy.key_prefix,
        request.script_root,
        str(get_locale()),
        str(zone),
        today,
        can_move,
        tuple(sorted(carried.items())),
        filters,
        tuple(_stage_key(s) for s in data.stages),
        paths,
        tuple(map(tuple, data.rows)),  # plain tuples compare faster than rows
        tuple(sorted(data.totals.items())),
    )

    def render() -> str:
        drawn = build_board(data, today=today, tz=zone, paths=options.paths, lanes=filters.lanes)
        move_base = url_for("board.move", number=0)
        cards = CardRenderer(
            CardPage(
                locale=str(get_locale()),
                prefix=f"{academy.key_prefix}-",
                brick_base=url_for("backlog.brick", number=0)[:-1],
                move_base=move_base[: -len("0/move")],
                move_query=f"?{urlencode(carried)}" if carried else "",
                can_move=can_move,
            )
        )
        return render_template(
            "board/_columns.html",
            board=drawn,
            filters=filters,
            carried=carried,
            cards_html=cards.html,
            done_shown=DONE_SHOWN,
        )

    return rendered_boards.get(key, render)


# -- The board -----------------------------------------------------------------------------------


@bp.route("/board")
@requires(Permission.BOARD_VIEW)
@conditional
def show() -> Any:
    form, filters, carried, options = _filters()
    stages = list_stages(db.session, g.academy)
    data = load_board(db.session, g.academy, filters, stages)
    can_override = can(current_user, Permission.DONE_OVERRIDE, g.academy)
    return render_template(
        "board/show.html",
        filter_form=form,
        filters=filters,
        carried=carried,
        without_lanes={k: v for k, v in carried.items() if k != "lanes"},
        options=options,
        stages=stages,
        columns_html=_columns_html(data, filters, carried, options),
        move_form=MoveCardForm(formdata=None, stages=stages, can_override=can_override),
        can_move=can(current_user, Permission.CARD_MOVE, g.academy),
        active_filters=bool(filters.conditions()),
        shown=len(data.rows),
    )


# -- Moving a card: the form (no JavaScript) -----------------------------------------------------

BOTTOM = 1_000_000  # an empty position: the bottom of the column


@bp.route("/board/<int:number>/move", methods=["GET", "POST"])
@requires(Permission.CARD_MOVE)
def move(number: int) -> Any:
    brick = get_brick(db.session, g.academy, number)
    stages = list_stages(db.session, g.academy)
    can_override = can(current_user, Permission.DONE_OVERRIDE, g.academy)
    carried = {name: str(request.args[name]) for name in FILTER_ARGS if request.args.get(name)}
    form = MoveCardForm(stages=stages, can_override=can_override)
    if request.method == "GET":
        form.stage.data, form.version.data = str(brick.stage_id), str(brick.version)
        return _move_page(brick, form, carried, 200)
    if not form.validate_on_submit():
        return _move_page(brick, form, carried, 422)
    stage = next(s for s in stages if str(s.id) == form.stage.data)
    reason = form.override_reason.data if can_override else None
    try:
        result = services.move_brick(
            db.session, brick, stage, form.position.data or BOTTOM, actor=current_user,
            expected_version=int(form.version.data or 0), now=utcnow(), override_reason=reason,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        return _move_page(brick, form, carried, _refused(form, brick, error))
    db.session.commit()
    if result.moved:
        flash(_move_message(brick, stage, result), "success")
    return see_other("board.show", **carried, _anchor=f"card-{brick.number}")


def _refused(form: MoveCardForm, brick: Brick, error: DomainError) -> int:
    """Say why beside the form (after the rollback); the status to answer with."""
    if isinstance(error, Conflict):
        form.form_errors.append(
            _("%(message)s It is now in %(stage)s; here is the form again.",
              message=error.message, stage=brick.stage.name)
        )  # fmt: skip
        form.version.data = str(brick.version)
        return 409
    attach_error(form, error)
    return 422


def _move_page(brick: Brick, form: MoveCardForm, carried: dict[str, str], status: int) -> Any:
    position = services.position_of(db.session, brick)
    return render_template(
        "board/move.html", brick=brick, form=form, carried=carried, position=position
    ), status


def _move_message(brick: Brick, stage: Stage, result: services.BoardMove) -> str:
    if result.from_stage_id == result.stage_id:
        message = _(
            "%(key)s is now at position %(n)s in %(stage)s.",
            key=brick.key,
            n=result.position,
            stage=stage.name,
        )
    else:
        message = _("%(key)s moved to %(stage)s.", key=brick.key, stage=stage.name)
    if result.over_limit:
        message += " " + ngettext(
            "%(stage)s is over its limit of %(num)s card.",
            "%(stage)s is over its limit of %(num)s cards.",
            stage.wip_limit or 0,
            stage=stage.name,
        )
    return message


# -- Moving a card: drag and drop (JSON) ---------------------------------------------------------


@bp.route("/board/move", methods=["POST"])
@requires(Permission.CARD_MOVE)
@reads_first  # SQLite's write lock from the board's lock (move_card) to the commit only
def move_json() -> Any:
    """{"brick": 42, "version": 3, "stage": 7, "after": 17} (or "before": 18, or "position": 1;
    none of them: the bottom), plus "override_reason" for a manager. Bricks by number."""
    try:
        drop = _read_drop(request.get_json(silent=True))
    except InvalidDrop as error:
        return problem(400, str(error), code="invalid")
    try:
        done = services.move_card(db.session, g.academy, drop, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        return _drop_refused(error, drop.number)
    db.session.commit()
    return _moved_json(done)


def _moved_json(done: services.CardMoved) -> Any:
    """What the board updates after a drop: the card's place and version, the columns' totals,
    the message to announce."""
    result = done.move
    return jsonify(
        ok=True,
        moved=result.moved,
        brick=done.brick.number,
        version=result.version,
        stage=result.stage_id,
        from_stage=result.from_stage_id,
        position=result.position,
        over_limit=result.over_limit,
        totals={str(k): v for k, v in done.totals.items()},
        message=_move_message(done.brick, done.stage, result),
    )


class InvalidDrop(ValueError):
    """A drop's JSON is not what the board sends (400), with the message to answer."""


def _whole(payload: dict[str, Any], key: str, *, required: bool = False) -> int | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    number = parse_whole(value)
    if number is None:
        raise InvalidDrop(_("“%(key)s” must be a whole number.", key=key))
    return number


def _read_drop(payload: Any) -> services.CardDrop:
    if not isinstance(payload, dict):
        raise InvalidDrop(_("Send a JSON object."))
    number, version, stage = (
        _whole(payload, k, required=True) for k in ("brick", "version", "stage")
    )
    after, before, position = (_whole(payload, k) for k in ("after", "before", "position"))
    reason = payload.get("override_reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidDrop(_("The reason must be text."))
    assert number is not None and version is not None and stage is not None
    return services.CardDrop(number, version, stage, after, before, position, reason)


def _drop_refused(error: DomainError, number: int) -> Any:
    """The problem answering a refused drop (the session is rolled back)."""
    if isinstance(error, services.CardGone):
        return problem(404, error.message, code="gone")
    if isinstance(error, Conflict):
        place = services.card_place(db.session, g.academy, number)
        return problem(409, error.message, code="conflict", card=place)
    if isinstance(error, services.WipLimitReached):
        return problem(422, error.message, code="wip_limit")
    if isinstance(error, services.DefinitionOfDoneIncomplete):
        can_override = can(current_user, Permission.DONE_OVERRIDE, g.academy)
        return problem(422, error.message, code="definition_of_done", can_override=can_override)
    return problem(error.status, error.message, code="invalid")
