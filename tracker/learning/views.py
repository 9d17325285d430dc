"""Learning-data pages: the academy's LRS settings and pull, a brick's identifiers."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, make_response, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from tracker import imports_web, spreadsheets
from tracker.academies.models import Academy
from tracker.auth.permissions import Permission
from tracker.backlog.models import Brick
from tracker.backlog.services import get_brick
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.forms import ConfirmForm, choices
from tracker.imports import ImportPlan, ImportRules
from tracker.learning import (
    bp,
    evaluate_bp,
    evaluations,
    improvements,
    lms_import,
    outcomes,
    services,
)
from tracker.learning.forms import (
    ColumnMappingForm,
    EvaluationClosingForm,
    EvaluationForm,
    EvaluationSettingsForm,
    LrsForm,
    NamedModeForm,
    ThresholdsForm,
    UploadLmsExportForm,
    brick_link_form,
)
from tracker.learning.labels import EVALUATION_KIND_LABELS
from tracker.learning.models import EvaluationKind, LrsAuth
from tracker.releases.models import Release
from tracker.releases.readiness import beta_prediction
from tracker.releases.services import get_release
from tracker.web import public, requires, see_other, submit, success


def _settings_page(
    current: Any, form: LrsForm, thresholds_form: ThresholdsForm, status: int = 200
) -> Any:
    form.secret.data = ""  # never shown back
    return render_template(
        "learning/settings.html",
        form=form,
        settings=current,
        pull_form=ConfirmForm(),
        named_form=NamedModeForm(
            formdata=None, named=current.named_mode, retention_days=current.retention_days
        ),
        thresholds_form=thresholds_form,
        has_key=bool(current_app.config["LEARNER_KEY"]),
        evaluation_form=EvaluationSettingsForm(formdata=None, auto=current.auto_evaluations),
    ), status


def _lrs_form(current: Any, *, posted: bool = True) -> LrsForm:
    """The LRS form, filled from the request when it is the one posted, else from `current`."""
    data = {
        "endpoint": current.lrs_endpoint,
        "auth": current.lrs_auth.value,
        "username": current.lrs_username,
        "business_unit_extension": current.business_unit_extension,
    }
    return LrsForm(data=data) if posted else LrsForm(formdata=None, data=data)


def _thresholds_form(current: Any) -> ThresholdsForm:
    """The thresholds form as saved (another form of the page was posted)."""
    data = {name: getattr(current, name) for name in services.THRESHOLD_FIELDS}
    return ThresholdsForm(formdata=None, data=data)


@bp.route("/learning/", methods=["GET", "POST"])
@requires(Permission.LEARNING_MANAGE)
def settings() -> Any:
    current = services.read_settings(db.session, g.academy)
    form = _lrs_form(current)

    def secret_of() -> str | None:
        if form.clear_secret.data == "clear":
            return ""
        return form.secret.data or None

    done = submit(
        form,
        lambda: services.update_lrs(
            db.session, g.academy, endpoint=form.endpoint.data or "",
            auth=LrsAuth(form.auth.data), username=form.username.data or "",
            secret=secret_of(),
            business_unit_extension=form.business_unit_extension.data or "", now=utcnow(),
            allow_private=bool(current_app.config["LRS_ALLOW_PRIVATE"]),
            app_secret_key=current_app.config["SECRET_KEY"],
        ),
    )  # fmt: skip
    if done:
        return success(_("The learning data settings are saved."), "learning.settings")
    return _settings_page(current, form, _thresholds_form(current), done.status)


@bp.route("/learning/thresholds", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def thresholds() -> Any:
    current = services.read_settings(db.session, g.academy)
    form = ThresholdsForm()
    done = submit(
        form,
        lambda: services.set_thresholds(
            db.session, g.academy, now=utcnow(),
            **{name: form[name].data for name in services.THRESHOLD_FIELDS},
        ),
    )  # fmt: skip
    if done:
        return success(_("The thresholds are saved."), "learning.settings")
    return _settings_page(current, _lrs_form(current, posted=False), form, done.status)


@bp.route("/learning/named", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def named_mode() -> Any:
    form = NamedModeForm()
    done = submit(
        form,
        lambda: services.set_named_mode(
            db.session, g.academy, named=bool(form.named.data),
            retention_days=form.retention_days.data or 0, now=utcnow(),
        ),
    )  # fmt: skip
    if done:
        return success(_("The named mode is saved."), "learning.settings")
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")
    return see_other("learning.settings")


@bp.route("/learning/pull", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def pull() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return see_other("learning.settings")
    report = services.pull_statements(
        db.session, g.academy, key=current_app.config["LEARNER_KEY"], now=utcnow(),
        timeout=float(current_app.config["LRS_TIMEOUT"]), checkpoint=db.session.commit,
        allow_private=bool(current_app.config["LRS_ALLOW_PRIVATE"]),
        app_secret_key=current_app.config["SECRET_KEY"],
        secret_key_fallbacks=tuple(current_app.config.get("SECRET_KEY_FALLBACKS") or ()),
        max_pages=int(current_app.config["LRS_PULL_PAGES_NOW"]),
    )  # fmt: skip
    db.session.commit()
    if report.unfinished and not report.errors:
        flash(
            ngettext(
                "%(num)s statement read; new facts: %(stored)s. There are more: the worker"
                " reads the rest in the background.",
                "%(num)s statements read; new facts: %(stored)s. There are more: the worker"
                " reads the rest in the background.",
                report.read,
                stored=report.stored,
            ),
            "success",
        )
    elif report.errors:
        flash(_("The LRS could not be read: %(error)s", error=report.errors[0]), "error")
    else:
        flash(
            ngettext(
                "%(num)s statement read; new facts: %(stored)s.",
                "%(num)s statements read; new facts: %(stored)s.",
                report.read,
                stored=report.stored,
            ),
            "success",
        )
    return see_other("learning.settings")


# -- The LMS-export import (tracker/imports_web.py's flow) ----------------------------------------


def _import_rows(session: Any, academy: Any, plan: ImportPlan[Any], *, actor: Any, now: Any) -> int:
    return lms_import.import_rows(
        session, academy, plan, key=current_app.config["LEARNER_KEY"], now=now
    )


class LmsExportImport(imports_web.Importer[int]):
    """An LMS's completion report: pseudonymous facts per learner and course."""

    rules = ImportRules(
        columns=lms_import.COLUMNS,
        check=lms_import.plan_import,
        apply=_import_rows,
        sample=lms_import.template_csv,
    )
    endpoints = ("learning.import_upload", "learning.import_confirm", "learning.import_template")
    form = UploadLmsExportForm
    texts = "learning/_import_texts.html"
    max_bytes = lms_import.MAX_BYTES
    max_rows = lms_import.MAX_ROWS

    def parked(self, plan: ImportPlan[Any], filename: str, data: bytes) -> bytes | None:
        """Never the file: the checked rows, pseudonymous (tracker/learning/lms_import.py)."""
        assert isinstance(plan, lms_import.LmsPlan)
        return lms_import.parked_plan(
            plan,
            key=current_app.config["LEARNER_KEY"],
            named=services.read_settings(db.session, g.academy).named_mode,
            excel=spreadsheets.is_xlsx(filename),
        )

    def recheck(self, plan_of: str, data: bytes) -> ImportPlan[Any]:
        return lms_import.replan(db.session, g.academy, data)

    def done(self, plan: ImportPlan[Any], count: int) -> Any:
        return success(
            ngettext("%(num)s row imported.", "%(num)s rows imported.", count), "learning.settings"
        )


