"""Brick pages: create, view, edit, delete, comments, definition of done.

`bp` is the backlog blueprint (/a/<slug>/...). Other modules attach their routes to it:
tracker/backlog/list_views.py (the backlog list, filters, bulk actions, import/export) and the
learning paths and training needs views import `bp` from here and add routes to it; they must
be imported before the blueprint is registered (see tracker/__init__.py _register_blueprints).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.permissions import Permission
from tracker.backlog import bp, checklists, services
from tracker.backlog.bloom import (
    BLOOM_DESCRIPTIONS,
    BLOOM_LABELS,
    VERB_LANGUAGES,
    VERBS,
    all_verbs,
    verbs_for,
)
from tracker.backlog.forms import (
    AddChecklistItemForm,
    BrickForm,
    CommentBrickForm,
    CreateBrickForm,
    EditBrickForm,
    MoveChecklistItemForm,
    RenameChecklistItemForm,
    TickItemForm,
    bloom_level_of,
)
from tracker.backlog.labels import (
    FIELD_LABELS,
    FORMAT_LABELS,
    KIND_LABELS,
    format_duration,
    language_name,
)
from tracker.backlog.models import Activity, ActivityKind, BloomLevel, Brick, BrickFormat
from tracker.db import _immediate, db, utcnow
from tracker.errors import Conflict, DomainError
from tracker.forms import ConfirmForm
from tracker.web import attach_error, requires, see_other

# For every template (the backlog list shows formats and durations too).
bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        FORMAT_LABELS=FORMAT_LABELS, BLOOM_LABELS=BLOOM_LABELS
    )
)
bp.add_app_template_filter(format_duration, "duration")


def current_locale_code() -> str:
    return str(get_locale() or "fr")


@bp.app_template_test("web_url")
def is_web_url(value: Any) -> bool:
    """Only http(s) addresses become links (a stored value is never trusted as a URL)."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


# -- Presenting values: the history and the conflict table ---------------------------------------

LONG_FIELDS = {"description", "prerequisites", "objectives", "checklist"}


def describe(name: str, value: Any, book: services.NameBook) -> str:
    """A field's value as a person reads it: names for ids, labels for codes."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "format":
        try:
            return str(FORMAT_LABELS[BrickFormat(value)])
        except ValueError:
            return str(value)
    if name == "learner_minutes":
        return format_duration(int(value))
    if name in ("stage_id", "sprint_id", "release_id", "learning_path_id", "owner_id"):
        names = getattr(book, name)
        return names.get(value) or _("#%(id)s (deleted)", id=value)
    if name == "language":
        return language_name(str(value), current_locale_code())
    if name == "objectives":
        return "\n".join(
            f"[{BLOOM_LABELS.get(bloom_level_of(o.get('bloom_level')), '')}] {o.get('statement')}"
            for o in value
            if isinstance(o, dict)
        )
    if name == "checklist" and isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


@dataclass
class ChangeLine:
    label: str
    old: str
    new: str
    long: bool


@dataclass
class HistoryEntry:
    activity: Activity
    actor: str
    title: str
    lines: list[ChangeLine] = field(default_factory=list)


def _label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def present_activity(activity: Activity, book: services.NameBook) -> HistoryEntry:
    actor = activity.actor.display_name if activity.actor else _("Someone (account removed)")
    changes = activity.changes or {}
    if activity.kind == ActivityKind.CHECKLIST:
        done = bool(changes.get("done", [None, True])[1])
        title = (
            _("Ticked “%(item)s”", item=activity.note)
            if done
            else _("Unticked “%(item)s”", item=activity.note)
        )
        return HistoryEntry(activity, actor, title)
    lines = []
    if activity.kind != ActivityKind.COMMENTED:
        order = [*services.EDITABLE_FIELDS, "objectives", "checklist"]
        for name in sorted(changes, key=lambda n: order.index(n) if n in order else len(order)):
            pair = changes[name]
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            lines.append(
                ChangeLine(
                    _label(name),
                    describe(name, pair[0], book),
                    describe(name, pair[1], book),
                    name in LONG_FIELDS,
                )
            )
    return HistoryEntry(activity, actor, str(KIND_LABELS.get(activity.kind, activity.kind)), lines)


def _user_ids_in(events: list[Activity], brick: Brick) -> set[int]:
    ids = {item.done_by_id for item in brick.checklist if item.done_by_id}
    for event in events:
        pair = (event.changes or {}).get("owner_id")
        if isinstance(pair, list):
            ids.update(value for value in pair if isinstance(value, int))
    return ids


# -- Loading ------------------------------------------------------------------------------------


def _backlog_url() -> str:
    """The backlog list (tracker/backlog/list_views.py), else the academy's home."""
    if "backlog.index" in current_app.view_functions:
        return url_for("backlog.index")
    return url_for("academy.home")


