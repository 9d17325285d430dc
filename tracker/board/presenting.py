"""The board's cards as HTML: each card rendered once per state of the card, and kept.

A board shows up to thousands of cards and people move them all day. Drawing every card through
a Jinja macro cost about 100 µs each (the macro call, three translation lookups through the
request's locale, escaping every value twice), so that any move paid for the whole board again.
Here a card is written by plain string formatting with the labels of the request's locale looked
up once per request (about 10 µs), and kept in a bounded per-process cache keyed by exactly what
the card shows: its fields and version, its days in its column, the locale and the page's links,
and whether the viewer may move cards. The key is made of data only (no time, no process state),
so every worker and every host draws the same card for the same key, and a move re-renders the
card that moved and nothing else (its version changed; the other cards' keys did not).

The markup is the one of the former `card` macro of templates/board/_columns.html (board.js
reads `data-n`, `data-v`, `data-p`; the tests read the rest).
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from tracker.backlog.labels import FORMAT_LABELS
from tracker.backlog.models import BrickFormat
from tracker.backlog.paths_services import colour_class
from tracker.board.queries import Card
from tracker.formatting import duration


def escape_text(value: str) -> str:
    """Text made safe in HTML content and quoted attributes (&, <, >, " and ')."""
    return html.escape(value, quote=True)


AVATAR_COLOURS = 8  # .avatar-0 … .avatar-7 in brique.css


def initials(name: str) -> str:
    """Up to two letters for an avatar: "Sophie Rosier" -> "SR", "Karim" -> "KA"."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar_colour(name: str) -> int:
    """The same colour for a name on every card, host and run (no salted hash())."""
    return sum(name.encode()) % AVATAR_COLOURS


class RenderedCards:
    """A bounded LRU of rendered cards (per process): at most `max_chars` characters kept."""

    def __init__(self, max_chars: int = 16_000_000) -> None:
        self.max_chars = max_chars
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        self.rendered = 0  # cards drawn since the start (tests read it)

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self.rendered += 1
            if key in self._entries or len(html) > self.max_chars:
                return
            self._entries[key] = html
            self._chars += len(html)
            while self._chars > self.max_chars:
                _key, evicted = self._entries.popitem(last=False)
                self._chars -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def __len__(self) -> int:
        return len(self._entries)


rendered_cards = RenderedCards()


@dataclass(frozen=True)
class CardPage:
    """What every card of one board page shares (part of each card's cache key)."""

    locale: str
    prefix: str  # the academy's key prefix and a dash: "ACD-"
    brick_base: str  # a brick's page without its number: "/a/acad/bricks/"
    move_base: str  # the move form without the number: "/a/acad/board/"
    move_query: str  # the board's filters carried to the move form: "?sprint=3" or ""
    can_move: bool


class CardRenderer:
    """Draws the cards of one request (labels of its locale looked up once) through the cache."""

    def __init__(self, page: CardPage, cache: RenderedCards = rendered_cards) -> None:
        self.page = page
        self.cache = cache
        self._formats: dict[BrickFormat, str] = {}
        self._points: dict[int, str] = {}
        self._days: dict[int, str] = {}
        self._nobody = escape_text(_("Nobody"))
        self._dod = escape_text(_("Definition of done:"))
        self._move = escape_text(_("Move…"))
        self._brick_base = escape_text(page.brick_base)
        self._move_base = escape_text(page.move_base)
        self._move_query = escape_text(page.move_query)

    def key(self, c: Card) -> Hashable:
        return (
            self.page,
            c.number,
            c.title,
            c.format,
            c.minutes,
            c.points,
            c.version,
            c.days,
            c.owner,
            c.path_name,
            c.path_colour,
            c.done,
            c.checklist,
        )

    def html(self, cards: Iterable[Card]) -> Markup:
        """The cards one after another (each followed by a line break), from the cache when
        they were drawn before."""
        parts = []
        get, put, draw = self.cache.get, self.cache.put, self.draw
        for c in cards:
            key = self.key(c)
            found = get(key)
            if found is None:
                found = draw(c)
                put(key, found)
            parts.append(found)
            parts.append("\n")
        return Markup("".join(parts))  # noqa: S704 (every value escaped by draw())

    def draw(self, c: Card) -> str:
        code = escape_text(f"{self.page.prefix}{c.number}")
        meta = self._format(c.format)
        if c.minutes is not None:
            meta += f" · {escape_text(duration(c.minutes))}"
        if c.points is not None:
            meta += f" · {self._points_label(c.points)}"
        path = (
            f'<p class="card-path"><span class="path-badge {colour_class(c.path_colour)}">'
            f"{escape_text(c.path_name)}</span></p>"
            if c.path_name
            else ""
        )
        dod = ""
        if c.checklist:
            # A tick only for a finished checklist: "0/9" is nothing done, not a tick.
            complete = c.done >= c.checklist
            dod = (
                f' <span class="card-dod{" is-complete" if complete else ""}">'
                f'<span class="visually-hidden">{self._dod} </span>'
                f"{'✓ ' if complete else ''}{c.done}/{c.checklist}</span>"
            )
        if c.owner:
            name = escape_text(c.owner)
            owner = (
                f'<span class="avatar avatar-{avatar_colour(c.owner)}" title="{name}" '
                f'aria-hidden="true">{escape_text(initials(c.owner))}</span>'
                f'<span class="card-owner visually-hidden">{name}</span>'
            )
        else:
            owner = (
                f'<span class="avatar avatar-none" title="{self._nobody}" aria-hidden="true">'
                f'?</span><span class="card-owner visually-hidden">{self._nobody}</span>'
            )
        move = (
            f'<a class="card-move" href="{self._move_base}{c.number}/move{self._move_query}" '
            f'title="{self._move}"><span aria-hidden="true">⇄</span>'
            f'<span class="visually-hidden">{self._move} {code}</span></a>'
            if self.page.can_move
            else ""
        )
        return (
            f'<li class="board-card" id="card-{c.number}" data-n="{c.number}" '
            f'data-v="{c.version}" data-p="{c.points or 0}">\n'
            f'<a class="card-title" href="{self._brick_base}{c.number}"><code>{code}</code> '
            f"{escape_text(c.title)}</a>\n"
            f'<p class="card-meta">{meta}</p>\n'
            f"{path}\n"
            f'<p class="card-foot">{owner}{dod} '
            f'<span class="card-age">{self._days_label(c.days)}</span>{move}</p>\n</li>'
        )

    def _format(self, value: BrickFormat) -> str:
        found = self._formats.get(value)
        if found is None:
            found = self._formats[value] = escape_text(str(FORMAT_LABELS[value]))
        return found

    def _points_label(self, points: int) -> str:
        found = self._points.get(points)
        if found is None:
            found = self._points[points] = escape_text(
                ngettext("%(num)s pt", "%(num)s pts", points)
            )
        return found

    def _days_label(self, days: int) -> str:
        found = self._days.get(days)
        if found is None:
            found = self._days[days] = escape_text(ngettext("%(num)s day", "%(num)s days", days))
        return found
