"""A real Learning Record Store on loopback: Ralph (ralph-malph) on its file-system backend.

Ralph's `fs` LRS backend writes with the `create` operation, which refuses to write to a file
that exists: its LRS then accepts only the first POST. The launcher below sets the data
backend's default operation to `append` (a documented operation of that backend) before it
serves Ralph's own API application, so that statements can be POSTed several times as an LMS
does. Everything else is Ralph as shipped: its xAPI routes, its basic auth (credentials made by
`ralph auth -w`), its `since`/`until` filters and its `more` pagination (RALPH_RUNSERVER_MAX_
SEARCH_HITS_COUNT statements a page).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import Request, urlopen

LAUNCHER = """
import sys
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend
FSDataBackend.default_operation_type = BaseOperationType.APPEND
import uvicorn
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

USERNAME = "lms"
PASSWORD = "lms-secret-password"
HOME_PAGE = "http://lms.test"
VERB = "http://adlnet.gov/expapi/verbs/"


@dataclass
class Lrs:
    endpoint: str  # the xAPI base address, as an academy types it
    username: str = USERNAME
    password: str = PASSWORD

    def post(self, statements: list[dict[str, Any]]) -> list[str]:
        """POST /xAPI/statements, as an LMS sends them."""
        request = Request(  # noqa: S310 (loopback)
            self.endpoint + "statements",
            data=json.dumps(statements).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Experience-API-Version": "1.0.3",
                "Authorization": "Basic "
                + base64.b64encode(f"{self.username}:{self.password}".encode()).decode(),
            },
        )
        with urlopen(request, timeout=60) as response:  # noqa: S310
            return list(json.load(response))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_ralph(directory: Path, *, page_size: int = 100) -> Iterator[Lrs]:
    ralph = Path(sys.executable).parent / "ralph"
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(directory / "app"),
        "RALPH_AUTH_FILE": str(directory / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(directory / "data"),
        "RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT": str(page_size),
    }
    subprocess.run(
        [str(ralph), "auth", "-u", USERNAME, "-p", PASSWORD, "-s", "all",
         "-A", USERNAME, HOME_PAGE, "-w"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    log = (directory / "ralph.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(port)], env=env, stdout=log, stderr=log
    )
    try:
        tries = 300  # 0.2 s apart: about a minute to start
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/__heartbeat__", timeout=2):
                    break
            except (URLError, OSError):
                tries -= 1
                if process.poll() is not None or tries == 0:
                    raise RuntimeError(
                        "Ralph did not start: " + (directory / "ralph.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.2)
        yield Lrs(f"http://127.0.0.1:{port}/xAPI/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def statement(
    learner: str,
    verb: str,
    activity: str,
    *,
    at: str,
    score: float | None = None,
    duration: str = "",
    business_unit: str = "",
    extension: str = "",
    completion: bool | None = None,
) -> dict[str, Any]:
    """A statement as an LMS sends it (the learner by their LMS account)."""
    result: dict[str, Any] = {}
    if score is not None:
        result["score"] = {"scaled": score}
    if duration:
        result["duration"] = duration
    if completion is not None:
        result["completion"] = completion
    found: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": HOME_PAGE, "name": learner}},
        "verb": {"id": VERB + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": at,
    }
    if result:
        found["result"] = result
    if business_unit and extension:
        found["context"] = {"extensions": {extension: business_unit}}
    return found
