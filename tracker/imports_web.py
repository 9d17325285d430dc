"""The one "upload → dry run → confirm" flow of every import: its routes, its two pages
(templates/imports/upload.html and preview.html, with the import's words from its `texts`
template), and where uploads are parked. The rules: tracker/imports.py.

An import subclasses `Importer` in its view module (its rules, endpoints, upload form, words,
and what to say once done), then calls `add_routes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from flask import Blueprint, Response, flash, g, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from tracker import spreadsheets
from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.errors import Conflict, DomainError
from tracker.imports import (
    DatabaseUploads,
    ImportPlan,
    ImportRules,
    UploadStore,
    upload_expired,
)
from tracker.web import attach_error, requires

ResultT = TypeVar("ResultT")


def upload_store() -> UploadStore:
    """The application's parked uploads: in the database, which every server shares."""
    return DatabaseUploads(db.session, now=utcnow())


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class Importer(Generic[ResultT]):
    """An import's web side: subclass it in the import's view module, then add_routes()."""

    rules: ClassVar[ImportRules[Any]]
    endpoints: ClassVar[tuple[str, str, str]]  # the upload page (and dry run), import, template
    form: ClassVar[type[FlaskForm]]  # the upload form: one `file` field
    texts: ClassVar[str]  # the Jinja template whose macros give this import's words
    context: ClassVar[Mapping[str, Any]] = {}  # more for the texts template
    # The largest file and the most rows it takes (an LMS report is larger than a backlog).
    # (None: the shared caps of tracker/spreadsheets.py.)
    max_bytes: ClassVar[int | None] = None
    max_rows: ClassVar[int | None] = None

    @property
    def byte_cap(self) -> int:
        return self.max_bytes or spreadsheets.MAX_FILE_BYTES

    @property
    def row_cap(self) -> int:
        return self.max_rows or spreadsheets.MAX_ROWS

    def parked(self, plan: ImportPlan[Any], filename: str, data: bytes) -> bytes | None:
        """What the dry run keeps until the confirmation: the file as uploaded. An import whose
        files carry personal data keeps only what it needs; None keeps nothing (then there is
        no confirmation: a failed dry run). May raise DomainError."""
        return data

    def recheck(self, plan_of: str, data: bytes) -> ImportPlan[Any]:
        """The plan of what `parked` kept (`plan_of`: the uploaded file's name): checked again
        at the confirmation, as the academy may have changed since the dry run."""
        return self.rules.check(db.session, g.academy, plan_of, data)

    def done(self, plan: ImportPlan[Any], result: ResultT) -> Any:
        """Once imported and committed: say what was done (flash), then a 303."""
        raise NotImplementedError

    @property
    def upload_endpoint(self) -> str:
        return self.endpoints[0]

    @property
    def confirm_endpoint(self) -> str:
        return self.endpoints[1]

    @property
    def sample_endpoint(self) -> str:
        return self.endpoints[2]


def add_routes(
    bp: Blueprint, importer: Importer[Any], url: str, permission: Permission, sample_name: str
) -> None:
    """The import's routes on `bp`, each requiring `permission`: `url` (GET the upload page,
    POST the dry run), `url`/confirm (POST the import), `url`/template.csv (`sample_name`)."""
    guard = requires(permission)
    views: tuple[Callable[[], Any], ...] = (
        lambda: dry_run(importer),
        lambda: confirm(importer),
        lambda: sample_file(importer, sample_name),
    )
    suffixes = ("", "/confirm", "/template.csv")
    methods = (["GET", "POST"], ["POST"], ["GET"])
    for endpoint, view, suffix, allowed in zip(
        importer.endpoints, views, suffixes, methods, strict=True
    ):
        blueprint, _dot, name = endpoint.partition(".")
        if blueprint != bp.name:
            raise ValueError(f"{endpoint} is not an endpoint of the blueprint {bp.name}")
        bp.add_url_rule(url + suffix, name, guard(view), methods=allowed)


