"""Screenshots of the main pages of the demo academy, at a laptop's and a phone's size.

Run from the repository's root (Debian's chromium and the test extras installed):

    .venv/bin/python docs/screenshots/make.py            # every page, both sizes
    .venv/bin/python docs/screenshots/make.py board      # only the pages named

It seeds the demo academy into a temporary SQLite database, serves it with gunicorn on loopback
(bench.server, as the browser tests do), logs in as the demo's people through the login form and
writes docs/screenshots/<page>-<width>.png. Nothing leaves the machine.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask_babel import force_locale  # noqa: E402 (after the path is set)
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.server import clean_environment, serve  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import db  # noqa: E402
from tracker.demo import DEMO_PEOPLE, DEMO_SLUG, seed_demo  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = ((1366, 900), (375, 812))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def login_of(role: str) -> str:
    return next(p.email for p in DEMO_PEOPLE if p.role is not None and p.role.value == role)


def academy(path: str) -> str:
    return f"/a/{DEMO_SLUG}{path}"


def board(page: Any) -> None:
    page.goto(academy("/board"))


def backlog(page: Any) -> None:
    page.goto(academy("/backlog"))


def quick_view(page: Any) -> None:
    page.goto(academy("/board"))
    card = page.locator(".board-card .card-title").first
    card.click()
    page.locator("#quick-view[open] [data-quick-body] h2").wait_for()


def my_work(page: Any) -> None:
    page.goto(academy("/my-work"))


def tester_form(page: Any) -> None:
    page.goto(academy("/my-rounds"))
    link = page.locator("a[href$='/answer']").first
    page.goto(link.get_attribute("href"))


def roadmap(page: Any) -> None:
    page.goto(academy("/roadmap"))


# page name -> (demo role, how to get there)
PAGES: dict[str, tuple[str, Callable[[Any], None]]] = {
    "board": ("manager", board),
    "backlog": ("manager", backlog),
    "quick-view": ("manager", quick_view),
    "my-work": ("designer", my_work),
    "tester-form": ("tester", tester_form),
}
# Drawn only when named on the command line.
EXTRA: dict[str, tuple[str, Callable[[Any], None]]] = {"roadmap": ("manager", roadmap)}


def main(names: list[str]) -> None:
    known = {**PAGES, **EXTRA}
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"Unknown page(s): {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = {n: known[n] for n in names or PAGES}
    with tempfile.TemporaryDirectory() as workdir_name:
        workdir = Path(workdir_name)
        (workdir / "instance").mkdir()
        database_url = f"sqlite:///{workdir / 'demo.sqlite3'}"
        password, secret_key = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
        app = create_app(
            {"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "SMTP_HOST": "",
             "CHEAP_PASSWORD_HASHING": True, "LOG_LEVEL": "WARNING"}
        )  # fmt: skip
        with app.app_context(), force_locale("fr"):
            migrate.upgrade(db.engine)
            seed_demo(db.session, password=password)
            db.session.commit()
        app.extensions["database"].engine.dispose()
        env = {
            **clean_environment(),
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_SECRET_KEY": secret_key,
            "TRACKER_INSTANCE_PATH": str(workdir / "instance"),
            "TRACKER_CHEAP_PASSWORD_HASHING": "1",
            "TRACKER_LOG_LEVEL": "WARNING",
            "TRACKER_SMTP_HOST": "",
        }
        with (
            serve("app:app", env=env, log_path=workdir / "gunicorn.log", workers=1) as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, (role, go) in chosen.items():
                for width, height in SIZES:
                    context = browser.new_context(
                        base_url=url, locale="fr-FR", viewport={"width": width, "height": height}
                    )
                    page = context.new_page()
                    page.goto("/login")
                    page.fill("input[name=email]", login_of(role))
                    page.fill("input[name=password]", password)
                    with page.expect_navigation():
                        page.click("form[action='/login'] button[type=submit]")
                    go(page)
                    path = OUT / f"{name}-{width}.png"
                    page.screenshot(path=str(path))
                    print(f"{path.relative_to(ROOT)} ({page.url.removeprefix(url)})")
                    context.close()
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
