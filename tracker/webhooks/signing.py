"""Standard Webhooks signatures (https://www.standardwebhooks.com/): secrets and headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """A per-endpoint signing secret: "whsec_" and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,` and the base64 HMAC-SHA256 of "id.timestamp.body" under the secret's bytes."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(secret: str, received: dict[str, str], body: str) -> bool:
    """What a receiver does (the README's example; the tests' receiver uses it)."""
    expected = signature(
        secret, received["webhook-id"], int(received["webhook-timestamp"]), body
    ).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in received["webhook-signature"].split(" ")
    )
