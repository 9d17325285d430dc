"""Browser tests (Playwright + Debian Chromium); fixtures in conftest.py."""
