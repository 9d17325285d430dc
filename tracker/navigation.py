"""The academy's navigation: its pages grouped by what the person is doing (plan, beta test,
deliver, needs, reports, settings), only those the person's role opens, and where they are.

One table (ACADEMY_NAV) says which page belongs to which group, which permission opens it and
which endpoints count as being on it; templates/_nav.html draws it. A group with one page the
person may open is drawn as a plain link, a group with none is not drawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from tracker.auth.permissions import Permission as P
from tracker.auth.permissions import can

Matches = Callable[[str], bool]


def starts(*prefixes: str, but: tuple[str, ...] = ()) -> Matches:
    return lambda endpoint: endpoint.startswith(prefixes) and endpoint not in but


def among(*endpoints: str) -> Matches:
    return lambda endpoint: endpoint in endpoints


_RELEASE_READER = ("releases.roadmap", "releases.notes_index", "releases.notes_page")
_PANEL = ("feedback.segments", "feedback.import_testers", "feedback.confirm_import")
_MY_ROUNDS = ("feedback.my_rounds", "feedback.answer", "feedback.new_item", "feedback.edit_item")


def _panel(endpoint: str) -> bool:
    return endpoint.startswith("feedback.") and (
        endpoint.startswith("feedback.panel")
        or endpoint.endswith(("_tester", "_segment"))
        or endpoint in _PANEL
    )


def _sprints(endpoint: str) -> bool:
    return endpoint.startswith("sprints.") and endpoint != "sprints.reports"


def _learning(endpoint: str) -> bool:
    return endpoint.startswith("learning.") and endpoint != "learning.brick_link"


def _vendors(endpoint: str) -> bool:
    return endpoint.startswith("vendors.")


def _members(endpoint: str) -> bool:
    return endpoint.startswith("academy.") and endpoint not in ("academy.home", "academy.settings")


def _rounds(endpoint: str) -> bool:
    return endpoint.startswith("feedback.") and not _panel(endpoint) and endpoint not in _MY_ROUNDS


@dataclass(frozen=True)
class Page:
    label: Any
    endpoint: str
    permission: P
    current: Matches
    # Shown instead when `permission` is refused (a stakeholder's own needs).
    otherwise: tuple[Any, str, P] | None = None


@dataclass(frozen=True)
class Group:
    key: str
    label: Any
    pages: tuple[Page, ...]


ACADEMY_NAV: tuple[Group, ...] = (
    Group(
        "plan",
        _l("Plan"),
        (
            Page(_l("Backlog"), "backlog.index", P.BRICK_VIEW, starts("backlog.")),
            Page(_l("Board"), "board.show", P.BOARD_VIEW, starts("board.", "stages.")),
            Page(
                _l("Sprints"),
                "sprints.index",
                P.SPRINT_VIEW,
                starts("sprints.", but=("sprints.reports",)),
            ),
            Page(_l("Paths"), "paths.index", P.PATH_VIEW, starts("paths.")),
        ),
    ),
    Group(
        "beta",
        _l("Beta tests"),
        (
            Page(_l("Rounds"), "feedback.rounds", P.ROUND_VIEW, _rounds),
            Page(_l("Panel"), "feedback.panel_index", P.PANEL_MANAGE, _panel),
            Page(_l("My rounds"), "feedback.my_rounds", P.ROUND_ANSWER, among(*_MY_ROUNDS)),
        ),
    ),
    Group(
        "deliver",
        _l("Deliver"),
        (
            Page(
                _l("Releases"),
                "releases.index",
                P.RELEASE_VIEW,
                starts("releases.", but=_RELEASE_READER),
            ),
            Page(_l("Roadmap"), "releases.roadmap", P.ROADMAP_VIEW, among("releases.roadmap")),
            Page(
                _l("Release notes"),
                "releases.notes_index",
                P.NOTES_READ,
                among("releases.notes_index", "releases.notes_page"),
            ),
            Page(_l("Learning data"), "learning.settings", P.LEARNING_MANAGE, _learning),
        ),
    ),
    Group(
        "needs",
        _l("Needs"),
        (
            Page(
                _l("Needs"),
                "needs.index",
                P.NEED_VIEW_ALL,
                starts("needs.", but=("needs.coverage",)),
                otherwise=(_l("My needs"), "needs.mine", P.NEED_SUBMIT),
            ),
            Page(_l("Coverage"), "needs.coverage", P.NEED_COVERAGE, among("needs.coverage")),
        ),
    ),
    Group(
        "vendors",
        _l("Vendors"),
        (
            Page(
                _l("Vendors"),
                "vendors.index",
                P.VENDOR_VIEW,
                _vendors,
                otherwise=(_l("My vendor"), "vendors.portal", P.VENDOR_PORTAL),
            ),
        ),
    ),
    Group(
        "reports",
        _l("Reports"),
        (Page(_l("Reports"), "sprints.reports", P.REPORT_VIEW, among("sprints.reports")),),
    ),
    Group(
        "settings",
        _l("Settings"),
        (
            Page(_l("Members"), "academy.members", P.MEMBER_LIST, _members),
            Page(_l("Settings"), "academy.settings", P.ACADEMY_EDIT, among("academy.settings")),
        ),
    ),
)


@dataclass(frozen=True)
class Link:
    label: Any
    url: str
    current: bool


@dataclass(frozen=True)
class ShownGroup:
    key: str
    label: Any
    links: list[Link]

    @property
    def current(self) -> Link | None:
        return next((link for link in self.links if link.current), None)


def academy_nav(user: Any, academy: Any) -> list[ShownGroup]:
    """The groups of `academy`'s pages that `user` may open, each with its links."""
    endpoint = request.endpoint or ""
    shown = []
    for group in ACADEMY_NAV:
        links = []
        for page in group.pages:
            label, target, permission = page.label, page.endpoint, page.permission
            if not can(user, permission, academy) and page.otherwise is not None:
                label, target, permission = page.otherwise
            if can(user, permission, academy):
                url = url_for(target, slug=academy.slug)
                links.append(Link(label, url, page.current(endpoint)))
        if links:
            shown.append(ShownGroup(group.key, group.label, links))
    return shown
