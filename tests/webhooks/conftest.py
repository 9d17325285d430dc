"""A real HTTP receiver on loopback (http.server in a thread) that checks every signature."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tracker.webhooks.signing import verify


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    valid: bool  # the signature verified with the secret the receiver was given

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Keeps what it is sent, per path; answers `status` (per path when set in `statuses`)."""

    port: int
    secrets: dict[str, str] = field(default_factory=dict)  # path -> whsec_...
    received: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                secret = receiver.secrets.get(self.path, "")
                valid = bool(secret) and verify(secret, headers, body)
                if receiver.delay:
                    time.sleep(receiver.delay)  # lets two senders interleave
                with receiver.lock:
                    receiver.received.append(Received(self.path, headers, body, valid))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: the port refuses connections."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(port=free_port())
    found.start()
    try:
        yield found
    finally:
        found.stop()
