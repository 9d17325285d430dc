"""Which URLs Brique may call on a user's word: against server-side request forgery. Shared by
the webhooks (tracker/webhooks/sender.py) and the academies' LRS (tracker/learning/xapi.py).

In production only public addresses are called: the host is resolved at each send and every
address it gives must be global (no loopback, private, link-local, shared, reserved or
multicast range); the connection then goes to the address checked, so a second resolution
cannot point it elsewhere (DNS rebinding). Tests and development allow private addresses (and
plain http) with TRACKER_WEBHOOKS_ALLOW_PRIVATE=1 for the webhooks, TRACKER_LRS_ALLOW_PRIVATE=1
for the LRS. A redirect is never followed blindly: its target goes through the same guard.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2000


class RefusedUrl(Exception):
    """The URL may not be called (in English: shown in the delivery log, not translated)."""


def parse_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts, or RefusedUrl: https (http too when private addresses are allowed), a
    host, no user name or password in it."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedUrl("URL too long")
    if not url.strip().isascii() or any(ch.isspace() or not ch.isprintable() for ch in url.strip()):
        raise RefusedUrl("spaces, control or non-ASCII characters in the URL (encode them)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RefusedUrl("not a URL") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise RefusedUrl("only https URLs")
    if not parts.hostname:
        raise RefusedUrl("no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("credentials in the URL")
    if port == 0:
        raise RefusedUrl("port 0")
    if not allow_private:
        literal = _literal_address(parts.hostname)
        if parts.hostname.rstrip(".").lower() == "localhost" or (
            literal is not None and not is_public(literal)
        ):
            raise RefusedUrl("not a public address")
    return parts


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to: every address of the host must be public (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RefusedUrl(f"host not found: {host}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise RefusedUrl(f"host not found: {host}")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise RefusedUrl("not a public address")
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer (refused, timeout, refused address)
    duration_ms: int
    error: str = ""


# The answer's body is read (so the connection ends cleanly) up to this much, and not kept.
MAX_ANSWER = 64 * 1024


def connect(
    url: str, *, timeout: float, allow_private: bool
) -> tuple[http.client.HTTPConnection, str]:
    """A connection to the URL's host pinned to the address checked (not yet opened), and the
    path to request; RefusedUrl when the URL or any address of its host may not be called."""
    parts = parse_url(url, allow_private=allow_private)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(host, port, allow_private=allow_private)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return connection_class(host, port, address, timeout), path


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> Answer:
    """POST once, never following a redirect; every failure is an Answer, never an exception."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection, path = connect(url, timeout=timeout, allow_private=allow_private)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(MAX_ANSWER)
            return Answer(response.status, elapsed())
        finally:
            connection.close()
    except RefusedUrl as exc:
        return Answer(None, elapsed(), str(exc))
    except TimeoutError:
        return Answer(None, elapsed(), "timed out")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Answer(None, elapsed(), f"{type(exc).__name__}: {exc}"[:500])
