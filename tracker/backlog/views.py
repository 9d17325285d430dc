"""Brick pages: create, view, edit, delete, comments, the definition-of-done templates.

`bp` is the backlog blueprint (/a/<slug>/...); the backlog list (list_views.py) attaches its
routes to it too. How values read on these pages (history, conflict table): presenting.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from tracker.auth.permissions import Permission, vendor_of
from tracker.backlog import bp, checklists, pages, presenting, services
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
    RenameChecklistItemForm,
)
from tracker.backlog.labels import FORMAT_LABELS, language_name
from tracker.backlog.models import BloomLevel, Brick, BrickFormat, ChecklistTemplate, Comment
from tracker.backlog.presenting import ConflictRow, current_locale_code
from tracker.db import _immediate, db, utcnow
from tracker.errors import Conflict, DomainError
from tracker.formatting import nested
from tracker.forms import ConfirmForm, MoveForm
from tracker.sprints import scope
from tracker.web import attach_error, query_int, requires, see_other, submit, submit_once, success

# For every template (the backlog list shows formats and durations too).
bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        FORMAT_LABELS=FORMAT_LABELS, BLOOM_LABELS=BLOOM_LABELS
    )
)


@bp.app_template_test("web_url")
def is_web_url(value: Any) -> bool:
    """Only http(s) addresses become links (a stored value is never trusted as a URL)."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def _backlog_url() -> str:
    """The backlog list (tracker/backlog/list_views.py), else the academy's home."""
    if "backlog.index" in current_app.view_functions:
        return url_for("backlog.index")
    return url_for("academy.home")


def _flash_refusal(form: FlaskForm) -> None:
    """A button's refusal (see submit()) is told on the page it redirects to."""
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")


# -- The brick page -----------------------------------------------------------------------------

HISTORY_SHOWN = 50  # events shown before "Show the whole history"


