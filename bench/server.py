"""Serve a WSGI app with gunicorn on a free loopback port: used by bench/ and the browser tests."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_environment() -> dict[str, str]:
    """This process's environment without any TRACKER_* setting (tests set some for themselves)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("TRACKER_")}


@contextmanager
def serve(
    app: str,
    *,
    env: Mapping[str, str],
    log_path: Path,
    workers: int = 2,
    threads: int = 1,
    health_path: str = "/healthz",
    start_timeout: float = 60.0,
) -> Iterator[str]:
    """Run `gunicorn app` until the block ends; yields its base URL (http://127.0.0.1:<port>).

    The listening socket is opened here and handed to gunicorn (`--bind fd://N`), so the port is
    known before the server starts (TRACKER_BASE_URL is set to it) and no other process can take
    it in between. Waits until `health_path` answers 200; stops the server (SIGTERM, then
    SIGKILL) at the end. gunicorn's own log goes to `log_path`, quoted in any start-up error.
    threads > 1 selects the gthread worker (keep-alive, idle connections do not block a worker).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        listener.bind(("127.0.0.1", 0))
        # Listening now lets the first health check wait in the backlog until a worker is up.
        listener.listen(128)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{listener.fileno()}",
            "--workers",
            str(workers),
            "--graceful-timeout",
            "5",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
        ]
        if threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(threads)]
        command.append(app)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, "TRACKER_BASE_URL": url},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
            )
    # The server holds its own copies of the socket and the log file from here on.
    try:
        _wait_until_up(url + health_path, process, log_path, start_timeout)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop (SIGINT: gunicorn's quick shutdown; a graceful one waits on idle workers for up to
    a second or more, and nothing is in flight here), kill if it hangs; reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with status {process.returncode} before answering {url}:\n"
                + log_tail(log_path)
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(
                f"gunicorn did not answer {url} in {timeout:.0f} s:\n" + log_tail(log_path)
            )
        try:
            with urllib.request.urlopen(url, timeout=min(remaining, 5)) as response:  # noqa: S310 (loopback http only)
                if response.status == 200:
                    return
        except (urllib.error.URLError, http.client.HTTPException, OSError):
            pass
        time.sleep(0.1)


def log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"
