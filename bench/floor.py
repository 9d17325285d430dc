"""The floor: a WSGI app answering fixed bytes from memory, served by the same gunicorn setup.

Its requests per second are the most any page can reach with this server, this harness and this
machine; a page's figure read against it shows what the app itself costs. The body has
BENCH_FLOOR_BYTES bytes (the runner sets it to the size of the pages it measured).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

SIZE = int(os.environ.get("BENCH_FLOOR_BYTES", "16384"))
_HEAD = b'<!doctype html>\n<html lang="fr"><head><title>floor</title></head><body>\n'
_TAIL = b"\n</body></html>\n"
BODY = _HEAD + b"x" * max(0, SIZE - len(_HEAD) - len(_TAIL)) + _TAIL
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
