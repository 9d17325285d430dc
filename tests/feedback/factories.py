"""Kept for imports written before tests/factories/ (the feedback factories live in
tests/factories/feedback.py): import from `tests.factories` instead."""

from __future__ import annotations

from tests.factories import *  # noqa: F403
