"""The demo's player: the story's actions, each done through the real services at the moment
the timeline gives it, the clock set to that moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from tracker import spreadsheets
from tracker.academies.models import Academy, AcademyInvitation, Stage, StageCategory
from tracker.academies.services import accept_invitation
from tracker.auth.models import User
from tracker.backlog import checklists, needs_services, paths_services
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick, LearningPath, TrainingNeed
from tracker.board import services as board_services
from tracker.demo.clock import Calendar, Clock
from tracker.demo.story import (
    DEMO_PATHS,
    DEMO_SEGMENTS,
    DEMO_TESTERS,
    DESIGNER_EMAIL,
    MANAGER_EMAIL,
    PILOT,
    PILOT_DECISION,
    PILOT_NOTES_THANKS,
    PILOT_ROUND,
    QUIZ_FROM_FEEDBACK,
    STAKEHOLDER_EMAIL,
    DemoBrick,
    DemoItem,
    DemoNeed,
    DemoRelease,
    DemoSprint,
)
from tracker.feedback import panel, panel_import, triage
from tracker.feedback.answers import invitation_of, save_response
from tracker.feedback.invitations import invite_testers
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import FeedbackItem, FeedbackRound, Question, RoundInvitation
from tracker.feedback.questionnaire import field_name
from tracker.feedback.rounds import close_round, create_round, open_round
from tracker.releases import notes as release_notes
from tracker.releases import services as release_services
from tracker.releases.models import Release
from tracker.sprints import services as sprint_services
from tracker.sprints.models import Sprint


class Player:
    """Keeps what the story has made so far, plans actions at moments, then plays them in time
    order through the services, the clock set to each action's moment."""

    def __init__(
        self,
        session: Session,
        academy: Academy,
        users: dict[str, User],
        *,
        secret_key: str,
        base_url: str,
        tz: ZoneInfo,
        now: dt.datetime,
    ) -> None:
        self.session = session
        self.academy = academy
        self.users = dict(users)
        self.secret_key = secret_key
        self.base_url = base_url
        self.now = now
        self.cal = Calendar(now, tz)
        self.clock = Clock(now)
        self.steps: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.stages = list(
            session.scalars(
                select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position)
            )
        )
        self.paths: dict[str, LearningPath] = {}
        self.releases: dict[str, Release] = {}
        self.bricks: dict[str, Brick] = {}
        self.sprints: dict[str, Sprint] = {}
        self.rounds: dict[str, FeedbackRound] = {}
        self.items: dict[str, FeedbackItem] = {}
        self.manager = users[MANAGER_EMAIL]
        self.designer = users[DESIGNER_EMAIL]

    # -- Playing ---------------------------------------------------------------------------

    def plan(self, moment: dt.datetime, action: Callable[[], object]) -> None:
        self.steps.append((moment, len(self.steps), action))

    def run(self) -> None:
        """Play every planned action in time order (in planning order at the same moment)."""
        for moment, _order, action in sorted(self.steps, key=lambda s: (s[0], s[1])):
            assert moment < self.now, "the demo's story is all in the past"
            self.clock.now = moment
            action()
        self.session.flush()

    # -- Paths, releases, bricks -------------------------------------------------------------

    def create_paths(self) -> None:
        for path in DEMO_PATHS:
            self.paths[path.name] = paths_services.create_path(
                self.session,
                self.academy,
                name=path.name,
                colour=path.colour,
                description=path.description,
                target_population=path.population,
            )

    def create_release(self, release: DemoRelease, target: dt.date) -> None:
        self.releases[release.name] = release_services.create_release(
            self.session,
            self.academy,
            name=release.name,
            goal=release.goal,
            target_date=target,
            actor=self.manager,
            now=self.clock.now,
        )

    def brick_values(self, brick: DemoBrick) -> dict[str, Any]:
        return {
            "summary": brick.summary,
            "learner_minutes": brick.minutes,
            "estimate_points": brick.points,
            "release_id": self.releases[brick.release].id if brick.release else None,
            "learning_path_id": self.paths[brick.path].id if brick.path else None,
            "owner_id": self.users[brick.owner].id,
            "vendor": brick.vendor,
            "target_audience": brick.audience,
            "language": "fr",
        }

    def create_brick(self, brick: DemoBrick) -> None:
        self.bricks[brick.title] = brick_services.create_brick(
            self.session,
            self.academy,
            actor=self.users[brick.owner],
            title=brick.title,
            format=brick.format,
            objectives=brick.objectives,
            now=self.clock.now,
            **self.brick_values(brick),
        )

    def move(self, demo: DemoBrick, step: int) -> None:
        """The brick's step to board column `step`, ticking its definition of done first."""
        brick = self.bricks[demo.title]
        stage = self.stages[step]
        owner = self.users[demo.owner]
        if stage.category == StageCategory.DONE:
            to_tick = list(brick.checklist)
        elif stage.category == StageCategory.REVIEW:
            to_tick = list(brick.checklist)[: len(brick.checklist) // 2]
        else:
            to_tick = []
        for item in to_tick:
            checklists.tick_checklist_item(
                self.session, brick, item, done=True, actor=owner, now=self.clock.now
            )
        # Where its rank puts it in the column: the backlog's order stays as it was.
        before = self.session.scalar(
            select(func.count(Brick.id)).where(
                Brick.stage_id == stage.id,
                Brick.id != brick.id,
                or_(
                    Brick.rank < brick.rank,
                    and_(Brick.rank == brick.rank, Brick.id < brick.id),
                ),
            )
        )
        board_services.move_brick(
            self.session,
            brick,
            stage,
            int(before or 0) + 1,
            actor=owner,
            expected_version=brick.version,
            now=self.clock.now,
        )

    # -- Training needs ----------------------------------------------------------------------

    # -- Training needs ----------------------------------------------------------------------

    def submit_need(self, need: DemoNeed) -> None:
        needs_services.submit_need(
            self.session,
            self.academy,
            actor=self.users[STAKEHOLDER_EMAIL] if need.by_stakeholder else self.manager,
            title=need.title,
            description=need.description,
            business_unit=need.business_unit,
            requester_name=need.requester,
            population=need.population,
            headcount=need.headcount,
            criticality=need.criticality,
            urgency=need.urgency,
            now=self.clock.now,
        )

    def need(self, demo: DemoNeed) -> TrainingNeed:
        return self.session.scalars(
            select(TrainingNeed).where(
                TrainingNeed.academy_id == self.academy.id, TrainingNeed.title == demo.title
            )
        ).one()

    def link_need(self, demo: DemoNeed) -> None:
        need = self.need(demo)
        for title in demo.bricks:
            needs_services.link_brick(
                self.session, need, self.bricks[title], actor=self.manager, now=self.clock.now
            )

    def change_need(self, demo: DemoNeed, status: str) -> None:
        needs_services.change_need_status(
            self.session,
            self.need(demo),
            status,
            actor=self.manager,
            reason=demo.decline_reason,
            now=self.clock.now,
        )

    # -- The panel ---------------------------------------------------------------------------

    def import_panel(self) -> None:
        """The panel's file, as the DRH sent it, through the real import (dry run, then all)."""
        header = ["Nom", "E-mail", "Direction", "Métier", "Site", "Langue"]
        rows = [
            [t.name, t.email, t.business_unit, t.job_family, t.site, t.language]
            for t in DEMO_TESTERS
        ]
        data = spreadsheets.write_csv([header, *rows])
        plan = panel_import.plan_tester_import(self.session, self.academy, "panel-beta.csv", data)
        panel_import.import_testers(
            self.session,
            self.academy,
            plan,
            actor=self.manager,
            now=self.clock.now,
            base_url=self.base_url,
        )
        # Every tester accepts the panel's invitation (a click on the e-mail's button).
        for invitation in self.session.scalars(
            select(AcademyInvitation).where(
                AcademyInvitation.academy_id == self.academy.id,
                AcademyInvitation.accepted_at.is_(None),
                AcademyInvitation.revoked_at.is_(None),
            )
        ).all():
            user = accept_invitation(self.session, invitation, password=None, now=self.clock.now)
            panel.join_panel(self.session, invitation, user)
            self.users[user.email] = user

    def create_segments(self) -> None:
        for name, filters in DEMO_SEGMENTS:
            panel.create_segment(self.session, self.academy, name=name, filters=filters)

    # -- Rounds: answers, items, triage --------------------------------------------------------

    def create_round(
        self, key: str, release: str, closes_at: dt.datetime, *, anonymous: bool, text: str
    ) -> None:
        self.rounds[key] = create_round(
            self.session,
            self.academy,
            release_id=self.releases[release].id,
            title=key,
            instructions=text,
            closes_at=closes_at,
            anonymous=anonymous,
            actor=self.manager,
            now=self.clock.now,
        )

    def open_and_invite(self, key: str, emails: Sequence[str]) -> None:
        round_ = self.rounds[key]
        open_round(self.session, round_, actor=self.manager, now=self.clock.now)
        invite_testers(
            self.session,
            round_,
            [self.users[email].id for email in emails],
            base_url=self.base_url,
            now=self.clock.now,
        )

    def invitation(self, key: str, email: str) -> RoundInvitation:
        invitation = invitation_of(self.session, self.rounds[key], self.users[email].id)
        assert invitation is not None, f"{email} is not invited to {key}"
        return invitation

    def answer(
        self,
        key: str,
        email: str,
        scores: tuple[int, ...],
        time_spent: int | None,
        comment: str,
        *,
        submit: bool,
    ) -> None:
        """A tester's answers to the default questionnaire, saved as a draft or submitted."""
        round_ = self.rounds[key]
        questions = list(
            self.session.scalars(
                select(Question).where(Question.round_id == round_.id).order_by(Question.position)
            )
        )
        rating, recommend, apply, intend, how_long, improve = questions
        values: dict[str, list[str]] = {}
        for question, score in zip((rating, recommend, apply), scores, strict=False):
            values[field_name(question.id)] = [str(score)]
        if len(scores) >= 3:  # they intend to apply it when sure they will be able to (4-5)
            values[field_name(intend.id)] = ["1" if scores[2] >= 4 else "0"]
        if time_spent is not None:
            values[field_name(how_long.id)] = [how_long.choices[time_spent]]
        if comment:
            values[field_name(improve.id)] = [comment]
        save_response(
            self.session,
            self.invitation(key, email),
            values,
            submit=submit,
            secret_key=self.secret_key,
            now=self.clock.now,
        )

    def report(self, key: str, name: str, email: str, item: DemoItem) -> None:
        self.items[name] = report_item(
            self.session,
            self.invitation(key, email),
            ItemInput(
                brick_id=self.bricks[item.brick].id,
                location=item.location,
                kind=item.kind,
                severity=item.severity,
                title=item.title,
                description=item.description,
            ),
            secret_key=self.secret_key,
            now=self.clock.now,
        )

    def triage(self, name: str, status: str, duplicate_of: str | None = None) -> None:
        triage.move_item(
            self.session,
            self.items[name],
            status,
            actor=self.designer,
            duplicate_of_id=self.items[duplicate_of].id if duplicate_of else None,
            now=self.clock.now,
        )

    def close_beta(self, key: str) -> None:
        """Closed by the closing job at its deadline."""
        close_round(self.session, self.rounds[key], actor=None, now=self.clock.now)

    # -- Releases: go/no-go, release, notes ---------------------------------------------------

    def quiz_from_idea(self) -> None:
        """The designer turns a tester's idea into a backlog brick, linked both ways."""
        round_ = self.rounds[PILOT_ROUND]
        item = self.items["quiz"]
        brick = triage.create_brick_from_item(
            self.session,
            self.academy,
            round_,
            item,
            actor=self.designer,
            title=QUIZ_FROM_FEEDBACK.title,
            format=QUIZ_FROM_FEEDBACK.format,
            item_url=f"/a/{self.academy.slug}/rounds/{round_.id}/triage#item-{item.id}",
            now=self.clock.now,
        )
        self.bricks[brick.title] = brick

    def decide_pilot(self) -> None:
        release_services.record_decision(
            self.session,
            self.releases[PILOT],
            outcome="go",
            comment=PILOT_DECISION,
            actor=self.manager,
            now=self.clock.now,
        )

    def pilot_notes(self) -> str:
        body = release_notes.generate_notes(self.session, self.releases[PILOT])
        return body + PILOT_NOTES_THANKS

    def draft_pilot_notes(self) -> None:
        release_notes.save_notes_draft(
            self.session,
            self.releases[PILOT],
            body=self.pilot_notes(),
            actor=self.manager,
            now=self.clock.now,
        )

    def publish_pilot_notes(self) -> None:
        release_notes.publish_notes(
            self.session,
            self.releases[PILOT],
            body=self.pilot_notes(),
            actor=self.manager,
            now=self.clock.now,
            base_url=self.base_url,
        )

    # -- Sprints ----------------------------------------------------------------------------------

    def release(self, name: str) -> None:
        release_services.mark_released(
            self.session, self.releases[name], actor=self.manager, now=self.clock.now
        )

    # -- Sprints ----------------------------------------------------------------------------------

    def create_sprint(self, sprint: DemoSprint, start: dt.date) -> None:
        self.sprints[sprint.name] = sprint_services.create_sprint(
            self.session,
            self.academy,
            name=sprint.name,
            goal=sprint.goal,
            start_date=start,
            end_date=start + dt.timedelta(days=self.academy.sprint_length_days - 1),
            capacity_points=sprint.capacity,
        )

    def complete_quiz(self) -> None:
        """The manager completes the brick made from the idea and plans it with increment 1."""
        brick = self.bricks[QUIZ_FROM_FEEDBACK.title]
        brick_services.update_brick(
            self.session,
            brick,
            actor=self.manager,
            expected_version=brick.version,
            objectives=QUIZ_FROM_FEEDBACK.objectives,
            now=self.clock.now,
            **self.brick_values(QUIZ_FROM_FEEDBACK),
        )

    def commit(self, sprint: str, titles: Sequence[str], reason: str | None = None) -> None:
        sprint_services.commit_bricks(
            self.session,
            self.sprints[sprint],
            [self.bricks[title].number for title in titles],
            actor=self.manager,
            reason=reason,
            now=self.clock.now,
        )

    def start(self, sprint: str) -> None:
        sprint_services.start_sprint(
            self.session, self.sprints[sprint], actor=self.manager, now=self.clock.now
        )

    def close(self, sprint: str, next_sprint: str) -> None:
        """Closed at the review: what is not done goes on to the next sprint."""
        closing = self.sprints[sprint]
        target = self.sprints[next_sprint].id
        unfinished = sprint_services.unfinished_bricks(self.session, closing)
        sprint_services.close_sprint(
            self.session,
            closing,
            {brick.number: target for brick in unfinished},
            actor=self.manager,
            now=self.clock.now,
        )

    # -- Comments on the bricks -----------------------------------------------------------------

    def comment(self, title: str, author: str, body: str) -> None:
        brick_services.add_comment(
            self.session,
            self.bricks[title],
            author=self.users[author],
            body=body,
            now=self.clock.now,
        )