imports_web.add_routes(
    bp, LmsExportImport(), "/learning/import", Permission.LEARNING_MANAGE, "lms-export-template.csv"
)


@bp.route("/learning/columns", methods=["GET", "POST"])
@requires(Permission.LEARNING_MANAGE)
def columns() -> Any:
    current = services.read_settings(db.session, g.academy).column_mapping or {}
    form = ColumnMappingForm(
        data={
            "preset": "mine",
            "date_order": lms_import.DEFAULT_DATE_ORDER,
            "time_unit": lms_import.DEFAULT_TIME_UNIT,
            **current,
        }
    )
    form.preset.choices = choices(
        [("mine", _("The headers below")), *((name, name) for name in lms_import.PRESETS)]
    )
    if form.validate_on_submit() and form.preset.data != "mine":
        preset = lms_import.PRESETS[form.preset.data]
        for name in (*lms_import.FIELDS, *lms_import.OPTIONS):
            form[name].data = preset.get(name, "")
    done = submit(
        form,
        lambda: lms_import.set_mapping(
            db.session, g.academy,
            {name: form[name].data or ""
             for name in (*lms_import.FIELDS, *lms_import.OPTIONS)}, now=utcnow(),
        ),
    )  # fmt: skip
    if done:
        return success(_("The LMS export columns are saved."), "learning.import_upload")
    return render_template("learning/columns.html", form=form), done.status


