"""The manager's round pages (/a/<slug>/rounds/...): rounds, their questionnaire, invitations.

Managers and designers see rounds (ROUND_VIEW); managers build, open and invite (ROUND_MANAGE)
and close (ROUND_CLOSE). The tester's side is tracker/feedback/tester_views.py, the results and
the triage tracker/feedback/results_views.py, the panel tracker/feedback/panel_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.auth.permissions import Permission
from tracker.db import db, parse_whole, utcnow
from tracker.feedback import bp, invitations, panel, questionnaire, rounds
from tracker.feedback.forms import (
    AddQuestionForm,
    CreateRoundForm,
    EditQuestionForm,
    EditRoundForm,
    InviteTestersForm,
    utc_to_local,
)
from tracker.feedback.models import FeedbackRound, Question, RoundState
from tracker.feedback.pages import endpoint_url, press, time_zone
from tracker.feedback.phases import round_phase
from tracker.feedback.questionnaire import QuestionInput, round_bricks, slots_of
from tracker.feedback.rounds import GateCriteria
from tracker.forms import ConfirmForm, MoveForm
from tracker.web import Submission, query_page, requires, see_other, submit, submit_once, success

# -- Rounds ---------------------------------------------------------------------------------------


@bp.route("/rounds/", endpoint="rounds")
@requires(Permission.ROUND_VIEW)
def rounds_page() -> Any:
    return render_template(
        "feedback/manager/rounds.html",
        summaries=rounds.list_rounds(db.session, g.academy),
        now=utcnow(),
        phase=round_phase,
    )


def _round_data(round_: FeedbackRound | None) -> dict[str, Any]:
    """What the round form shows first: the round's settings, or a new round's defaults."""
    gate = GateCriteria.of_round(round_) if round_ else GateCriteria.of_academy(g.academy)
    return {
        "release_id": str(round_.release_id) if round_ else request.args.get("release_id", ""),
        "title": round_.title if round_ else "",
        "instructions": round_.instructions if round_ else "",
        "opens_at": utc_to_local(round_.opens_at, time_zone()) if round_ else None,
        "closes_at": utc_to_local(round_.closes_at, time_zone()) if round_ else None,
        "anonymous": round_.anonymous if round_ else False,
        "gate_min_responses": gate.min_responses,
        "gate_min_response_rate": gate.min_response_rate,
        "gate_min_csat": gate.min_csat,
        "gate_min_nps": gate.min_nps,
        "gate_max_blocking": gate.max_blocking,
    }


def _round_form(form_class: type[EditRoundForm], round_: FeedbackRound | None) -> EditRoundForm:
    releases = rounds.releases_for_rounds(db.session, g.academy)
    if round_ is not None and round_.release not in releases:
        releases.insert(0, round_.release)
    return form_class(
        releases=[(r.id, r.name) for r in releases],
        time_zone=time_zone(),
        data=_round_data(round_) if request.method == "GET" else None,
    )


def _round_values(form: EditRoundForm, fallback: GateCriteria) -> dict[str, Any]:
    """The form's values as create_round and update_round take them; an empty gate threshold
    keeps `fallback`'s."""

    def pick(value: Any, default: Any) -> Any:
        return default if value is None else value

    release_id = str(form.release_id.data or "")
    return {
        "release_id": parse_whole(release_id),
        "title": form.title.data or "",
        "instructions": form.instructions.data or "",
        "opens_at": form.utc(form.opens_at),
        "closes_at": form.utc(form.closes_at),
        "anonymous": bool(form.anonymous.data),
        "gate": GateCriteria(
            min_responses=int(pick(form.gate_min_responses.data, fallback.min_responses)),
            min_response_rate=float(
                pick(form.gate_min_response_rate.data, fallback.min_response_rate)
            ),
            min_csat=float(pick(form.gate_min_csat.data, fallback.min_csat)),
            min_nps=float(pick(form.gate_min_nps.data, fallback.min_nps)),
            max_blocking=int(pick(form.gate_max_blocking.data, fallback.max_blocking)),
        ),
    }


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def create_round() -> Any:
    form = _round_form(CreateRoundForm, None)
    done = submit_once(
        form,
        FeedbackRound,
        lambda: rounds.create_round(
            db.session,
            g.academy,
            **_round_values(form, GateCriteria.of_academy(g.academy)),
            actor=current_user,
            now=utcnow(),
        ),
    )
    if done and done.value:
        flash(
            _("The round is created with the default questionnaire: adapt it, then open it."),
            "success",
        )
        return see_other("feedback.round", round_id=done.value.id)
    return render_template("feedback/manager/round_form.html", form=form, round=None), done.status


