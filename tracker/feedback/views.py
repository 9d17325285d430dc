"""Feedback round pages: rounds and their questionnaire, invitations, and the tester's side.

Two blueprints:
- `feedback` (/a/<slug>/...): managers and designers see rounds (ROUND_VIEW), managers build,
  open and invite (ROUND_MANAGE, ROUND_CLOSE); testers find "My rounds" and answer the rounds
  they are invited to (ROUND_ANSWER, and an invitation: 403 otherwise). The tester panel's
  pages (tracker/feedback/panel_views.py) attach to this blueprint too.
- `answer` (/r/<token>/...): the personal link. The token is the credential for that one
  invitation: nobody is logged in, and nothing is put in the session but the CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, format_date, format_time, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from tracker.academies.models import Academy
from tracker.auth.models import LOCALES
from tracker.auth.permissions import Permission
from tracker.backlog.labels import FORMAT_LABELS
from tracker.db import db, utcnow
from tracker.errors import DomainError, NotFound
from tracker.feedback import answer_bp, bp, panel, services
from tracker.feedback.forms import (
    AddQuestionForm,
    CreateRoundForm,
    EditQuestionForm,
    EditRoundForm,
    InviteTestersForm,
    MoveQuestionForm,
    ReportItemForm,
    utc_to_local,
)
from tracker.feedback.labels import (
    GATE_METRIC_LABELS,
    ITEM_KIND_LABELS,
    ITEM_STATUS_LABELS,
    MY_STATUS_LABELS,
    PHASE_LABELS,
    QUESTION_KIND_LABELS,
    ROUND_STATE_LABELS,
    SEVERITY_HINTS,
    SEVERITY_LABELS,
)
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    RoundInvitation,
    RoundState,
)
from tracker.forms import ConfirmForm
from tracker.web import attach_error, public, requires, see_other


def feedback_labels() -> dict[str, Any]:
    return {
        "ROUND_STATE_LABELS": ROUND_STATE_LABELS,
        "PHASE_LABELS": PHASE_LABELS,
        "QUESTION_KIND_LABELS": QUESTION_KIND_LABELS,
        "GATE_METRIC_LABELS": GATE_METRIC_LABELS,
        "ITEM_KIND_LABELS": ITEM_KIND_LABELS,
        "SEVERITY_LABELS": SEVERITY_LABELS,
        "SEVERITY_HINTS": SEVERITY_HINTS,
        "ITEM_STATUS_LABELS": ITEM_STATUS_LABELS,
        "MY_STATUS_LABELS": MY_STATUS_LABELS,
        "FORMAT_LABELS": FORMAT_LABELS,
        "time_zone": current_app.config["DEFAULT_TIMEZONE"],
    }


bp.context_processor(feedback_labels)
answer_bp.context_processor(feedback_labels)


@bp.app_template_filter("round_time")
def round_time(value: Any) -> str:
    """A deadline as people read it, in the reader's language and time zone, without seconds:
    "5 décembre 2026 17:56", "December 5, 2026 5:56 PM" (the mails use it too)."""
    if value is None:
        return ""
    return f"{format_date(value, 'long')} {format_time(value, 'short')}"


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _zone() -> str:
    return str(current_app.config["DEFAULT_TIMEZONE"])


def _endpoint_url(endpoint: str, **values: Any) -> str | None:
    """A link to another area's page, when that page exists (the results side, for one)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


# -- Rounds (managers and designers) ----------------------------------------------------------


@bp.route("/rounds/")
@requires(Permission.ROUND_VIEW)
def rounds() -> Any:
    return render_template(
        "feedback/rounds.html",
        summaries=services.list_rounds(db.session, g.academy),
        now=utcnow(),
        phase=services.round_phase,
    )


