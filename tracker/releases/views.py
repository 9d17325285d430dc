"""Release pages: the list with totals, create, edit, a release with its bricks, history,
decisions and rounds; the go/no-go and marking released; release notes (edit, preview, publish,
read); the roadmap; the stakeholder's home; the personal Atom feed of the notes."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from tracker import changes
from tracker.academies.models import Academy
from tracker.auth.models import LOCALES, User
from tracker.auth.permissions import Permission, can, role_in
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import totals_by, totals_of
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.feedback.labels import ITEM_KIND_LABELS, ITEM_STATUS_LABELS, SEVERITY_LABELS
from tracker.forms import ConfirmForm, form_values
from tracker.markdown import render_markdown
from tracker.releases import bp, feed, feed_bp, notes, overview, services
from tracker.releases.forms import (
    CreateReleaseForm,
    EditNotesForm,
    EditReleaseForm,
    MarkReleasedForm,
    RecordDecisionForm,
)
from tracker.releases.labels import DECISION_LABELS
from tracker.releases.models import (
    Decision,
    DecisionOutcome,
    Release,
    ReleaseNotes,
    ReleaseState,
)
from tracker.releases.readiness import (
    CRITERION_NAMES,
    decision_blocker,
    items_to_act_on,
    last_beta_figures,
    release_decisions,
    release_readiness,
    round_comparison,
)
from tracker.web import (
    attach_error,
    conditional,
    name_rule,
    not_modified,
    public,
    requires,
    see_other,
    submit,
    submit_once,
    success,
    validator,
)


@bp.context_processor
def release_labels() -> dict[str, Any]:
    return {
        "DECISION_LABELS": DECISION_LABELS,
        "CRITERION_NAMES": CRITERION_NAMES,
        "ITEM_KIND_LABELS": ITEM_KIND_LABELS,
        "ITEM_STATUS_LABELS": ITEM_STATUS_LABELS,
        "SEVERITY_LABELS": SEVERITY_LABELS,
        "ReleaseState": ReleaseState,
    }


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


@bp.route("/releases/")
@requires(Permission.RELEASE_VIEW)
def index() -> Any:
    return render_template(
        "releases/index.html",
        releases=services.list_releases(db.session, g.academy),
        totals=totals_by(db.session, g.academy, Brick.release_id),
    )


@bp.route("/releases/new", methods=["GET", "POST"])
@requires(Permission.RELEASE_MANAGE)
def create() -> Any:
    form = CreateReleaseForm(is_name_taken=name_rule(services.is_release_name_taken))
    done = submit_once(
        form,
        Release,
        lambda: services.create_release(
            db.session, g.academy, actor=current_user, now=utcnow(), **_release_fields(form)
        ),
    )
    if done and done.value:
        return success(
            _("The release %(name)s is created.", name=done.value.name),
            "releases.show",
            release_id=done.value.id,
        )
    return render_template("releases/form.html", form=form, release=None), done.status


def _release_fields(form: CreateReleaseForm) -> dict[str, Any]:
    return form_values(form, "target_date", texts=("name", "goal"))


@bp.route("/releases/<int:release_id>/")
@requires(Permission.RELEASE_VIEW)
def show(release_id: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)
    bricks = services.release_bricks(db.session, release)
    decisions = release_decisions(db.session, release)
    return render_template(
        "releases/show.html",
        release=release,
        bricks=bricks,
        totals=totals_of(bricks),
        history=services.release_history(db.session, release),
        decisions=decisions,
        comparison=round_comparison(db.session, release),
        open_items=items_to_act_on(db.session, release),
        decision_blocker=decision_blocker(db.session, release),
        release_notes=notes.get_notes(db.session, release),
    )


# -- The go/no-go decision and marking released ---------------------------------------------------


@bp.route("/releases/<int:release_id>/decide", methods=["GET", "POST"])
@requires(Permission.RELEASE_DECIDE)
def decide(release_id: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)
    form = RecordDecisionForm()
    done = submit_once(form, Decision, lambda: _record_decision(release, form))
    if done and done.value:
        if done.value.outcome == DecisionOutcome.NO_GO:
            flash(
                _("No-go recorded: the release is back to planned. Act on the feedback "
                  "below, then run another round."),
                "success",
            )  # fmt: skip
        elif done.value.outcome == DecisionOutcome.GO_WITH_RESERVES:
            flash(_("Go with reserves recorded: the release is approved."), "success")
        else:
            flash(_("Go recorded: the release is approved."), "success")
        return see_other("releases.show", release_id=release.id)
    return _decide_page(release_id, form, done.status)


def _record_decision(release: Release, form: RecordDecisionForm) -> Decision:
    return services.record_decision(
        db.session,
        release,
        outcome=form.outcome.data or "",
        reserves=form.reserves.data or "",
        comment=form.comment.data or "",
        actor=current_user,
        now=utcnow(),
    )


def _decide_page(release_id: int, form: RecordDecisionForm, status: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)  # as it is now
    return (
        render_template(
            "releases/decide.html",
            release=release,
            form=form,
            figures=last_beta_figures(db.session, release),
            blocker=decision_blocker(db.session, release),
            open_items=items_to_act_on(db.session, release),
        ),
        status,
    )


@bp.route("/releases/<int:release_id>/release", methods=["GET", "POST"])
@requires(Permission.RELEASE_DECIDE)
def mark_released(release_id: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)
    form = MarkReleasedForm()
    if not form.validate_on_submit():
        return _mark_released_page(release_id, form, 422 if request.method == "POST" else 200)
    # Not submit(): a refusal may give several reasons, each shown beside its own field.
    try:
        services.mark_released(
            db.session,
            release,
            override_reason=form.override_reason.data or "",
            destinations=_destinations(release),
            unfinished_reason=form.unfinished_reason.data or "",
            actor=current_user,
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        _attach_reasons(form, error)
        return _mark_released_page(release_id, form, error.status)
    db.session.commit()
    return success(
        _("%(name)s is released.", name=release.name), "releases.show", release_id=release.id
    )


def _attach_reasons(form: MarkReleasedForm, error: DomainError) -> None:
    """Each reason of a refusal beside its own field (a release refused may give several)."""
    reasons = [(error.message, error.field)]
    if isinstance(error, services.ReleaseRefused):
        reasons = error.reasons
    for message, field in reasons:
        attach_error(form, DomainError(message, field=field))


def _destinations(release: Release) -> dict[int, int | str | None]:
    """Each unfinished brick's destination as posted (brick_<number>): KEEP, "" for no
    release, or a release id; a brick the page did not show is missing (a Conflict)."""
    found: dict[int, int | str | None] = {}
    for brick in services.unfinished_bricks(db.session, release):
        value = request.form.get(f"brick_{brick.number}")
        if value is None:
            continue
        found[brick.number] = (
            None if value == "" else int(value) if value.isdigit() else services.KEEP
            if value == services.KEEP else "?"
        )  # fmt: skip
    return found


def _mark_released_page(release_id: int, form: MarkReleasedForm, status: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)  # as it is now
    page = render_template(
        "releases/mark_released.html",
        release=release,
        form=form,
        readiness=release_readiness(db.session, release),
        unfinished=services.unfinished_bricks(db.session, release),
        targets=services.other_releases(db.session, release),
        chosen=request.form if request.method == "POST" else {},
        keep=services.KEEP,
    )
    return page, status


# -- Release notes ----------------------------------------------------------------------------


def _readable_ids() -> set[int] | None:
    return notes.readable_release_ids(
        db.session, g.academy, current_user, role_in(current_user, g.academy)
    )


@bp.route("/notes/")
@requires(Permission.NOTES_READ)
def notes_index() -> Any:
    return _notes_index_page()


def _notes_index_page(new_feed_token: str | None = None) -> Any:
    """The notes list; right after a feed link is made, the link itself, shown this once (only
    its hash is kept), on a page no cache keeps."""
    readable = _readable_ids()
    published = notes.published_notes(db.session, g.academy, release_ids=readable)
    token_row = feed.my_feed_token(db.session, g.academy, current_user)
    page = make_response(
        render_template(
            "releases/notes_index.html",
            published=published,
            feed_active=token_row is not None,
            new_feed_link=feed.feed_url(_base_url(), new_feed_token) if new_feed_token else None,
            feed_since=token_row.created_at if token_row else None,
            to_write=_notes_to_write(published),
        )
    )
    if new_feed_token:
        page.headers["Cache-Control"] = "no-store"
    return page


def _notes_to_write(published: list[ReleaseNotes]) -> list[Release]:
    """For those who publish: the releases that could have notes and have none yet."""
    if not can(current_user, Permission.RELEASE_PUBLISH, g.academy):
        return []
    done = {n.release_id for n in published}
    return [
        r
        for r in services.list_releases(db.session, g.academy)
        if r.state in notes.PUBLISHABLE_STATES and r.id not in done
    ]


@bp.route("/notes/feed-link", methods=["POST"])
@requires(Permission.NOTES_READ)
def issue_feed_link() -> Any:
    done = submit(
        ConfirmForm(),
        lambda: feed.issue_feed_token(db.session, g.academy, current_user, now=utcnow()),
    )
    if not done:
        abort(400)
    # Not a redirect: the link is shown on this response only, never stored in clear.
    return _notes_index_page(done.value)


@bp.route("/notes/feed-link/revoke", methods=["POST"])
@requires(Permission.NOTES_READ)
def revoke_feed_link() -> Any:
    done = submit(
        ConfirmForm(),
        lambda: feed.revoke_feed_token(db.session, g.academy, current_user, now=utcnow()),
    )
    if not done:
        abort(400)
    if done.value:
        flash(_("Your feed link is revoked: feed readers using it get nothing more."), "success")
    return see_other("releases.notes_index", _anchor="feed")


@bp.route("/releases/<int:release_id>/notes")
@requires(Permission.NOTES_READ)
@conditional
def notes_page(release_id: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)
    readable = _readable_ids()
    if readable is not None and release.id not in readable:
        abort(403)  # a tester who did not test this release
    row = notes.get_notes(db.session, release)
    if row is None or not row.is_published:
        if can(current_user, Permission.RELEASE_PUBLISH, g.academy):
            return see_other("releases.edit_notes", release_id=release.id)
        abort(404)
    return render_template("releases/notes.html", release=release, notes=row)


def _notes_form_page(
    release: Release,
    form: EditNotesForm,
    row: ReleaseNotes | None,
    *,
    preview: Any = None,
    regenerated: bool = False,
    status: int = 200,
) -> Any:
    return (
        render_template(
            "releases/notes_form.html",
            release=release,
            form=form,
            notes=row,
            preview=preview,
            regenerated=regenerated,
            publishable=release.state in notes.PUBLISHABLE_STATES,
        ),
        status,
    )


@bp.route("/releases/<int:release_id>/notes/edit", methods=["GET", "POST"])
@requires(Permission.RELEASE_PUBLISH)
def edit_notes(release_id: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)
    row = notes.get_notes(db.session, release)
    form = EditNotesForm()
    if request.method == "GET":
        form.body.data = row.body if row is not None and row.body else None
        form.body.data = form.body.data or notes.generate_notes(db.session, release)
        return _notes_form_page(release, form, row)
    if not form.validate_on_submit():
        return _notes_form_page(release, form, row, status=422)
    action = request.form.get("action", "preview")
    if action == "regenerate":
        form.body.data = notes.generate_notes(db.session, release)
        return _notes_form_page(release, form, row, regenerated=True)
    if action not in ("save", "publish"):
        return _notes_form_page(release, form, row, preview=render_markdown(form.body.data or ""))
    return _write_notes(release_id, release, form, action)


def _write_notes(release_id: int, release: Release, form: EditNotesForm, action: str) -> Any:
    """Save the draft or publish. Not submit(): the form is valid already, and a refusal shows
    the notes as they are now (read again after the rollback)."""
    body = form.body.data or ""
    try:
        if action == "save":
            notes.save_notes_draft(db.session, release, body=body, actor=current_user, now=utcnow())
        else:
            publication = notes.publish_notes(
                db.session, release, body=body, actor=current_user, now=utcnow(),
                base_url=_base_url(),
            )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        release = services.get_release(db.session, g.academy, release_id)
        row = notes.get_notes(db.session, release)
        return _notes_form_page(release, form, row, status=error.status)
    db.session.commit()
    if action == "save":
        return success(
            _("The draft is saved. Readers still see the published version, if any."),
            "releases.edit_notes",
            release_id=release.id,
        )
    _flash_published(publication)
    return see_other("releases.notes_page", release_id=release.id)


def _flash_published(publication: notes.Publication) -> None:
    if publication.first:
        flash(
            ngettext("The notes are published; %(num)s stakeholder will get them by e-mail.",
                     "The notes are published; %(num)s stakeholders will get them by e-mail.",
                     publication.mailed),
            "success",
        )  # fmt: skip
    else:
        flash(_("The published notes are updated."), "success")


# -- Roadmap and the stakeholder's home -------------------------------------------------------


def _today() -> Any:
    return to_user_timezone(utcnow()).date()


@bp.route("/roadmap")
@requires(Permission.ROADMAP_VIEW)
@conditional
def roadmap() -> Any:
    lines = overview.release_lines(db.session, g.academy)
    groups: dict[str, list[overview.ReleaseLine]] = {phase: [] for phase in overview.PHASES}
    for line in lines:
        groups[overview.phase_of(line.release)].append(line)
    return render_template(
        "roadmap/index.html",
        lines=lines,
        groups=groups,
        chart=overview.timeline(lines, _today()),
        chart_desc=overview.timeline_description(lines),
    )


@bp.route("/overview")
@requires(Permission.STAKEHOLDER_HOME)
def overview_page() -> Any:
    return render_template(
        "stakeholders/home.html",
        home=overview.stakeholder_home(db.session, g.academy, current_user),
    )


# -- The Atom feed ---------------------------------------------------------------------------------


FEED_CACHE_CONTROL = "private, max-age=300"


@feed_bp.route("/feeds/<token>.atom")
@public
def atom(token: str) -> Any:
    row = feed.find_feed_token(db.session, token)
    if row is None:
        abort(404)
    user = db.session.get(User, row.user_id)
    academy = db.session.get(Academy, row.academy_id)
    # What its owner may read today: someone who left the academy gets nothing.
    if user is None or academy is None or not can(user, Permission.NOTES_READ, academy):
        abort(404)
    # Conditional first: the feed's validator changes with the academy's data and its owner
    # (tracker.changes); a reader that sends it back gets 304 before anything else is read.
    own, shared = changes.counters(db.session, academy.id)
    tag = validator("feed", academy.id, own, shared, row.id, user.id)
    if request.if_none_match.contains(tag.strip('"')):
        return not_modified(tag, FEED_CACHE_CONTROL)
    readable = notes.readable_release_ids(db.session, academy, user, role_in(user, academy))
    entries = notes.published_notes(db.session, academy, release_ids=readable)
    modified = max(
        (n.published_at for n in entries if n.published_at is not None),
        default=academy.created_at,
    ).replace(microsecond=0)
    since = request.if_modified_since
    if not request.if_none_match and since is not None and modified <= since:
        return not_modified(tag, FEED_CACHE_CONTROL)
    base = _base_url()
    body = feed.build_atom(
        _feed_info(academy, user, token),
        entries,
        entry_url=lambda n: base + notes.notes_path(academy, n.release),
        entry_title=lambda n: n.release.name,
    )
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    response.headers["Cache-Control"] = FEED_CACHE_CONTROL
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["ETag"] = tag
    response.last_modified = modified
    return response


def _feed_info(academy: Academy, user: User, token: str) -> feed.FeedInfo:
    """The feed's own title and links, in its owner's language (a feed reader sends none)."""
    base = _base_url()
    language = next(
        (code for code in (user.locale, academy.default_locale) if code in LOCALES), "fr"
    )
    page_url = base + url_for("releases.notes_index", slug=academy.slug)
    with force_locale(language):
        return feed.FeedInfo(
            title=_("%(academy)s: release notes", academy=academy.name),
            subtitle=_("What each release of the academy brings, as published by its team."),
            self_url=feed.feed_url(base, token),
            page_url=page_url,
            feed_id=page_url,
            author=academy.name,
            language=language,
            fallback_updated=academy.created_at,
        )


@bp.route("/releases/<int:release_id>/edit", methods=["GET", "POST"])
@requires(Permission.RELEASE_MANAGE)
def edit(release_id: int) -> Any:
    release = services.get_release(db.session, g.academy, release_id)
    form = EditReleaseForm(
        obj=release if request.method == "GET" else None,
        is_name_taken=name_rule(services.is_release_name_taken, release.id),
    )
    done = submit(
        form,
        lambda: services.update_release(
            db.session, release, actor=current_user, now=utcnow(), **_release_fields(form)
        ),
    )
    if done:
        return success(_("The release is saved."), "releases.show", release_id=release.id)
    return render_template("releases/form.html", form=form, release=release), done.status