@bp.route("/rounds/<int:round_id>/", endpoint="round")
@requires(Permission.ROUND_VIEW)
def round_page(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    questions = list(round_.questions)
    bricks = round_bricks(db.session, round_)
    return render_template(
        "feedback/manager/round.html",
        round=round_,
        summary=rounds.round_summary(db.session, round_),
        phase=round_phase(round_, utcnow()),
        questions=questions,
        bricks=bricks,
        per_brick_without_bricks=any(q.per_brick for q in questions) and not bricks,
        not_ready=questionnaire.bricks_not_ready(db.session, round_)
        if round_.state == RoundState.DRAFT
        else [],
        confirm_form=ConfirmForm(),
        results_url=endpoint_url("feedback.round_results", round_id=round_.id),
        triage_url=endpoint_url("feedback.triage_board", round_id=round_.id),
        release_url=endpoint_url("releases.show", release_id=round_.release_id),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def edit_round(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    if round_.state != RoundState.DRAFT:
        flash(_("This round is open or closed: it can no longer be changed."), "error")
        return see_other("feedback.round", round_id=round_.id)
    form = _round_form(EditRoundForm, round_)
    done = submit(
        form,
        lambda: rounds.update_round(
            db.session, round_, **_round_values(form, GateCriteria.of_round(round_)), now=utcnow()
        ),
    )
    if done:
        return success(_("The round is saved."), "feedback.round", round_id=round_.id)
    return render_template("feedback/manager/round_form.html", form=form, round=round_), done.status


@bp.route("/rounds/<int:round_id>/open", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def open_round(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    now = utcnow()
    if press(
        ConfirmForm(), lambda: rounds.open_round(db.session, round_, actor=current_user, now=now)
    ):
        flash(_("The round is open. Invite testers now."), "success")
        _warn_not_ready(round_)  # after the news it qualifies
        return see_other("feedback.invite", round_id=round_.id)
    return see_other("feedback.round", round_id=round_.id)


def _warn_not_ready(round_: FeedbackRound) -> None:
    waiting = questionnaire.bricks_not_ready(db.session, round_)
    if waiting:
        flash(
            _(
                "Not yet in review or done: %(keys)s. Testers will see them as they are.",
                keys=", ".join(b.key for b in waiting),
            ),
            "warning",
        )


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@requires(Permission.ROUND_CLOSE)
def close_round(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    now = utcnow()
    done = press(
        ConfirmForm(), lambda: rounds.close_round(db.session, round_, actor=current_user, now=now)
    )
    if done.value:
        flash(_("The round is closed and its gate evaluated."), "success")
    else:
        flash(_("This round was not open."), "error")
    return see_other("feedback.round", round_id=round_.id)


# -- The questionnaire ----------------------------------------------------------------------------


def _question_input(form: EditQuestionForm) -> QuestionInput:
    return QuestionInput(
        kind=form.kind.data or "",
        prompt=form.prompt.data or "",
        help_text=form.help_text.data or "",
        required=bool(form.required.data),
        per_brick=bool(form.per_brick.data),
        choices=form.choices.data or "",
        gate_metric=form.gate_metric.data or None,
    )


def _question_data(question: Question) -> dict[str, Any]:
    return {
        "kind": question.kind.value,
        "prompt": question.prompt,
        "help_text": question.help_text,
        "choices": "\n".join(question.choices or []),
        "required": question.required,
        "per_brick": question.per_brick,
        "gate_metric": question.gate_metric.value if question.gate_metric else "",
    }


def _to_questionnaire(round_: FeedbackRound, anchor: str = "questionnaire") -> Any:
    return see_other("feedback.round", round_id=round_.id, _anchor=anchor)


def _frozen(round_: FeedbackRound) -> Any:
    flash(_("The questionnaire is frozen once the round is open."), "error")
    return see_other("feedback.round", round_id=round_.id)


@bp.route("/rounds/<int:round_id>/questions/new", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def add_question(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    if round_.state != RoundState.DRAFT:
        return _frozen(round_)
    return _save_question(
        round_,
        None,
        AddQuestionForm(),
        lambda data: questionnaire.add_question(db.session, round_, data),
        _("The question is added."),
    )


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def edit_question(round_id: int, question_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    question = questionnaire.get_question(db.session, round_, question_id)
    if round_.state != RoundState.DRAFT:
        return _frozen(round_)
    return _save_question(
        round_,
        question,
        EditQuestionForm(data=_question_data(question) if request.method == "GET" else None),
        lambda data: questionnaire.update_question(db.session, question, data),
        _("The question is saved."),
    )


def _save_question(
    round_: FeedbackRound,
    question: Question | None,
    form: EditQuestionForm,
    save: Callable[[QuestionInput], object],
    message: str,
) -> Any:
    """The question form, new or not: once saved, back to the questionnaire. A new question
    is added once however many times its form is sent (tracker.submissions)."""

    def action() -> object:
        return save(_question_input(form))

    done: Submission[object]
    if question is None:
        done = submit_once(form, Question, action)
    else:
        done = submit(form, action)
    if done:
        flash(message, "success")
        return _to_questionnaire(round_)
    return render_template(
        "feedback/manager/question_form.html", form=form, round=round_, question=question
    ), done.status


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/delete", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def delete_question(round_id: int, question_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    question = questionnaire.get_question(db.session, round_, question_id)
    if press(ConfirmForm(), lambda: questionnaire.delete_question(db.session, question)):
        flash(_("The question is deleted."), "success")
    return _to_questionnaire(round_)


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/move", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def move_question(round_id: int, question_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    question = questionnaire.get_question(db.session, round_, question_id)
    form = MoveForm()
    press(
        form, lambda: questionnaire.move_question(db.session, question, form.direction.data or "")
    )
    return _to_questionnaire(round_, f"question-{question.id}")


@bp.route("/rounds/<int:round_id>/preview")
@requires(Permission.ROUND_VIEW)
def preview(round_id: int) -> Any:
    """Exactly the testers' form, with nothing to send."""
    round_ = rounds.get_round(db.session, g.academy, round_id)
    bricks = round_bricks(db.session, round_)
    return render_template(
        "feedback/tester/answer.html",
        preview=True,
        round=round_,
        release=round_.release,
        place=None,
        slots=slots_of(list(round_.questions), bricks),
        bricks=bricks,
        values={},
        errors={},
        response=None,
        items=[],
        readonly=False,
    )


# -- Invitations ----------------------------------------------------------------------------------


def _invite_page(round_: FeedbackRound, form: InviteTestersForm, status: int = 200) -> Any:
    now = utcnow()
    filters = panel.PanelFilters.from_args({**request.args, "status": "active"})
    page = panel.list_testers(
        db.session,
        g.academy,
        filters,
        page=query_page(),
        now=now,
        extra=panel.active_tester_condition(),
    )
    segments = panel.list_segments(db.session, g.academy)
    return render_template(
        "feedback/manager/invite.html",
        round=round_,
        phase=round_phase(round_, now),
        form=form,
        page=page,
        filters=filters,
        carried=filters.as_args(),
        values=panel.attribute_values(db.session, g.academy),
        invited=invitations.invited_user_ids(db.session, round_, [r.user.id for r in page.rows]),
        segments=segments,
        available=panel.segment_counts(
            db.session, g.academy, [s for s, _n in segments], extra=panel.not_invited_to(round_.id)
        ),
        everyone=panel.count_matching(db.session, g.academy, {}),
        everyone_available=len(
            panel.matching_user_ids(
                db.session, g.academy, panel.segment_condition({}), exclude_round_id=round_.id
            )
        ),
        recent_days=panel.RECENT_DAYS,
    ), status


def _int(value: Any) -> int | None:
    return parse_whole(str(value or ""))


def _invitees(form: InviteTestersForm) -> invitations.Invitees:
    """Whom the manager asked for: a mode, and the segment, the ticked testers or the quotas."""
    return invitations.Invitees(
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


def _invited_message(report: invitations.InviteReport) -> str:
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
    return message


@bp.route("/rounds/<int:round_id>/invite", methods=["GET", "POST"])
@requires(Permission.ROUND_MANAGE)
def invite(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    form = InviteTestersForm()
    done = submit(
        form,
        lambda: invitations.invite_chosen(
            db.session,
            g.academy,
            round_,
            _invitees(form),
            base_url=current_app.config["BASE_URL"],
            now=utcnow(),
        ),
    )
    if done and done.value:
        flash(_invited_message(done.value), "success" if done.value.invited else "warning")
        return see_other("feedback.round", round_id=round_.id)
    return _invite_page(round_, form, done.status)


def _reminded_message(report: invitations.RemindReport) -> tuple[str, str]:
    if report.reminded:
        return ngettext(
            "%(num)s reminder is on its way.",
            "%(num)s reminders are on their way.",
            report.reminded,
        ), "success"
    if report.pending:
        return _(
            "Nobody to remind now: everyone who has not answered heard from us"
            " in the last 24 hours."
        ), "warning"
    return _("Everyone invited has answered."), "success"


@bp.route("/rounds/<int:round_id>/remind", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def remind(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    done = press(
        ConfirmForm(),
        lambda: invitations.remind_pending(
            db.session,
            round_,
            base_url=current_app.config["BASE_URL"],
            now=utcnow(),
        ),
    )
    if done and done.value:
        flash(*_reminded_message(done.value))
    return see_other("feedback.round", round_id=round_.id)


@bp.route("/rounds/<int:round_id>/invitations/<int:invitation_id>/renew", methods=["POST"])
@requires(Permission.ROUND_MANAGE)
def renew_invitation(round_id: int, invitation_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    done = press(
        ConfirmForm(),
        lambda: invitations.renew_invitation(
            db.session,
            round_,
            invitation_id,
            base_url=current_app.config["BASE_URL"],
            now=utcnow(),
        ),
    )
    if done and done.value:
        flash(_("A new invitation is on its way: the earlier links no longer work."), "success")
    return see_other("feedback.invitations", round_id=round_.id)


@bp.route("/rounds/<int:round_id>/invitations", endpoint="invitations")
@requires(Permission.ROUND_VIEW)
def invitations_page(round_id: int) -> Any:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    return render_template(
        "feedback/manager/invitations.html",
        round=round_,
        page=invitations.list_invitations(db.session, round_, page=query_page()),
        summary=rounds.round_summary(db.session, round_),
        renew_form=ConfirmForm(),
        renewable=round_phase(round_, utcnow()) not in ("draft", "closed"),
    )
