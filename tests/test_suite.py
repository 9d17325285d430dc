"""Rules of the test suite itself: no assertion on wall-clock time (speed is asserted by query
counts; timings live in bench/), and every factory reachable from `tests.factories`."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import tests.factories

TESTS = Path(__file__).parent
FACTORIES = ("academies", "backlog", "board", "sprints", "releases", "feedback", "files")

# Reading a clock to measure how long something took: on a slow or busy machine such a test
# fails for no fault of the code.
WALL_CLOCK = re.compile(r"\btime\.(monotonic|perf_counter|process_time|time)\b|\bperf_counter\b"
                        r"|\btimeit\b|\belapsed\b")  # fmt: skip


def test_no_test_measures_wall_clock_time() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if WALL_CLOCK.search(line)
    ]

    assert found == [], "assert a query count (the `queries` fixture) or move it to bench/"


def test_the_clock_rule_catches_a_timing() -> None:
    assert WALL_CLOCK.search("    started = time.monotonic()")
    assert WALL_CLOCK.search("assert elapsed < 2.0")
    assert not WALL_CLOCK.search("now = utcnow()")


@pytest.mark.parametrize("module", FACTORIES)
def test_every_factory_is_reexported_by_the_package(module: str) -> None:
    path = TESTS / "factories" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    public = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    } | {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
    }
    loaded = importlib.import_module(f"tests.factories.{module}")

    missing = sorted(
        n for n in public if getattr(tests.factories, n, None) is not getattr(loaded, n)
    )

    assert missing == []
    assert set(public) <= set(tests.factories.__all__)
