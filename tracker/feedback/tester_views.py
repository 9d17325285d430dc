"""The tester's pages: "My rounds", answering a round and reporting feedback items, logged in
(/a/<slug>/..., the `feedback` blueprint: ROUND_ANSWER and an invitation, 403 otherwise) or
through the personal link (/r/<token>/..., the `answer` blueprint).

The personal link's token is the credential for that one invitation: nobody is logged in, and
nothing is put in the session but the CSRF token.
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
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from tracker.academies.models import Academy
from tracker.attachments import services as attachments
from tracker.auth.models import LOCALES
from tracker.auth.permissions import Permission
from tracker.db import db, utcnow
from tracker.feedback import answer_bp, answers, bp, items, rounds
from tracker.feedback.forms import ReportItemForm
from tracker.feedback.keys import forgotten
from tracker.feedback.models import (
    FeedbackItem,
    FeedbackRound,
    Response,
    ResponseState,
    RoundInvitation,
    RoundState,
)
from tracker.feedback.pages import old_secret_keys, secret_key
from tracker.feedback.phases import RoundClosed, round_phase
from tracker.feedback.questionnaire import round_bricks, slots_of
from tracker.forms import ConfirmForm
from tracker.web import problem, public, query_int, requires, submit


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


# -- The questionnaire ----------------------------------------------------------------------------


def _answer_page(
    place: AnswerPlace,
    *,
    values: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    round_, user_id = place.round, place.invitation.user_id
    phase = round_phase(round_, utcnow())
    if phase == "draft":
        abort(404)
    if phase == "scheduled" or (place.via_link and phase == "closed"):
        return _notice(place, phase, status)
    response = answers.my_response(
        db.session, round_, user_id, secret_key=secret_key(), old_keys=old_secret_keys()
    )
    bricks = round_bricks(db.session, round_)
    return render_template(
        "feedback/tester/answer.html",
        round=round_,
        release=round_.release,
        place=place,
        slots=slots_of(list(round_.questions), bricks),
        bricks=bricks,
        values=answers.response_values(response) if values is None else values,
        errors=errors or {},
        response=response,
        items=items.my_items(
            db.session, round_, user_id, secret_key=secret_key(), old_keys=old_secret_keys()
        ),
        readonly=phase != "open",
        forgotten=forgotten(round_),
        form=ConfirmForm(),
    ), status


def _notice(place: AnswerPlace, phase: str, status: int = 200) -> Any:
    return render_template(
        "feedback/tester/notice.html", round=place.round, release=place.round.release, phase=phase
    ), status


def _answer(place: AnswerPlace) -> Any:
    """Show the questionnaire; save its answers as a draft, or submit them."""
    if request.method == "GET":
        return _answer_page(place)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    values = {key: request.form.getlist(key) for key in request.form if key.startswith("q")}
    submitting = request.form.get("action") == "submit"
    # The draft saved while typing (js/feedback.js): the same save, answered in JSON.
    quiet = not submitting and _wants_json()
    try:
        response = answers.save_response(
            db.session,
            place.invitation,
            values,
            submit=submitting,
            secret_key=secret_key(),
            old_keys=old_secret_keys(),
            now=utcnow(),
        )
    except answers.AnswerErrors as error:  # every message goes beside its question
        db.session.rollback()
        if quiet:
            return problem(422, _("Some answers need your attention."), code="invalid",
                           errors=error.errors)  # fmt: skip
        return _answer_page(place, values=values, errors=error.errors, status=422)
    except RoundClosed as error:
        db.session.rollback()
        if quiet:
            return problem(409, error.message, code="closed")
        return _notice(place, round_phase(place.round, utcnow()), 409)
    db.session.commit()
    if quiet:
        return jsonify(ok=True, state=response.state.value, message=_("Draft saved."))
    flash(_saved_message(response), "success")
    return redirect(place.form_url, code=303)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == (
        "application/json"
    )


def _saved_message(response: Response) -> str:
    if response.state == ResponseState.SUBMITTED:
        return _(
            "Thank you: your answers are submitted. You can change them until the round closes."
        )
    return _("Your draft is saved. Submit it before the round closes.")


# -- Feedback items -------------------------------------------------------------------------------


def _item_input(form: ReportItemForm) -> items.ItemInput:
    return items.ItemInput(
        brick_id=form.brick(),
        location=form.location.data or "",
        kind=form.kind.data or "",
        severity=form.severity.data or "",
        title=form.title.data or "",
        description=form.description.data or "",
    )


def _item_data(item: FeedbackItem | None) -> dict[str, Any] | None:
    """What the item form shows first: the item, or the brick the tester came from."""
    if item is not None:
        return {
            "brick_id": str(item.brick_id or ""),
            "location": item.location,
            "kind": item.kind.value,
            "severity": item.severity.value,
            "title": item.title,
            "description": item.description,
        }
    brick_id = query_int("brick")
    return {"brick_id": str(brick_id)} if brick_id is not None else None


def _save_item(place: AnswerPlace, item: FeedbackItem | None, form: ReportItemForm) -> Any:
    now, data = utcnow(), _item_input(form)
    if item is None:
        saved = items.report_item(
            db.session,
            place.invitation,
            data,
            secret_key=secret_key(),
            old_keys=old_secret_keys(),
            now=now,
        )
    else:
        items.update_item(db.session, item, place.invitation, data, now=now)
        saved = item
    stream = form.file.data
    if stream and getattr(stream, "filename", ""):
        # In the item's transaction: a refused file saves nothing, the form comes back.
        limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
        attachments.attach_to_item(
            db.session, saved, place.round.academy_id, filename=stream.filename or "",
            data=stream.read(limit + 1), max_bytes=limit, now=now,
        )  # fmt: skip
    return saved


def _item_form(place: AnswerPlace, item: FeedbackItem | None) -> Any:
    """Report a new feedback item, or edit one of the tester's own, while the round is open."""
    phase = round_phase(place.round, utcnow())
    if phase != "open":
        return _notice(place, phase, 409 if request.method == "POST" else 200)
    bricks = round_bricks(db.session, place.round)
    form = ReportItemForm(
        bricks=[(b.id, f"{b.key} · {b.title}") for b in bricks],
        data=_item_data(item) if request.method == "GET" else None,
    )
    done = submit(form, lambda: _save_item(place, item, form))
    if done:
        flash(
            _("Thank you: your feedback is recorded.")
            if item is None
            else _("Your feedback is saved."),
            "success",
        )
        return redirect(place.form_url + "#my-items", code=303)
    if done.status == RoundClosed.status:  # the round closed while the tester was writing
        return _notice(place, "closed", 409)
    files = attachments.item_attachments(db.session, [item.id])[item.id] if item else []
    return render_template(
        "feedback/tester/item_form.html",
        round=place.round,
        place=place,
        form=form,
        item=item,
        files=files,
        max_files=attachments.MAX_ITEM_FILES,
    ), done.status


