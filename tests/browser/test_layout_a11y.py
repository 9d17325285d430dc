"""The walk: every page each role reaches from its landing page, in French and in English, at a
laptop's 1366x900 and a phone's 375x812: no horizontal page scroll, and no critical or serious
axe-core violation (axe-core vendored in tests/browser/vendor/axe-core, MPL-2.0).

The pages are found the way a person finds them: by following the links of each page (same
origin, GET), one page per URL shape (``/bricks/12`` and ``/bricks/13`` are the same page),
without downloads, feeds or logging out. Every page is loaded once; the viewport is then
resized, which reflows the page without reloading it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, LiveServer
from tracker.auth.models import User

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
VIEWPORTS = ({"width": 1366, "height": 900}, {"width": 375, "height": 812})
ROLES = ("admin", "manager", "designer", "tester", "stakeholder")
MAX_PAGES = 100  # per role: far more than any role's menu leads to; a runaway crawl fails
# Not pages: downloads, feeds, the static files, logging out, the JSON endpoints, the API (its
# documentation page is the vendored Swagger UI, tested in test_api_docs.py).
NOT_A_PAGE = re.compile(
    r"(\.(csv|xlsx|atom|json|png|svg|css|js)$)|/export|/logout|^/static/|/healthz|/feeds/|^/api/"
)

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`
      + (v.nodes.length > 3 ? ` (+${v.nodes.length - 3})` : ''));
}"""
LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && a.origin === location.origin)
  .map(a => a.pathname)"""
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const wide = Array.from(document.body.querySelectorAll('*'))
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
    .filter(e => !e.parentElement
      || e.parentElement.getBoundingClientRect().right <= root.clientWidth + 1)
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className
        ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
  return `${root.scrollWidth}px wide in ${root.clientWidth}px (${wide.join(', ')})`;
}"""


def shape(path: str) -> str:
    path = re.sub(r"/checklists/[\w-]+", "/checklists/<format>", path)
    return re.sub(r"/\d+(?=/|$)", "/<n>", path)


@pytest.fixture
def reader(live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """The role's demo person reads in the test's language; their own language is put back."""
    role, locale = request.param
    email = live_server.logins[role]
    with live_server.session() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        before, user.locale = user.locale, locale
    try:
        yield role
    finally:
        with live_server.session() as s:
            s.scalars(select(User).where(User.email == email)).one().locale = before


def check(page: Any) -> list[str]:
    found = []
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        where = f"{viewport['width']}px"
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            found.append(f"{where}: horizontal scroll, {overflow}")
        found += [f"{where}: {v}" for v in page.evaluate(RUN_AXE)]
    return found


@pytest.mark.parametrize(
    "reader",
    [(role, locale) for locale in ("fr", "en") for role in ROLES],
    ids=[f"{role}-{locale}" for locale in ("fr", "en") for role in ROLES],
    indirect=True,
)
def test_every_page_fits_and_passes_axe(browser: Any, live_server: LiveServer, reader: str) -> None:
    # Arrange: the role logged in; axe-core in every page (an init script: the CSP does not apply)
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[0])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        live_server.login(page, reader)
        start = urlsplit(page.url).path
        queue, seen, problems, visited = [start], {shape(start)}, {}, []

        # Act: follow every link once per page shape
        while queue:
            path = queue.pop(0)
            response = page.goto(path)
            assert response is not None and response.status < 500, f"{path}: {response}"
            visited.append(path)
            if found := check(page):
                problems[path] = found
            page.set_viewport_size(VIEWPORTS[0])
            for link in page.evaluate(LINKS):
                if NOT_A_PAGE.search(link) or shape(link) in seen:
                    continue
                seen.add(shape(link))
                queue.append(link)
            assert len(visited) <= MAX_PAGES, f"the walk does not end: {visited}"

        # Assert
        assert len(visited) >= 3, f"the walk found almost nothing: {visited}"
        report = "\n".join(f"{path}\n  " + "\n  ".join(found) for path, found in problems.items())
        assert not problems, f"{len(problems)} of {len(visited)} pages fail:\n{report}"
    finally:
        context.close()