def _brick_page(
    number: int, comment_form: CommentBrickForm | None = None, status: int = 200
) -> Any:
    # The latest events by default: a brick worked on for a year has thousands.
    whole = request.args.get("history") == "all"
    page = services.brick_page(
        db.session, g.academy, number, history_limit=None if whole else HISTORY_SHOWN
    )
    return (
        render_template(
            "backlog/brick_view.html",
            brick=page.brick,
            comments=page.comments,
            history=[presenting.present_activity(event, page.book) for event in page.events],
            history_total=page.history_total,
            book=page.book,
            comment_form=comment_form or CommentBrickForm(),
            language_label=language_name(page.brick.language, current_locale_code()),
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
    done = submit_once(
        form,
        Comment,
        lambda: services.add_comment(
            db.session, brick, author=current_user, body=form.body.data or "", now=utcnow()
        ),
    )
    if done:
        return success(
            _("Your comment is posted."), "backlog.brick", number=number, _anchor="comments"
        )
    return _brick_page(number, form, done.status)


@bp.route("/bricks/<int:number>/checklist/<int:item_id>", methods=["POST"])
@requires(Permission.CHECKLIST_TICK)
def tick(number: int, item_id: int) -> Any:
    pages.tick_from_form(number, item_id)
    return see_other("backlog.brick", number=number, _anchor="checklist")


# -- Creating and editing -----------------------------------------------------------------------


def _prepare(form: BrickForm, brick: Brick | None = None) -> services.NameBook:
    """Fill the form's lists for this academy; return the names for the conflict table."""
    picks = services.brick_choices(
        db.session,
        g.academy,
        vendor_id=brick.vendor_id if brick is not None else None,
        seen_by_vendor=vendor_of(current_user, g.academy),
    )
    form.set_choices(
        stages=picks.stages,
        sprints=picks.sprints,
        releases=picks.releases,
        learning_paths=picks.learning_paths,
        owners=picks.owners,
        reviewers=picks.reviewers,
        locale=current_locale_code(),
        current_language=brick.language if brick is not None else None,
    )
    people = {u.id: u.display_name for u in (*picks.owners, *picks.reviewers)}
    book = services.NameBook(
        stage_id={s.id: s.name for s in picks.stages},
        sprint_id={s.id: s.name for s in picks.sprints},
        release_id={r.id: r.name for r in picks.releases},
        learning_path_id={p.id: p.name for p in picks.learning_paths},
        owner_id=people,
    )
    if brick is not None:
        form.keep_people(brick, book.owner_id)
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


@contextmanager
def _objective_errors_above_the_form() -> Iterator[None]:
    """The list of objectives has no place for one message of its own: it goes above the form."""
    try:
        yield
    except DomainError as error:
        if error.field == "objectives":
            error.field = None
        raise


@bp.route("/bricks/new", methods=["GET", "POST"])
@requires(Permission.BRICK_CREATE)
def new_brick() -> Any:
    if request.method == "GET":
        form = CreateBrickForm(data=_new_brick_data())
        _prepare(form)
        return _form_page(form, None)
    form = CreateBrickForm()
    _prepare(form)
    done = submit_once(form, Brick, lambda: _create_brick(form))
    if not done or done.value is None:
        return _form_page(form, None, done.status)
    brick = done.value
    flash(_("%(key)s is created.", key=brick.key), "success")
    if request.form.get("then") == "another":
        return see_other(
            "backlog.new_brick",
            format=brick.format.value,
            learning_path_id=brick.learning_path_id or None,
        )
    return see_other("backlog.brick", number=brick.number)


def _new_brick_data() -> dict[str, Any]:
    """A new brick starts in the first stage, in the academy's language; the format and the
    path may come from the link that led here ("Create another", a path's page)."""
    return {
        "stage_id": services.first_stage(db.session, g.academy).id,
        "language": g.academy.default_locale,
        "format": request.args.get("format", ""),
        "learning_path_id": query_int("learning_path_id"),
    }


def _create_brick(form: CreateBrickForm) -> Brick:
    values = form.brick_values()
    with _objective_errors_above_the_form():
        return scope.create_brick(
            db.session,
            g.academy,
            actor=current_user,
            title=values.pop("title"),
            format=values.pop("format"),
            objectives=form.objective_values(),
            scope_reason=form.scope_reason.data,
            now=utcnow(),
            **values,
        )


@bp.route("/bricks/<int:number>/edit", methods=["GET", "POST"])
@requires(Permission.BRICK_EDIT)
def edit_brick(number: int) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    if request.method == "GET":
        form = EditBrickForm(data=presenting.edit_form_data(brick))
    else:
        form = EditBrickForm()
    _prepare(form, brick)
    if not form.validate_on_submit():
        return _form_page(form, brick, 422 if request.method == "POST" else 200)
    # Not submit(): a conflict is its own page (409), someone else's changes beside the person's.
    try:
        changes = _update_brick(brick, form)
    except Conflict:
        db.session.rollback()
        return _conflict_page(number, form)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _form_page(form, brick, error.status)
    db.session.commit()
    if changes:
        flash(_("%(key)s is saved.", key=brick.key), "success")
    else:
        flash(_("Nothing changed."))
    return see_other("backlog.brick", number=brick.number)


def _update_brick(brick: Brick, form: EditBrickForm) -> dict[str, list[Any]]:
    values = form.brick_values()
    with _objective_errors_above_the_form():
        return scope.edit_brick(
            db.session,
            brick,
            actor=current_user,
            expected_version=form.version.data or 0,
            objectives=form.objective_values(),
            scope_reason=form.scope_reason.data,
            now=utcnow(),
            **values,
        )


def _conflict_page(number: int, form: EditBrickForm) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    rows = presenting.merge_after_conflict(form, brick, _prepare(form, brick))
    form.form_errors.append(
        _(
            "Someone else saved this brick while you were editing it. What they changed is "
            "listed below; your own changes are still in the form. Check, then save again."
        )
    )
    return _form_page(form, brick, 409, conflict=rows)


@bp.route("/bricks/<int:number>/delete", methods=["GET", "POST"])
@requires(Permission.BRICK_DELETE)
def delete_brick(number: int) -> Any:
    brick = services.load_brick_page(db.session, g.academy, number)
    key, title = brick.key, brick.title
    form = ConfirmForm()
    done = submit(
        form,
        lambda: services.delete_brick(db.session, brick, actor=current_user, now=utcnow()),
    )
    if done:
        flash(_("%(key)s “%(title)s” is deleted.", key=key, title=nested(title)), "success")
        return redirect(_backlog_url(), code=303)
    return render_template("backlog/brick_delete.html", brick=brick, form=form), done.status


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
    brick_format = services.get_brick_format(format)
    _install_defaults_if_none()
    return _format_page(brick_format)


@bp.route("/checklists/<format>/items", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def add_checklist_item(format: str) -> Any:
    brick_format = services.get_brick_format(format)
    form = AddChecklistItemForm()
    done = submit_once(
        form,
        ChecklistTemplate,
        lambda: checklists.add_template_item(
            db.session, g.academy, brick_format, form.label.data or ""
        ),
    )
    if done:
        return success(
            _("The item is added."), "backlog.checklist_format", format=brick_format.value
        )
    return _format_page(brick_format, form), done.status


@bp.route("/checklists/items/<int:item_id>/rename", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def rename_checklist_item(item_id: int) -> Any:
    item = checklists.get_template_item(db.session, g.academy, item_id)
    form = RenameChecklistItemForm(prefix=f"i{item.id}")
    if submit(
        form, lambda: checklists.rename_template_item(db.session, item, form.label.data or "")
    ):
        flash(_("The item is renamed."), "success")
    else:
        _flash_refusal(form)
    return see_other("backlog.checklist_format", format=item.format.value)


@bp.route("/checklists/items/<int:item_id>/remove", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def remove_checklist_item(item_id: int) -> Any:
    item = checklists.get_template_item(db.session, g.academy, item_id)
    format = item.format.value
    if not submit(ConfirmForm(), lambda: checklists.remove_template_item(db.session, item)):
        abort(400)
    return success(
        _("The item is removed. Bricks that already have it keep theirs."),
        "backlog.checklist_format",
        format=format,
    )


@bp.route("/checklists/items/<int:item_id>/move", methods=["POST"])
@requires(Permission.CHECKLIST_MANAGE)
def move_checklist_item(item_id: int) -> Any:
    item = checklists.get_template_item(db.session, g.academy, item_id)
    form = MoveForm()
    if not submit(form, lambda: checklists.move_template_item(db.session, item, form.offset)):
        abort(400)
    return see_other(
        "backlog.checklist_format", format=item.format.value, _anchor=f"item-{item.id}"
    )