def _round_form(form_class: type[EditRoundForm], round_: FeedbackRound | None) -> EditRoundForm:
    releases = services.releases_for_rounds(db.session, g.academy)
    if round_ is not None and round_.release not in releases:
        releases.insert(0, round_.release)
    form_data: dict[str, Any] | None = None
    if request.method == "GET":
        academy: Academy = g.academy
        source: Any = round_ if round_ is not None else None
        form_data = {
            "release_id": str(round_.release_id) if round_ else request.args.get("release_id", ""),
            "title": round_.title if round_ else "",
            "instructions": round_.instructions if round_ else "",
            "opens_at": utc_to_local(round_.opens_at, _zone()) if round_ else None,
            "closes_at": utc_to_local(round_.closes_at, _zone()) if round_ else None,
            "anonymous": round_.anonymous if round_ else False,
        }
        gate = (
            services.GateCriteria.of_round(source)
            if source is not None
            else services.GateCriteria.of_academy(academy)
        )
        form_data.update(
            gate_min_responses=gate.min_responses,
            gate_min_response_rate=gate.min_response_rate,
            gate_min_csat=gate.min_csat,
            gate_min_nps=gate.min_nps,
            gate_max_blocking=gate.max_blocking,
        )
    return form_class(
        releases=[(r.id, r.name) for r in releases], time_zone=_zone(), data=form_data
    )


def _gate_of(form: EditRoundForm, fallback: services.GateCriteria) -> services.GateCriteria:
    def pick(value: Any, default: Any) -> Any:
        return default if value is None else value

    return services.GateCriteria(
        min_responses=int(pick(form.gate_min_responses.data, fallback.min_responses)),
        min_response_rate=float(pick(form.gate_min_response_rate.data, fallback.min_response_rate)),
        min_csat=float(pick(form.gate_min_csat.data, fallback.min_csat)),
        min_nps=float(pick(form.gate_min_nps.data, fallback.min_nps)),
        max_blocking=int(pick(form.gate_max_blocking.data, fallback.max_blocking)),
    )


def _release_id(form: EditRoundForm) -> int | None:
    value = form.release_id.data or ""
    return int(value) if str(value).isdigit() else None


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def create_round() -> Any:
    form = _round_form(CreateRoundForm, None)
    if form.validate_on_submit():
        try:
            round_ = services.create_round(
                db.session,
                g.academy,
                release_id=_release_id(form),
                title=form.title.data or "",
                instructions=form.instructions.data or "",
                opens_at=form.utc(form.opens_at),
                closes_at=form.utc(form.closes_at),
                anonymous=bool(form.anonymous.data),
                gate=_gate_of(form, services.GateCriteria.of_academy(g.academy)),
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                _("The round is created with the default questionnaire: adapt it, then open it."),
                "success",
            )
            return see_other("feedback.round", round_id=round_.id)
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/round_form.html", form=form, round=None), status


