"""Hostile input on every route, as every principal: never a 5xx, never a traceback or SQL.

The walk takes its routes from the permission table (tests/test_permissions.py) and finds what
to fuzz by itself, so a new page, form or query parameter is fuzzed without anyone listing it:
- the forms each page renders (method POST: every field, the others left at the values the
  page filled in; method GET: every field, as a query parameter);
- the query parameters each view reads, itself or through its module's functions
  (`request.args.get("page")`, `query_int("question")`, `query_page()`...);
- the fields a POST-only route of the table is called with, and every key of a JSON route
  (those it reads, those its docstring shows), plus JSON bodies of any shape (Hypothesis).
Each field receives, one request per value, every value of a fixed hostile corpus (numbers past
32 and 64 bits, NaN, infinity, far dates, 100,000 characters, NUL, wrong types, arrays).

Each route runs inside a savepoint rolled back afterwards: what one route's posts change
(a member removed, a stage deleted) does not starve the next route of its data.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import PRINCIPALS
from tests.test_permissions import ROUTES, Route

HUGE_TEXT = "x" * 100_000

# One value per request; a tuple is sent as several values of one field (an array for a scalar).
CORPUS: tuple[str | tuple[str, ...], ...] = (
    "-1",
    "2147483648",  # past 32 bits
    "-9223372036854775809",  # past 64 bits
    "9" * 40,
    "NaN",
    "-inf",
    "\uff11\uff12",  # full-width digits: int() takes them
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01",
    HUGE_TEXT,
    "a\x00b",
    "true",
    "%_\\",
    "",
    ("2147483648", "1"),  # an array for a scalar
)

# JSON bodies for the JSON endpoints: wrong shapes and hostile scalars in every key.
JSON_SCALARS: tuple[Any, ...] = (
    2**31,
    2**63,
    -(2**64),
    10**40,
    "9" * 5000,  # past what int() converts from text
    1e308,
    -1,
    0,
    True,
    None,
    "NaN",
    "\x00",
    HUGE_TEXT,
    [],
    {},
    [1, 2],
    {"a": 1},
)

# What must never reach a person: a Python traceback, a driver's message, SQL.
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|sqlalchemy\.|psycopg|sqlite3\.|"
    r"(?:Integrity|Operational|Data|Programming)Error|\bSELECT\b[^<]{0,200}\bFROM\b",
)

CALL = re.compile(r"\b(\w+)\(")
ARG_READ = re.compile(
    r"request\.(?:args|values)(?:\.get(?:list)?\(\s*|\[\s*)[\"'](\w+)[\"']"
    r"|payload\.get\(\s*[\"'](\w+)[\"']"
    r"|query_(?:int|date|choice|text)\(\s*[\"'](\w+)[\"']"  # tracker/web.py's helpers
    r"|query_(page)\("
)
# A JSON view's keys: those it reads, and those its docstring shows ({"brick": 42, ...}).
JSON_KEY = re.compile(r"[\"'](\w+)[\"']\s*:")


# Values for the fields a page requires and leaves empty, by input type.
PLAUSIBLE = {
    "number": "3",
    "date": "2026-06-01",
    "datetime-local": "2026-06-30T10:00",
    "email": "fuzz@example.com",
    "url": "https://example.com/fuzz",
    "password": "correct horse battery staple",
}


# -- What a page offers: its forms ----------------------------------------------------------------


@dataclass
class FoundForm:
    method: str
    action: str
    values: dict[str, list[str]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    """The forms of a page, with the values a browser would send untouched."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[FoundForm] = []
        self.current: FoundForm | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.select_required = False
        self.textarea: str | None = None

    def _add(self, name: str, value: str, *, send: bool = True, required: str = "") -> None:
        """`required`: the input's type if the browser requires it (an empty value is then
        given a plausible one, so that the baseline passes and each hostile value is alone)."""
        if self.current is None or not name:
            return
        if required and not value:
            value = PLAUSIBLE.get(required, "Fuzz")
        if name not in self.current.names:
            self.current.names.append(name)
        if send:
            self.current.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = FoundForm(
                method=(a.get("method") or "get").lower(), action=a.get("action") or self.url
            )
            self.forms.append(self.current)
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            checkable = kind in ("checkbox", "radio")
            send = not checkable or "checked" in a
            if kind == "radio" and self.current and a.get("name") in self.current.values:
                send = False
            required = kind if "required" in a else ""
            value = a.get("value", "on" if checkable else "")
            self._add(a.get("name", ""), value, send=send, required=required)
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = a.get("name"), None, False
            self.select_required = "required" in a
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.select_first is None and (value or not self.select_required):
                self.select_first = value
            if "selected" in a and not self.select_chosen:
                self.select_chosen = True
                self._add(self.select, value)
        elif tag == "textarea":
            self.textarea = a.get("name")
            self._add(self.textarea or "", "", required="textarea" if "required" in a else "")

    def handle_data(self, data: str) -> None:
        if self.textarea and self.current is not None and data.strip():
            self.current.values[self.textarea][-1] = data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select:
            if not self.select_chosen:
                self._add(self.select, self.select_first or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.current = None


def forms_of(url: str, html: str) -> list[FoundForm]:
    parser = FormParser(url)
    parser.feed(html)
    return parser.forms


def arguments_read_by(view: Any, *, json: bool = False) -> set[str]:
    """Query parameters (or JSON keys) the view reads, itself or through the functions of its
    module it calls (two levels down)."""
    function = inspect.unwrap(view)
    module = inspect.getmodule(function)
    sources, todo, done = [], [function], set()
    for _ in range(3):
        calls = []
        for each in todo:
            if each in done:
                continue
            done.add(each)
            source = inspect.getsource(each)
            sources.append(source)
            calls += [
                getattr(module, name)
                for name in CALL.findall(source)
                if inspect.isfunction(getattr(module, name, None))
                and getattr(module, name).__module__ == function.__module__
            ]
        todo = calls
    text = "\n".join(sources)
    found = {next(name for name in names if name) for names in ARG_READ.findall(text)}
    return found | set(JSON_KEY.findall(text)) if json else found


# -- The walk -------------------------------------------------------------------------------------


@dataclass
class Walk:
    client: Any
    session: Any
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    seen_forms: set[tuple[str, ...]] = field(default_factory=set)
    statuses: dict[int, int] = field(default_factory=dict)  # answers by status, for the report

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        self.sent += 1
        try:
            if method == "POST":  # the test client adds the CSRF token a page would carry
                response = self.client.post(url, **kwargs)
            else:
                response = self.client.open(url, method=method, **kwargs)
        except Exception as error:  # TESTING propagates what would be a 500
            self.failures.append(f"{method} {url[:200]} {_short(kwargs)}: {error!r}"[:600])
            self.session.rollback()  # what the 500 handler does; the walk goes on
            return None
        # Binary bodies (attachments, thumbnails) read as text with replacement characters.
        body = response.get_data().decode("utf-8", "replace") if response.status_code != 304 else ""
        leak = LEAKS.search(body)
        if response.status_code >= 500 or leak:
            reason = leak.group(0) if leak else ""
            self.failures.append(
                f"{method} {url[:200]} {_short(kwargs)}: {response.status_code} {reason}"[:600]
            )
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


def _short(kwargs: dict[str, Any]) -> str:
    return re.sub(r"x{50,}", "x…", repr(kwargs.get("data") or kwargs.get("json") or ""))[:300]


def _normal(name: str) -> str:
    """A name with its numbers as N: item12-status, objectives-0-statement are one field each."""
    return re.sub(r"\d+", "N", name)


def _signature(form: FoundForm) -> tuple[str, ...]:
    path = urlsplit(form.action).path
    return (form.method, _normal(path), *sorted({_normal(name) for name in form.names}))


def _fuzz_query(walk: Walk, url: str, names: set[str]) -> None:
    base = urlsplit(url)
    for name in sorted(names):
        for value in CORPUS:
            values = list(value) if isinstance(value, tuple) else [value]
            query = urlencode([(name, v) for v in values])
            walk.send("GET", f"{base.path}?{query}")


def _fuzz_form(walk: Walk, form: FoundForm) -> None:
    baseline = {name: list(values) for name, values in form.values.items()}
    seen = {"csrf_token"}
    for name in form.names:
        if _normal(name) in seen:  # one row of a repeated group stands for the others
            continue
        seen.add(_normal(name))
        for value in CORPUS:
            data = {**baseline, name: list(value) if isinstance(value, tuple) else [value]}
            walk.send("POST", form.action, data=data)


def _fuzz_json(walk: Walk, url: str, keys: set[str]) -> None:
    for body in ([], "x", 10**40, None):
        walk.send("POST", url, json=body)
    for key in sorted(keys):
        for value in JSON_SCALARS:
            walk.send("POST", url, json=dict.fromkeys(keys, 1) | {key: value})


# Forms whose success would end the walk (the principal logged out).
SKIPPED_ACTIONS = ("/logout",)


def walk_route(walk: Walk, endpoint: str, route: Route, url: str, view: Any) -> None:
    json = endpoint.endswith("_json")
    read = arguments_read_by(view, json=json)
    if json:
        _fuzz_json(walk, url, read)
    elif route.method == "GET":
        response = walk.send("GET", url)
        ok = response is not None and response.status_code == 200
        found = forms_of(url, response.get_data().decode("utf-8", "replace")) if ok else []
        names = set(read)
        for form in found:
            if form.method == "get" and urlsplit(form.action).path == urlsplit(url).path:
                names.update(n for n in form.names if n != "csrf_token")
        _fuzz_query(walk, url, names)
        for form in found:
            if form.method == "post" and not form.action.startswith(SKIPPED_ACTIONS):
                _fuzz_once(walk, form)
    else:
        form = FoundForm("post", url, {k: [str(v)] for k, v in route.data.items()})
        form.names = sorted(set(route.data) | read)
        _fuzz_once(walk, form)


def _fuzz_once(walk: Walk, form: FoundForm) -> None:
    """A form met on several pages (or for several rows of a list) is fuzzed once."""
    signature = _signature(form)
    if signature not in walk.seen_forms:
        walk.seen_forms.add(signature)
        _fuzz_form(walk, form)


@contextmanager
def rolled_back(session: Any) -> Iterator[None]:
    """Everything the block commits is undone at its end (a savepoint around the session's)."""
    session.commit()
    savepoint = session.get_bind().begin_nested()
    try:
        yield
    finally:
        session.rollback()
        savepoint.rollback()
        session.expire_all()


# Inputs sent per principal, for the report (pytest -s prints them; -rA shows them too).
COUNTS: dict[str, int] = {}
MINIMUM_PER_PRINCIPAL = 500


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_no_hostile_input_gets_a_server_error(principal, app, client, db_session, world, login):
    user = world.principal(principal)
    db_session.commit()
    if user is not None:
        login(user)
    walk = Walk(client, db_session)
    for endpoint in sorted(ROUTES):
        route = ROUTES[endpoint]
        with rolled_back(db_session):
            url = route.path(world, db_session)
            db_session.commit()
            walk_route(walk, endpoint, route, url, app.view_functions[endpoint])

    COUNTS[principal] = walk.sent
    print(f"\nfuzz: {walk.sent} hostile requests as {principal}: {sorted(walk.statuses.items())}")
    assert not walk.failures, "\n".join(walk.failures[:60])
    assert walk.sent >= MINIMUM_PER_PRINCIPAL


# -- JSON bodies of any shape (Hypothesis): where structure, not only values, can go wrong --------

JSON_KEYS = ("brick", "version", "stage", "after", "before", "position", "override_reason")


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(JSON_KEYS) | st.text(max_size=4)
    return st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=5)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    _containers,
    max_leaves=10,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values)
def test_any_json_body_gets_an_answer(client, db_session, world, login, body):
    if not getattr(client, "logged_in_for_fuzz", False):
        login(world.manager)
        client.logged_in_for_fuzz = True
    walk = Walk(client, db_session)

    for path in ("board/move", "backlog/reorder"):
        walk.send("POST", f"/a/{world.academy.slug}/{path}", json=body)

    assert not walk.failures, walk.failures
