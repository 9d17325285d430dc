"""The board's server time alone, in one process: cold, warm, and after one move.

    .venv/bin/python bench/board_render.py --sizes 1000 5000 [--repeat 7] [--database-url URL]

Seeds like the `board` case (bench/board_cases.py: the demo backlog topped up to `size` bricks,
each with a five-item definition of done), then times the manager's full board
(`?sprint=all`) through Flask's test client, with no other load:

- cold: every rendering cache of this process emptied before the request (a new worker, or
  the first view after a deploy);
- warm: the same page again, nothing changed;
- after one move: a card moved (JSON, as the board does) between two views, so the page
  differs from the cached one by one card and two columns' totals;
- 304: the page again with the validator of the previous answer (If-None-Match).

Each figure is the median of `--repeat` runs, in milliseconds of wall time in this process
(the request's whole server side: routing, session, queries, rendering). Run by hand, like
bench/run.py; it prints one line per size.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(ROOT))

from bench.cases import CASES, PASSWORD  # noqa: E402 (registers every case, the board's too)
from bench.run import csrf_token_in, demo_logins, fresh_database, seed_database  # noqa: E402


def _clear_caches() -> None:
    """Empty this process's rendering caches (those that exist: the script also measures older
    versions of the board, for before/after figures)."""
    for module_name, name in (
        ("tracker.board.views", "rendered_boards"),
        ("tracker.board.presenting", "rendered_cards"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cache = getattr(module, name, None)
        if cache is not None:
            cache.clear()


def _time(call: Any) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def measure(url: str, facts: dict[str, Any], repeat: int) -> dict[str, float]:
    from tracker import create_app

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-render", "LOG_LEVEL": "WARNING", "SMTP_HOST": ""}
    )
    client = app.test_client()
    headers = {"Accept-Language": "fr-FR,fr;q=0.9"}
    token = csrf_token_in(client.get("/login", headers=headers).data)
    email = demo_logins()["manager"]
    answer = client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD, "next": ""},
        headers=headers,
    )
    assert answer.status_code == 303, answer.status_code
    slug = facts["academy_slug"]
    path = f"/a/{slug}/board?sprint=all"
    page = client.get(path, headers=headers)
    assert page.status_code == 200, page.status_code
    csrf = csrf_token_in(page.data) or _meta_token(page.get_data(as_text=True))
    figures: dict[str, list[float]] = {"cold": [], "warm": [], "after move": [], "304": []}
    version = 1
    for i in range(repeat):
        _clear_caches()
        figures["cold"].append(_time(lambda: client.get(path, headers=headers)))
        figures["warm"].append(_time(lambda: client.get(path, headers=headers)))
        to = (i + 1) % 2
        payload = {
            "brick": facts["move_bricks"][0],
            "version": version,
            "stage": facts["move_stages"][to],
            "after": facts["move_after"][to],
        }
        moved = client.post(
            f"/a/{slug}/board/move",
            data=json.dumps(payload),
            headers={**headers, "Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        assert moved.status_code == 200, moved.get_data(as_text=True)
        version += 1
        figures["after move"].append(_time(lambda: client.get(path, headers=headers)))
        etag = client.get(path, headers=headers).headers.get("ETag")
        if etag:
            conditional = {**headers, "If-None-Match": etag}
            figures["304"].append(_time(lambda h=conditional: client.get(path, headers=h)))
    app.extensions["database"].engine.dispose()
    return {name: statistics.median(values) for name, values in figures.items() if values}


def _meta_token(html: str) -> str:
    marker = '<meta name="csrf-token" content="'
    start = html.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    return html[start : html.find('"', start)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    print("size   cold ms   warm ms   after move ms   304 ms")
    for size in args.sizes:
        with (
            tempfile.TemporaryDirectory(prefix="brique-render-") as tmp,
            fresh_database(args.database_url, Path(tmp), f"render{size}") as url,
        ):
            facts = seed_database(url, CASES["board"], size)
            got = measure(url, facts, args.repeat)
        print(
            f"{size:>5} {got['cold']:>9.1f} {got['warm']:>9.1f} {got['after move']:>15.1f}"
            f" {got.get('304', float('nan')):>8.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