def _my_item(place: AnswerPlace, item_id: int) -> FeedbackItem:
    return items.get_my_item(
        db.session,
        place.round,
        place.invitation.user_id,
        item_id,
        secret_key=secret_key(),
        old_keys=old_secret_keys(),
    )


# -- Logged in ------------------------------------------------------------------------------------


def _logged_in_place(round_id: int) -> AnswerPlace:
    round_ = rounds.get_round(db.session, g.academy, round_id)
    invitation = answers.invitation_of(db.session, round_, current_user.id)
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
    current, past = answers.my_rounds(
        db.session,
        g.academy,
        current_user.id,
        secret_key=secret_key(),
        old_keys=old_secret_keys(),
        now=utcnow(),
    )
    return render_template("feedback/tester/my_rounds.html", current=current, past=past)


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


# -- The personal link ----------------------------------------------------------------------------


@answer_bp.after_request
def no_token_in_referrers(response: WerkzeugResponse) -> WerkzeugResponse:
    """The page's URL holds the token: what it links to or loads learns the origin only
    (still enough for the CSRF check of HTTPS posts, which wants a same-origin Referer)."""
    response.headers["Referrer-Policy"] = "strict-origin"
    return response


@answer_bp.errorhandler(answers.LinkInvalid)
def link_invalid(_error: answers.LinkInvalid) -> Any:
    return render_template("feedback/tester/link_invalid.html"), 404


def _link_language(invitation: RoundInvitation, academy: Academy | None) -> str:
    """The language the tester chose on the page, else their own, else their academy's."""
    wished = (
        session.get("locale"),
        invitation.user.locale,
        academy.default_locale if academy else None,
    )
    return next((code for code in wished if code in LOCALES), "fr")


@contextmanager
def _link_place(token: str) -> Iterator[AnswerPlace]:
    """The invitation of the link, in the tester's language (unless they chose another)."""
    invitation = answers.find_invitation(db.session, token)
    academy = db.session.get(Academy, invitation.round.academy_id)
    g.academy = academy  # for the page's header; grants nothing (permissions come from roles)
    place = AnswerPlace(
        invitation=invitation,
        form_url=url_for("answer.form", token=token),
        new_item_url=url_for("answer.new_item", token=token),
        edit_item_url=lambda item_id: url_for("answer.edit_item", token=token, item_id=item_id),
        via_link=True,
    )
    with force_locale(_link_language(invitation, academy)):
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