@bp.route("/rounds/<int:round_id>/", endpoint="round")
@requires(Permission.ROUND_VIEW)
def round_page(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    now = utcnow()
    questions = list(round_.questions)
    bricks = services.round_bricks(db.session, round_)
    return render_template(
        "feedback/round.html",
        round=round_,
        summary=services.round_summary(db.session, round_),
        phase=services.round_phase(round_, now),
        questions=questions,
        bricks=bricks,
        per_brick_without_bricks=any(q.per_brick for q in questions) and not bricks,
        confirm_form=ConfirmForm(),
        results_url=_endpoint_url("feedback.round_results", round_id=round_.id),
        triage_url=_endpoint_url("feedback.triage_board", round_id=round_.id),
        release_url=_endpoint_url("releases.show", release_id=round_.release_id),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def edit_round(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    if round_.state != RoundState.DRAFT:
        flash(_("This round is open or closed: it can no longer be changed."), "error")
        return see_other("feedback.round", round_id=round_.id)
    form = _round_form(EditRoundForm, round_)
    if form.validate_on_submit():
        try:
            services.update_round(
                db.session,
                round_,
                release_id=_release_id(form),
                title=form.title.data or "",
                instructions=form.instructions.data or "",
                opens_at=form.utc(form.opens_at),
                closes_at=form.utc(form.closes_at),
                anonymous=bool(form.anonymous.data),
                gate=_gate_of(form, services.GateCriteria.of_round(round_)),
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The round is saved."), "success")
            return see_other("feedback.round", round_id=round_.id)
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/round_form.html", form=form, round=round_), status


@bp.route("/rounds/<int:round_id>/open", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def open_round(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.open_round(db.session, round_, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The round is open. Invite testers now."), "success")
        return see_other("feedback.invite", round_id=round_.id)
    return see_other("feedback.round", round_id=round_.id)


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@requires(Permission.ROUND_CLOSE)
def close_round(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.close_round(db.session, round_, actor=current_user, now=utcnow()):
        db.session.commit()
        flash(_("The round is closed and its gate evaluated."), "success")
    else:
        db.session.rollback()
        flash(_("This round was not open."), "error")
    return see_other("feedback.round", round_id=round_.id)


# -- The questionnaire ------------------------------------------------------------------------


def _question_input(form: EditQuestionForm) -> services.QuestionInput:
    return services.QuestionInput(
        kind=form.kind.data or "",
        prompt=form.prompt.data or "",
        help_text=form.help_text.data or "",
        required=bool(form.required.data),
        per_brick=bool(form.per_brick.data),
        choices=form.choices.data or "",
        gate_metric=form.gate_metric.data or None,
    )


def _refuse_unless_draft(round_: FeedbackRound) -> Any:
    if round_.state != RoundState.DRAFT:
        flash(_("The questionnaire is frozen once the round is open."), "error")
        return see_other("feedback.round", round_id=round_.id)
    return None


@bp.route("/rounds/<int:round_id>/questions/new", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def add_question(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    refused = _refuse_unless_draft(round_)
    if refused is not None:
        return refused
    form = AddQuestionForm()
    if form.validate_on_submit():
        try:
            services.add_question(db.session, round_, _question_input(form))
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The question is added."), "success")
            return see_other("feedback.round", round_id=round_.id, _anchor="questionnaire")
    status = 422 if request.method == "POST" else 200
    return render_template(
        "feedback/question_form.html", form=form, round=round_, question=None
    ), status


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def edit_question(round_id: int, question_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    question = services.get_question(db.session, round_, question_id)
    refused = _refuse_unless_draft(round_)
    if refused is not None:
        return refused
    data = None
    if request.method == "GET":
        data = {
            "kind": question.kind.value,
            "prompt": question.prompt,
            "help_text": question.help_text,
            "choices": "\n".join(question.choices or []),
            "required": question.required,
            "per_brick": question.per_brick,
            "gate_metric": question.gate_metric.value if question.gate_metric else "",
        }
    form = EditQuestionForm(data=data)
    if form.validate_on_submit():
        try:
            services.update_question(db.session, question, _question_input(form))
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The question is saved."), "success")
            return see_other("feedback.round", round_id=round_.id, _anchor="questionnaire")
    status = 422 if request.method == "POST" else 200
    return render_template(
        "feedback/question_form.html", form=form, round=round_, question=question
    ), status


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/delete", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def delete_question(round_id: int, question_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    question = services.get_question(db.session, round_, question_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_question(db.session, question)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The question is deleted."), "success")
    return see_other("feedback.round", round_id=round_.id, _anchor="questionnaire")


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/move", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def move_question(round_id: int, question_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    question = services.get_question(db.session, round_, question_id)
    form = MoveQuestionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.move_question(db.session, question, form.direction.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
    return see_other("feedback.round", round_id=round_.id, _anchor=f"question-{question.id}")


@bp.route("/rounds/<int:round_id>/preview")
@requires(Permission.ROUND_VIEW)
def preview(round_id: int) -> Any:
    """Exactly the testers' form, with nothing to send."""
    round_ = services.get_round(db.session, g.academy, round_id)
    bricks = services.round_bricks(db.session, round_)
    return render_template(
        "feedback/answer.html",
        preview=True,
        round=round_,
        release=round_.release,
        place=None,
        slots=services.slots_of(list(round_.questions), bricks),
        bricks=bricks,
        values={},
        errors={},
        response=None,
        items=[],
        readonly=False,
    )


# -- Invitations ------------------------------------------------------------------------------


def _invite_page(round_: FeedbackRound, form: InviteTestersForm, status: int = 200) -> Any:
    now = utcnow()
    filters = panel.PanelFilters.from_args({**request.args, "status": "active"})
    not_invited = panel.not_invited_to(round_.id)
    page = panel.list_testers(
        db.session,
        g.academy,
        filters,
        page=request.args.get("page", 1, type=int) or 1,
        now=now,
        extra=panel.active_tester_condition(),
    )
    invited = services.invited_user_ids(db.session, round_, [row.user.id for row in page.rows])
    segments = panel.list_segments(db.session, g.academy)
    available = panel.segment_counts(
        db.session, g.academy, [s for s, _n in segments], extra=not_invited
    )
    return render_template(
        "feedback/invite.html",
        round=round_,
        phase=services.round_phase(round_, now),
        form=form,
        page=page,
        filters=filters,
        carried=filters.as_args(),
        values=panel.attribute_values(db.session, g.academy),
        invited=invited,
        segments=segments,
        available=available,
        everyone=panel.count_matching(db.session, g.academy, {}),
        everyone_available=len(
            panel.matching_user_ids(
                db.session, g.academy, panel.segment_condition({}), exclude_round_id=round_.id
            )
        ),
        recent_days=panel.RECENT_DAYS,
    ), status


@bp.route("/rounds/<int:round_id>/invite", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def invite(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    form = InviteTestersForm()
    if request.method == "GET":
        return _invite_page(round_, form)
    if not form.validate_on_submit():
        form.form_errors.append(_("Choose whom to invite."))
        return _invite_page(round_, form, 422)
    try:
        user_ids = services.choose_invitees(
            db.session,
            g.academy,
            round_,
            mode=form.mode.data or "",
            segment_id=_int(form.segment_id.data),
            user_ids=[n for n in map(_int, request.form.getlist("user_id")) if n is not None],
            quotas={
                segment_id: count
                for key, raw in request.form.items()
                if key.startswith("quota-")
                and (segment_id := _int(key.removeprefix("quota-"))) is not None
                and (count := _int(raw)) is not None
            },
        )
        report = services.invite_testers(
            db.session,
            round_,
            user_ids,
            secret_key=_secret(),
            base_url=current_app.config["BASE_URL"],
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        if not form.form_errors and not any(f.errors for f in form):
            form.form_errors.append(error.message)
        return _invite_page(round_, form, error.status)
    db.session.commit()
    message = ngettext(
        "%(num)s tester invited: the e-mail is on its way.",
        "%(num)s testers invited: the e-mails are on their way.",
        report.invited,
    )
    if report.already:
        message += " " + ngettext(
            "%(num)s was already invited (not e-mailed again).",
            "%(num)s were already invited (not e-mailed again).",
            report.already,
        )
    flash(message, "success" if report.invited else "warning")
    return see_other("feedback.round", round_id=round_.id)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@bp.route("/rounds/<int:round_id>/remind", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def remind(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        report = services.remind_pending(
            db.session,
            round_,
            secret_key=_secret(),
            base_url=current_app.config["BASE_URL"],
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return see_other("feedback.round", round_id=round_.id)
    db.session.commit()
    if report.reminded:
        flash(
            ngettext(
                "%(num)s reminder is on its way.",
                "%(num)s reminders are on their way.",
                report.reminded,
            ),
            "success",
        )
    elif report.pending:
        flash(
            _(
                "Nobody to remind now: everyone who has not answered heard from us"
                " in the last 24 hours."
            ),
            "warning",
        )
    else:
        flash(_("Everyone invited has answered."), "success")
    return see_other("feedback.round", round_id=round_.id)


@bp.route("/rounds/<int:round_id>/invitations")
@requires(Permission.ROUND_VIEW)
def invitations(round_id: int) -> Any:
    round_ = services.get_round(db.session, g.academy, round_id)
    return render_template(
        "feedback/invitations.html",
        round=round_,
        page=services.list_invitations(
            db.session, round_, page=request.args.get("page", 1, type=int) or 1
        ),
        summary=services.round_summary(db.session, round_),
    )


# -- The tester's side ------------------------------------------------------------------------


@dataclass
class AnswerPlace:
    """Where a tester answers from: their personal link, or logged in."""

    invitation: RoundInvitation
    form_url: str
    new_item_url: str
    edit_item_url: Callable[[int], str]
    via_link: bool

    @property
    def round(self) -> FeedbackRound:
        return self.invitation.round


def _answer_page(
    place: AnswerPlace,
    *,
    values: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    round_ = place.round
    now = utcnow()
    phase = services.round_phase(round_, now)
    if phase == "draft":
        abort(404)
    if phase == "scheduled" or (place.via_link and phase == "closed"):
        return _notice(place, phase, 200 if status == 200 else status)
    user_id = place.invitation.user_id
    response = services.my_response(db.session, round_, user_id, secret_key=_secret())
    bricks = services.round_bricks(db.session, round_)
    slots = services.slots_of(list(round_.questions), bricks)
    return render_template(
        "feedback/answer.html",
        round=round_,
        release=round_.release,
        place=place,
        slots=slots,
        bricks=bricks,
        values=services.response_values(response) if values is None else values,
        errors=errors or {},
        response=response,
        items=services.my_items(db.session, round_, user_id, secret_key=_secret()),
        readonly=phase != "open",
        form=ConfirmForm(),
    ), status


def _notice(place: AnswerPlace, phase: str, status: int = 200) -> Any:
    return render_template(
        "feedback/notice.html", round=place.round, release=place.round.release, phase=phase
    ), status


def _answer(place: AnswerPlace) -> Any:
    if request.method == "GET":
        return _answer_page(place)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    values = {key: request.form.getlist(key) for key in request.form if key.startswith("q")}
    submit = request.form.get("action") == "submit"
    try:
        response = services.save_response(
            db.session, place.invitation, values, submit=submit, secret_key=_secret(), now=utcnow()
        )
    except services.AnswerErrors as error:
        db.session.rollback()
        return _answer_page(place, values=values, errors=error.errors, status=422)
    except services.RoundClosed:
        db.session.rollback()
        return _notice(place, services.round_phase(place.round, utcnow()), 409)
    db.session.commit()
    if response.state.value == "submitted":
        flash(
            _("Thank you: your answers are submitted. You can change them until the round closes."),
            "success",
        )
    else:
        flash(_("Your draft is saved. Submit it before the round closes."), "success")
    return redirect(place.form_url, code=303)


def _item_input(form: ReportItemForm) -> services.ItemInput:
    return services.ItemInput(
        brick_id=form.brick(),
        location=form.location.data or "",
        kind=form.kind.data or "",
        severity=form.severity.data or "",
        title=form.title.data or "",
        description=form.description.data or "",
    )


def _item_form(place: AnswerPlace, item: FeedbackItem | None) -> Any:
    round_ = place.round
    now = utcnow()
    phase = services.round_phase(round_, now)
    if phase != "open":
        return _notice(place, phase, 409 if request.method == "POST" else 200)
    bricks = services.round_bricks(db.session, round_)
    data = None
    if request.method == "GET":
        if item is not None:
            data = {
                "brick_id": str(item.brick_id or ""),
                "location": item.location,
                "kind": item.kind.value,
                "severity": item.severity.value,
                "title": item.title,
                "description": item.description,
            }
        elif request.args.get("brick", "").isdigit():
            data = {"brick_id": request.args["brick"]}
    form = ReportItemForm(bricks=[(b.id, f"{b.key} · {b.title}") for b in bricks], data=data)
    if form.validate_on_submit():
        try:
            if item is None:
                services.report_item(
                    db.session, place.invitation, _item_input(form), secret_key=_secret(), now=now
                )
            else:
                services.update_item(db.session, item, place.invitation, _item_input(form), now=now)
        except services.RoundClosed:
            db.session.rollback()
            return _notice(place, "closed", 409)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                _("Thank you: your feedback is recorded.")
                if item is None
                else _("Your feedback is saved."),
                "success",
            )
            return redirect(place.form_url + "#my-items", code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "feedback/item_form.html", round=round_, place=place, form=form, item=item
    ), status


def _logged_in_place(round_id: int) -> AnswerPlace:
    round_ = services.get_round(db.session, g.academy, round_id)
    invitation = services.invitation_of(db.session, round_, current_user.id)
    if invitation is None or round_.state == RoundState.DRAFT:
        abort(403)  # testers see only the rounds they are invited to
    invitation.round = round_
    return AnswerPlace(
        invitation=invitation,
        form_url=url_for("feedback.answer", round_id=round_.id),
        new_item_url=url_for("feedback.new_item", round_id=round_.id),
        edit_item_url=lambda item_id: url_for(
            "feedback.edit_item", round_id=round_.id, item_id=item_id
        ),
        via_link=False,
    )


@bp.route("/my-rounds")
@requires(Permission.ROUND_ANSWER)
def my_rounds() -> Any:
    current, past = services.my_rounds(
        db.session, g.academy, current_user.id, secret_key=_secret(), now=utcnow()
    )
    return render_template("feedback/my_rounds.html", current=current, past=past)


@bp.route("/rounds/<int:round_id>/answer", methods=["GET", "POST"])
@requires(Permission.ROUND_ANSWER)
def answer(round_id: int) -> Any:
    return _answer(_logged_in_place(round_id))


@bp.route("/rounds/<int:round_id>/items/new", methods=["GET", "POST"])
@requires(Permission.ROUND_ANSWER)
def new_item(round_id: int) -> Any:
    return _item_form(_logged_in_place(round_id), None)


@bp.route("/rounds/<int:round_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.ROUND_ANSWER)
def edit_item(round_id: int, item_id: int) -> Any:
    place = _logged_in_place(round_id)
    return _item_form(place, _my_item(place, item_id))


def _my_item(place: AnswerPlace, item_id: int) -> FeedbackItem:
    return services.get_my_item(
        db.session, place.round, place.invitation.user_id, item_id, secret_key=_secret()
    )


# -- The personal link ------------------------------------------------------------------------


@contextmanager
def _link_place(token: str) -> Iterator[AnswerPlace]:
    """The invitation of the link, in the tester's language (unless they chose another)."""
    try:
        invitation = services.find_invitation(db.session, token)
    except NotFound:
        abort(make_response(render_template("feedback/link_invalid.html"), 404))
    academy = db.session.get(Academy, invitation.round.academy_id)
    g.academy = academy  # for the page's header; grants nothing (permissions come from roles)
    chosen = session.get("locale")
    language = next(
        (
            code
            for code in (
                chosen,
                invitation.user.locale,
                academy.default_locale if academy else None,
            )
            if code in LOCALES
        ),
        "fr",
    )
    place = AnswerPlace(
        invitation=invitation,
        form_url=url_for("answer.form", token=token),
        new_item_url=url_for("answer.new_item", token=token),
        edit_item_url=lambda item_id: url_for("answer.edit_item", token=token, item_id=item_id),
        via_link=True,
    )
    with force_locale(language):
        yield place


@answer_bp.route("", methods=["GET", "POST"])
@public
def form(token: str) -> Any:
    with _link_place(token) as place:
        return _answer(place)


@answer_bp.route("/items/new", methods=["GET", "POST"], endpoint="new_item")
@public
def new_item_by_link(token: str) -> Any:
    with _link_place(token) as place:
        return _item_form(place, None)


@answer_bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"], endpoint="edit_item")
@public
def edit_item_by_link(token: str, item_id: int) -> Any:
    with _link_place(token) as place:
        return _item_form(place, _my_item(place, item_id))