@bp.route("/bricks/<int:number>/learning", methods=["GET", "POST"])
@requires(Permission.LEARNING_LINK)
def brick_link(number: int) -> Any:
    brick = get_brick(db.session, g.academy, number)
    current = services.brick_identifiers(db.session, brick)
    evidence = services.objective_evidence(db.session, brick)
    form = brick_link_form(brick.objectives)(
        data={
            "course_id": current.course_id,
            "activity_iris": "\n".join(current.iris),
            "pre_course_id": current.pre_course_id,
            "pre_activity_iris": "\n".join(current.pre_iris),
            **{f"threshold_{i}": round(e.min_score * 100) for i, e in evidence.items()
               if e.min_score is not None},
            **{f"survey_{i}": e.survey for i, e in evidence.items()},
        }
    )  # fmt: skip

    def save() -> None:
        services.set_brick_identifiers(
            db.session, brick, course_id=form.course_id.data or "",
            iris=services.split_iris(form.activity_iris.data or ""),
            pre_course_id=form.pre_course_id.data or "",
            pre_iris=services.split_iris(form.pre_activity_iris.data or ""),
        )  # fmt: skip
        services.set_objective_thresholds(
            db.session, brick,
            {o.id: form[f"threshold_{o.id}"].data for o in brick.objectives},
            {o.id: form[f"survey_{o.id}"].data or "" for o in brick.objectives},
        )  # fmt: skip

    done = submit(form, save)
    if done:
        return success(
            _("The learning platform identifiers of %(key)s are saved.", key=brick.key),
            "backlog.brick",
            number=brick.number,
        )
    return render_template(
        "learning/brick_link.html", form=form, brick=brick, objectives=brick.objectives
    ), done.status


def brick_learning_identifiers(brick: Brick) -> services.BrickIdentifiers:
    """The brick's LMS course id and xAPI IRIs: for the brick page."""
    return services.brick_identifiers(db.session, brick)


def brick_learning_outcome(brick: Brick) -> outcomes.BrickOutcome:
    """The brick's outcome with learners: for the brick page."""
    return outcomes.brick_outcomes(db.session, [brick])[brick.id]


def brick_objective_outcomes(bricks: list[Brick]) -> dict[int, list[outcomes.ObjectiveOutcome]]:
    """Objectives achieved, per brick: for the brick page and the release page."""
    return outcomes.objective_outcomes(db.session, bricks)


def release_learning_outcome(bricks: list[Brick]) -> outcomes.ReleaseOutcome:
    """The outcome of a release's bricks: for the release page."""
    return outcomes.release_outcome(db.session, bricks)


def release_learning_units(bricks: list[Brick]) -> outcomes.UnitsOutcome:
    """Learners by business unit over a release's bricks (k >= 5): for the release page."""
    return outcomes.release_units(db.session, bricks)


def brick_release_evaluation_results(brick: Brick) -> list[evaluations.EvaluationResults]:
    """The evaluations of the brick's release (release-wide figures): for the brick page."""
    release = db.session.get(Release, brick.release_id) if brick.release_id else None
    return [] if release is None else release_evaluation_results(release)


def learning_need_reach(academy: Academy) -> list[outcomes.NeedReach]:
    """People reached per need: for the coverage page and the stakeholder's home."""
    return outcomes.need_reach(db.session, academy)


def learning_shortfalls(
    pairs: list[tuple[Brick, outcomes.BrickOutcome]],
    objectives: dict[int, list[outcomes.ObjectiveOutcome]],
) -> dict[int, improvements.BrickShortfalls]:
    """Per brick, its figures under the academy's thresholds and its open improvement brick:
    for the brick page and the release page (a fixed number of queries; none for bricks with
    no learner and no release, which have no figure to fall short)."""
    if not any(o.enrolled or b.release_id is not None for b, o in pairs):
        return {}
    settings = services.read_settings(db.session, g.academy)
    return improvements.brick_shortfalls(
        db.session, settings, [b for b, _o in pairs], {b.id: o for b, o in pairs}, objectives
    )


@bp.route("/bricks/<int:number>/improvement", methods=["POST"])
@requires(Permission.BRICK_CREATE)
def propose_improvement(number: int) -> Any:
    source = get_brick(db.session, g.academy, number)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return see_other("backlog.brick", number=source.number)
    found = learning_shortfalls(
        [(source, brick_learning_outcome(source))], brick_objective_outcomes([source])
    ).get(source.id)
    base = str(current_app.config["BASE_URL"])
    release_url = (
        base + url_for("releases.show", release_id=source.release_id) if source.release_id else ""
    )
    try:
        with force_locale(g.academy.default_locale):
            brick, created = improvements.propose_improvement(
                db.session, g.academy, source, found.shortfalls if found else [],
                actor=current_user, now=utcnow(), release_url=release_url,
                brick_url=base + url_for("backlog.brick", number=source.number),
            )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return see_other("backlog.brick", number=source.number)
    db.session.commit()
    message = (
        _("Improvement brick %(key)s added to the backlog.", key=brick.key)
        if created
        else _("%(key)s already improves this brick.", key=brick.key)
    )
    return success(message, "backlog.brick", number=brick.number)


bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        learning_shortfalls=learning_shortfalls,
        brick_learning_identifiers=brick_learning_identifiers,
        brick_learning_outcome=brick_learning_outcome,
        brick_objective_outcomes=brick_objective_outcomes,
        release_learning_outcome=release_learning_outcome,
        learning_need_reach=learning_need_reach,
        release_learning_units=release_learning_units,
        brick_release_evaluation_results=brick_release_evaluation_results,
    )
)


# -- Evaluations after the release -----------------------------------------------------------------


@bp.route("/releases/<int:release_id>/evaluations", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def create_evaluation(release_id: int) -> Any:
    release = get_release(db.session, g.academy, release_id)
    form = EvaluationForm()
    if not form.validate_on_submit():
        for name, messages in form.errors.items():
            label = form[name].label.text if name in form else ""
            for message in messages:
                flash(f"{label}: {message}" if label else str(message), "error")
        return see_other("releases.show", release_id=release.id)
    try:
        evaluation, token = evaluations.create_evaluation(
            db.session, g.academy, release, EvaluationKind(form.kind.data), now=utcnow(),
            closes_on=form.closes_on.data,
        )  # fmt: skip
    except DomainError as error:  # one of each kind per release; a closing date refused
        db.session.rollback()
        label = form.closes_on.label.text if error.field == "closes_on" else ""
        flash(f"{label}: {error.message}" if label else error.message, "error")
        return see_other("releases.show", release_id=release.id)
    db.session.commit()
    link = f"{current_app.config['BASE_URL']}{url_for('evaluate.answer', token=token)}"
    # The link is shown once, here (only its hash is kept).
    return render_template(
        "learning/evaluation_created.html", evaluation=evaluation, release=release, link=link
    )


@bp.route("/evaluations/<int:evaluation_id>/link", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def new_link(evaluation_id: int) -> Any:
    """One more public link to an evaluation (the worker opened it, or its first link was
    lost): shown once, as at creation; the earlier links keep working."""
    found = evaluations.get_evaluation(db.session, g.academy, evaluation_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    token = evaluations.issue_for_mail(db.session, found.id, utcnow(), single_use=False)
    if token is None:
        flash(_("This evaluation is closed: answers are no longer accepted."), "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    db.session.commit()
    link = f"{current_app.config['BASE_URL']}{url_for('evaluate.answer', token=token)}"
    return render_template(
        "learning/evaluation_created.html",
        evaluation=found,
        release=db.session.get(Release, found.release_id),
        link=link,
    )


@bp.route("/evaluations/<int:evaluation_id>/closing", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def evaluation_closing(evaluation_id: int) -> Any:
    """Move the closing date (`closes_on`), or close now (`close` set)."""
    found = evaluations.get_evaluation(db.session, g.academy, evaluation_id)
    form = EvaluationClosingForm()
    close_now = request.form.get("close") == "1"
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(f"{form.closes_on.label.text}: {message}", "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    if not close_now and form.closes_on.data is None:
        flash(f"{form.closes_on.label.text}: {_('Choose a date.')}", "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    try:
        evaluations.set_closing(
            db.session, found, closes_on=None if close_now else form.closes_on.data, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        flash(f"{form.closes_on.label.text}: {error.message}", "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    db.session.commit()
    return success(
        _("The evaluation is closed.") if close_now else _("The closing date is saved."),
        "learning.evaluation",
        evaluation_id=found.id,
    )


@bp.route("/learning/evaluations", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def evaluation_settings() -> Any:
    form = EvaluationSettingsForm()
    done = submit(
        form,
        lambda: services.set_auto_evaluations(
            db.session, g.academy, auto=bool(form.auto.data), now=utcnow()
        ),
    )
    if done:
        return success(_("The evaluation settings are saved."), "learning.settings")
    flash(_("The form has expired: try again."), "error")
    return see_other("learning.settings")


@bp.route("/evaluations/<int:evaluation_id>")
@requires(Permission.OUTCOME_VIEW)
def evaluation(evaluation_id: int) -> Any:
    found = evaluations.get_evaluation(db.session, g.academy, evaluation_id)
    results = evaluations.evaluation_results(db.session, [found])[found.id]
    return render_template(
        "learning/evaluation.html",
        results=results,
        texts=evaluations.free_texts(db.session, found),
        release=db.session.get(Release, found.release_id),
        closing_form=EvaluationClosingForm(formdata=None, closes_on=evaluations.closing_day(found)),
        open=utcnow() < found.closes_at,
    )


ANSWERED_COOKIE = "brique_answered_{}"


@evaluate_bp.route("/e/<token>", methods=["GET", "POST"])
@public
def answer(token: str) -> Any:
    """An evaluation's form. An e-mailed link takes one form (then: "already answered"); a
    public link takes any number (people share it), but the browser that sent a form keeps a
    cookie that tells it, next time, that it has answered (soft: another browser can answer)."""
    target = evaluations.resolve_link(db.session, token)
    if target is None:
        abort(404)
    found = target.evaluation
    cookie = ANSWERED_COOKIE.format(found.id)
    if target.used or (not target.single_use and request.cookies.get(cookie)):
        return render_template("learning/evaluation_answered.html")
    questions = evaluations.questions_of(db.session, found)
    form = ConfirmForm()
    errors: dict[str, str] = {}
    closed = utcnow() >= found.closes_at
    if request.method == "POST" and not closed:
        if not form.validate_on_submit():
            errors["form"] = _("The form has expired: try again.")
        else:
            values = {key: str(value) for key, value in request.form.items()}
            try:
                evaluations.submit_answers(
                    db.session, found, values, now=utcnow(), link=target.link
                )
            except evaluations.LinkUsed:
                db.session.rollback()
                return render_template("learning/evaluation_answered.html")
            except evaluations.AnswerErrors as error:
                db.session.rollback()
                errors = error.errors
            except DomainError as error:
                db.session.rollback()
                errors["form"] = error.message
            else:
                db.session.commit()
                response = make_response(render_template("learning/evaluation_thanks.html"))
                if not target.single_use:
                    response.set_cookie(
                        cookie, "1", path="/e/", httponly=True, samesite="Lax",
                        secure=request.is_secure, expires=found.closes_at,
                    )  # fmt: skip
                return response
    return render_template(
        "learning/evaluation_answer.html",
        evaluation=found,
        questions=questions,
        form=form,
        errors=errors,
        values=request.form if request.method == "POST" else {},
        closed=closed,
    ), (422 if errors else 200)


@bp.route("/evaluations/<int:evaluation_id>/send", methods=["POST"])
@requires(Permission.LEARNING_MANAGE)
def send_evaluation(evaluation_id: int) -> Any:
    found = evaluations.get_evaluation(db.session, g.academy, evaluation_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    try:
        with force_locale(g.academy.default_locale):
            count = evaluations.send_to_completers(
                db.session, g.academy, found, base_url=str(current_app.config["BASE_URL"]),
                now=utcnow(), reminder=request.form.get("reminder") == "1",
            )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return see_other("learning.evaluation", evaluation_id=found.id)
    db.session.commit()
    return success(
        ngettext("%(num)s e-mail queued.", "%(num)s e-mails queued.", count),
        "learning.evaluation",
        evaluation_id=found.id,
    )


def release_evaluation_results(release: Release) -> list[evaluations.EvaluationResults]:
    """The release's evaluations with their figures: for the release page."""
    listed = evaluations.release_evaluations(db.session, release)
    results = evaluations.evaluation_results(db.session, listed)
    return [results[e.id] for e in listed]


def release_evaluation_schedule(release: Release) -> list[evaluations.ScheduleRow]:
    """Each kind's evaluation of the release, or when the worker opens it: for its page."""
    return evaluations.release_schedule(db.session, release, now=utcnow())


def release_beta_prediction(release: Release) -> Any:
    """The release's last closed beta round (its CSAT, NPS and intention to apply): beside
    the reaction."""
    return beta_prediction(db.session, release)


bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        release_evaluation_results=release_evaluation_results,
        release_beta_prediction=release_beta_prediction,
        release_evaluation_schedule=release_evaluation_schedule,
        REMIND_DAYS=evaluations.REMIND_DAYS,
        MAX_OPEN_DAYS=evaluations.MAX_OPEN_DAYS,
        evaluation_prompt=evaluations.translated_prompt,
        EvaluationForm=EvaluationForm,
        EVALUATION_KIND_LABELS=EVALUATION_KIND_LABELS,
    )
)
