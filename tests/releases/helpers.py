"""Kept for imports written before tests/factories/ (beta rounds on a release live in
tests/factories/feedback.py): import from `tests.factories` instead."""

from __future__ import annotations

from tests.factories import *  # noqa: F403