# -- The brick page -----------------------------------------------------------------------------

HISTORY_SHOWN = 50  # events shown before "Show the whole history"


def _brick_page(
    number: int, comment_form: CommentBrickForm | None = None, status: int = 200
) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    comments = services.brick_comments(db.session, brick)
    # The latest events by default: a brick worked on for a year has thousands.
    whole = request.args.get("history") == "all"
    events = services.brick_history(db.session, brick, limit=None if whole else HISTORY_SHOWN)
    book = services.name_book(db.session, g.academy, _user_ids_in(events, brick))
    return (
        render_template(
            "backlog/brick_view.html",
            brick=brick,
            comments=comments,
            history=[present_activity(event, book) for event in events],
            history_total=services.count_brick_history(db.session, brick),
            book=book,
            comment_form=comment_form or CommentBrickForm(),
            language_label=language_name(brick.language, current_locale_code()),
        ),
        status,
    )


@bp.route("/bricks/<int:number>")
@requires(Permission.BRICK_VIEW)
def brick(number: int) -> Any:
    return _brick_page(number)


@bp.route("/bricks/<int:number>/comments", methods=["POST"])
@requires(Permission.BRICK_COMMENT)
def comment(number: int) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    form = CommentBrickForm()
    if not form.validate_on_submit():
        return _brick_page(number, form, 422)
    try:
        services.add_comment(
            db.session, brick, author=current_user, body=form.body.data or "", now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _brick_page(number, form, 422)
    db.session.commit()
    flash(_("Your comment is posted."), "success")
    return redirect(url_for("backlog.brick", number=number) + "#comments", code=303)


@bp.route("/bricks/<int:number>/checklist/<int:item_id>", methods=["POST"])
@requires(Permission.CHECKLIST_TICK)
def tick(number: int, item_id: int) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    item = checklists.get_checklist_item(brick, item_id)
    form = TickItemForm()
    if not form.validate_on_submit():
        abort(400)
    checklists.tick_checklist_item(
        db.session, brick, item, done=form.done.data == "1", actor=current_user, now=utcnow()
    )
    db.session.commit()
    return redirect(url_for("backlog.brick", number=number) + "#checklist", code=303)


# -- Creating and editing -----------------------------------------------------------------------


def _prepare(form: BrickForm, brick: Brick | None = None) -> services.NameBook:
    """Fill the form's lists for this academy; return the names for the conflict table."""
    picks = services.brick_choices(db.session, g.academy)
    form.set_choices(
        stages=picks.stages,
        sprints=picks.sprints,
        releases=picks.releases,
        learning_paths=picks.learning_paths,
        owners=picks.owners,
        locale=current_locale_code(),
    )
    book = services.NameBook(
        stage_id={s.id: s.name for s in picks.stages},
        sprint_id={s.id: s.name for s in picks.sprints},
        release_id={r.id: r.name for r in picks.releases},
        learning_path_id={p.id: p.name for p in picks.learning_paths},
        owner_id={u.id: u.display_name for u in picks.owners},
    )
    if brick is not None and brick.owner is not None:
        book.owner_id.setdefault(brick.owner.id, brick.owner.display_name)
        form.keep_current(form.owner_id, brick.owner_id, brick.owner.display_name)
    return book


def _form_page(
    template_form: BrickForm,
    brick: Brick | None,
    status: int = 200,
    conflict: list[ConflictRow] | None = None,
) -> Any:
    template_form.ensure_blank_objectives()
    return (
        render_template(
            "backlog/brick_form.html",
            form=template_form,
            brick=brick,
            conflict=conflict,
            bloom_levels=list(BloomLevel),
            bloom_hint=bloom_hint,
            all_verbs=all_verbs,
            verb_table=[
                (level, [VERBS[level][code] for code in VERB_LANGUAGES]) for level in BloomLevel
            ],
            verb_languages=VERB_LANGUAGES,
            bloom_descriptions=BLOOM_DESCRIPTIONS,
        ),
        status,
    )


def bloom_hint(level: BloomLevel | str) -> str:
    """ "Verbs: utiliser, appliquer… · use, apply…", the reader's language first."""
    parts = [
        f"{code.upper()}: {', '.join(verbs)}"
        for code, verbs in verbs_for(level, current_locale_code())
    ]
    return _("Suggested verbs — %(verbs)s", verbs=" · ".join(parts))


@bp.route("/bricks/new", methods=["GET", "POST"])
@requires(Permission.BRICK_CREATE)
def new_brick() -> Any:
    academy = g.academy
    if request.method == "GET":
        form = CreateBrickForm(
            data={
                "stage_id": services.first_stage(db.session, academy).id,
                "language": academy.default_locale,
                "format": request.args.get("format", ""),
                "learning_path_id": request.args.get("learning_path_id", type=int),
            }
        )
        _prepare(form)
        return _form_page(form, None)
    form = CreateBrickForm()
    _prepare(form)
    if not form.validate_on_submit():
        return _form_page(form, None, 422)
    values = form.brick_values()
    try:
        brick = services.create_brick(
            db.session,
            academy,
            actor=current_user,
            title=values.pop("title"),
            format=values.pop("format"),
            objectives=form.objective_values(),
            **values,
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        _attach(form, error)
        return _form_page(form, None, 422)
    db.session.commit()
    flash(_("%(key)s is created.", key=brick.key), "success")
    if request.form.get("then") == "another":
        return see_other(
            "backlog.new_brick",
            format=brick.format.value,
            learning_path_id=brick.learning_path_id or None,
        )
    return see_other("backlog.brick", number=brick.number)


def _attach(form: BrickForm, error: DomainError) -> None:
    if error.field == "objectives":
        form.form_errors.append(error.message)
    else:
        attach_error(form, error)


# What the edit form edits, as fingerprints: which fields did the person change, which did
# someone else change since the person loaded the form.
COMPARED_FIELDS = (*services.EDITABLE_FIELDS, "objectives")


def current_values(brick: Brick) -> dict[str, Any]:
    values = {name: services.plain(getattr(brick, name)) for name in services.EDITABLE_FIELDS}
    values["objectives"] = services.plain_objectives(brick.objectives)
    return values


def submitted_values(form: BrickForm) -> dict[str, Any]:
    values = {name: services.plain(value) for name, value in form.brick_values().items()}
    values["objectives"] = [
        {"statement": " ".join(statement.split()), "bloom_level": bloom_level_of(level).value}
        for statement, level in form.objective_values()
    ]
    return values


def fingerprint(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def fingerprints(values: dict[str, Any]) -> str:
    return json.dumps({name: fingerprint(values[name]) for name in COMPARED_FIELDS})


def _read_fingerprints(raw: str | None) -> dict[str, str]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class ConflictRow:
    label: str
    theirs: str
    yours: str
    kept_yours: bool
    long: bool


def merge_after_conflict(
    form: EditBrickForm, brick: Brick, book: services.NameBook
) -> list[ConflictRow]:
    """Put someone else's changes into the form where the person had not touched the field,
    keep the person's own changes, and say which is which. The version becomes the current
    one, so that saving again applies the form knowingly."""
    original = _read_fingerprints(form.original.data)
    mine = submitted_values(form)
    theirs = current_values(brick)
    rows = []
    for name in COMPARED_FIELDS:
        if fingerprint(theirs[name]) == original.get(name) or mine[name] == theirs[name]:
            continue  # they did not change it, or they did the same as the person
        kept_yours = fingerprint(mine[name]) != original.get(name)
        rows.append(
            ConflictRow(
                _label(name),
                describe(name, theirs[name], book),
                describe(name, mine[name], book),
                kept_yours,
                name in LONG_FIELDS,
            )
        )
        if not kept_yours:
            _put(form, name, theirs[name])
    form.version.data = brick.version
    form.version.raw_data = None
    form.original.data = fingerprints(theirs)
    return rows


def _put(form: EditBrickForm, name: str, value: Any) -> None:
    if name == "objectives":
        form.set_objectives((o["statement"], o["bloom_level"]) for o in value)
        return
    form_field = getattr(form, name)
    form_field.data = value
    form_field.raw_data = None


@bp.route("/bricks/<int:number>/edit", methods=["GET", "POST"])
@requires(Permission.BRICK_EDIT)
def edit_brick(number: int) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    if request.method == "GET":
        form = EditBrickForm(
            data={
                **{name: getattr(brick, name) for name in services.EDITABLE_FIELDS},
                "format": brick.format.value,
                "version": brick.version,
                "original": fingerprints(current_values(brick)),
                "objectives": [
                    {"statement": o.statement, "bloom_level": o.bloom_level.value}
                    for o in brick.objectives
                ],
            }
        )
        _prepare(form, brick)
        return _form_page(form, brick)
    form = EditBrickForm()
    book = _prepare(form, brick)
    if not form.validate_on_submit():
        return _form_page(form, brick, 422)
    values = form.brick_values()
    try:
        if values.get("stage_id") not in (None, brick.stage_id):
            services.check_stage_entry(db.session, brick, values["stage_id"])
        changes = services.update_brick(
            db.session,
            brick,
            actor=current_user,
            expected_version=form.version.data or 0,
            objectives=form.objective_values(),
            **values,
            now=utcnow(),
        )
    except Conflict:
        db.session.rollback()
        brick = services.load_brick_page(db.session, g.academy, number)
        book = _prepare(form, brick)
        rows = merge_after_conflict(form, brick, book)
        form.form_errors.append(
            _(
                "Someone else saved this brick while you were editing it. What they changed is "
                "listed below; your own changes are still in the form. Check, then save again."
            )
        )
        return _form_page(form, brick, 409, conflict=rows)
    except DomainError as error:
        db.session.rollback()
        _attach(form, error)
        return _form_page(form, brick, 422)
    db.session.commit()
    if changes:
        flash(_("%(key)s is saved.", key=brick.key), "success")
    else:
        flash(_("Nothing changed."))
    return see_other("backlog.brick", number=brick.number)


@bp.route("/bricks/<int:number>/delete", methods=["GET", "POST"])
@requires(Permission.BRICK_DELETE)
def delete_brick(number: int) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        key, title = brick.key, brick.title
        services.delete_brick(db.session, brick, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("%(key)s “%(title)s” is deleted.", key=key, title=title), "success")
        return redirect(_backlog_url(), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("backlog/brick_delete.html", brick=brick, form=form), status


# -- Definition-of-done templates ---------------------------------------------------------------


def _install_defaults_if_none() -> None:
    """Academies created before templates existed get the defaults on first visit."""
    academy = g.academy
    if checklists.has_templates(db.session, academy):
        return
    # A GET reads in a deferred transaction; writing from it could fail on SQLite when another
    # writer got in first. End it, and write in an immediate transaction instead.
    db.session.commit()
    token = _immediate.set(True)
    try:
        if checklists.ensure_default_checklists(db.session, academy):
            flash(_("Default checklists were installed; adapt them to your academy."))
        db.session.commit()
    finally:
        _immediate.reset(token)


def _format_or_404(value: str) -> BrickFormat:
    try:
        return BrickFormat(value)
    except ValueError:
        abort(404)


@bp.route("/checklists", endpoint="checklists")
@requires(Permission.CHECKLIST_MANAGE)
def checklists_page() -> Any:
    _install_defaults_if_none()
    return render_template(
        "backlog/checklists.html",
        templates=checklists.templates_by_format(db.session, g.academy),
    )


def _format_page(format: BrickFormat, add_form: AddChecklistItemForm | None = None) -> Any:
    items = checklists.templates_by_format(db.session, g.academy)[format]
    return render_template(
        "backlog/checklists_format.html",
        format=format,
        items=items,
        add_form=add_form or AddChecklistItemForm(),
        rename_forms={
            item.id: RenameChecklistItemForm(prefix=f"i{item.id}", label=item.label)
            for item in items
        },
    )


@bp.route("/checklists/<format>")
@requires(Permission.CHECKLIST_MANAGE)
def checklist_format(format: str) -> Any:
    brick_format = _format_or_404(format)
    _install_defaults_if_none()
    return _format_page(brick_format)


@bp.route("/checklists/<format>/items", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def add_checklist_item(format: str) -> Any:
    brick_format = _format_or_404(format)
    form = AddChecklistItemForm()
    if form.validate_on_submit():
        try:
            checklists.add_template_item(db.session, g.academy, brick_format, form.label.data or "")
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The item is added."), "success")
            return see_other("backlog.checklist_format", format=brick_format.value)
    return _format_page(brick_format, form), 422


@bp.route("/checklists/items/<int:item_id>/rename", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def rename_checklist_item(item_id: int) -> Any:
    item = checklists.get_template_item(db.session, g.academy, item_id)
    form = RenameChecklistItemForm(prefix=f"i{item.id}")
    if form.validate_on_submit():
        try:
            checklists.rename_template_item(db.session, item, form.label.data or "")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The item is renamed."), "success")
    else:
        flash(_("Write the item (255 characters at most)."), "error")
    return see_other("backlog.checklist_format", format=item.format.value)


@bp.route("/checklists/items/<int:item_id>/remove", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def remove_checklist_item(item_id: int) -> Any:
    item = checklists.get_template_item(db.session, g.academy, item_id)
    format = item.format.value
    if not ConfirmForm().validate_on_submit():
        abort(400)
    checklists.remove_template_item(db.session, item)
    db.session.commit()
    flash(_("The item is removed. Bricks that already have it keep theirs."), "success")
    return see_other("backlog.checklist_format", format=format)


@bp.route("/checklists/items/<int:item_id>/move", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def move_checklist_item(item_id: int) -> Any:
    item = checklists.get_template_item(db.session, g.academy, item_id)
    form = MoveChecklistItemForm()
    if not form.validate_on_submit():
        abort(400)
    checklists.move_template_item(db.session, item, -1 if form.direction.data == "up" else 1)
    db.session.commit()
    target = url_for("backlog.checklist_format", format=item.format.value)
    return redirect(f"{target}#item-{item.id}", code=303)
