"""The fuzz walk's figures, printed at the end of the run: hostile inputs sent per principal."""

from __future__ import annotations

from typing import Any

from tests.fuzz.test_fuzz import COUNTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if COUNTS:
        figures = ", ".join(f"{who} {n}" for who, n in COUNTS.items())
        terminalreporter.write_line(f"fuzz: hostile inputs per principal: {figures}")
