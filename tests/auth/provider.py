"""A real OpenID provider on loopback for the single sign-on tests: oidc-provider-mock in its
own process (its deprecation warnings stay there), nonce required."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_provider() -> Iterator[str]:
    """Start the provider; yields its issuer URL; stops it afterwards."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--host", "127.0.0.1",
         "--port", str(port), "--require-nonce", "true"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to about 30 s on a busy machine
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the OpenID provider did not start")
        if process.poll() is not None:
            raise RuntimeError("the OpenID provider stopped")
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def put_user(issuer: str, sub: str, **claims: Any) -> None:
    """The claims the provider gives for `sub` (email, email_verified, name...)."""
    answer = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=10)
    assert answer.status_code == 204, answer.text