def upload_page(importer: Importer[Any], form: FlaskForm, status: int = 200) -> Any:
    return render_template(
        "imports/upload.html",
        importer=importer,
        texts=importer.texts,
        form=form,
        max_kb=importer.byte_cap // 1024,
        max_rows=importer.row_cap,
        **importer.context,
    ), status


# The dry run's page stays small whatever the file's size: its wrong rows first (at most
# BAD_ROWS_SHOWN), then a sample of the good ones (at most GOOD_ROWS_SHOWN), each with how many
# more there are.
BAD_ROWS_SHOWN = 200
GOOD_ROWS_SHOWN = 20


def preview_page(
    importer: Importer[Any],
    plan: ImportPlan[Any],
    filename: str,
    token: str,
    status: int | None = None,
) -> Any:
    bad = [row for row in plan.rows if not row.ok]
    good_count = len(plan.rows) - len(bad)
    good = [row for row in plan.rows if row.ok][:GOOD_ROWS_SHOWN]
    return render_template(
        "imports/preview.html",
        importer=importer,
        texts=importer.texts,
        plan=plan,
        bad_rows=bad[:BAD_ROWS_SHOWN],
        bad_more=max(0, len(bad) - BAD_ROWS_SHOWN),
        good_rows=good,
        good_more=good_count - len(good),
        filename=filename,
        confirm_form=ConfirmImportForm(formdata=None, token=token),
        **importer.context,
    ), status or (200 if plan.ok else 422)


def dry_run(importer: Importer[Any]) -> Any:
    """Upload a file: the answer is the dry run, row by row; nothing is written yet."""
    form = importer.form()
    if not form.validate_on_submit():
        return upload_page(importer, form, 422 if request.method == "POST" else 200)
    upload = form.file.data
    filename = upload.filename or ""
    data = upload.read(importer.byte_cap + 1)
    try:
        plan = importer.rules.check(db.session, g.academy, filename, data)
        kept = importer.parked(plan, filename, data)
    except DomainError as error:
        attach_error(form, error)
        return upload_page(importer, form, 422)
    token = ""
    if kept is not None:
        token = upload_store().park(
            academy_id=g.academy.id, user_id=current_user.id, filename=filename, data=kept
        )
    db.session.commit()  # the dry run wrote nothing else
    return preview_page(importer, plan, filename, token)


def confirm(importer: Importer[Any]) -> Any:
    """Import every row of the parked file in one transaction, or nothing."""
    form = ConfirmImportForm()
    token = form.token.data or ""
    try:
        if not form.validate():
            raise upload_expired()
        filename, data = upload_store().load(
            token, academy_id=g.academy.id, user_id=current_user.id
        )
        # Checked again: the academy may have changed since the dry run.
        plan = importer.recheck(filename, data)
    except DomainError as error:
        upload_form = importer.form(formdata=None)
        attach_error(upload_form, error)
        return upload_page(importer, upload_form, 422)
    if not plan.ok:
        return preview_page(importer, plan, filename, token)
    return _apply(importer, plan, filename, data, token)


def _apply(
    importer: Importer[Any], plan: ImportPlan[Any], filename: str, data: bytes, token: str
) -> Any:
    try:
        result = importer.rules.apply(db.session, g.academy, plan, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        if isinstance(error, Conflict):  # the academy changed while importing: look again
            plan = importer.recheck(filename, data)
            return preview_page(importer, plan, filename, token, 409)
        return preview_page(importer, plan, filename, token, 422)
    upload_store().discard(token)  # in the import's own transaction
    db.session.commit()
    return importer.done(plan, result)


def sample_file(importer: Importer[Any], filename: str) -> Response:
    """The import's template (its header and example rows), as a CSV download."""
    return Response(
        importer.rules.sample(),
        mimetype=spreadsheets.CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
