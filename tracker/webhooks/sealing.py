"""Webhook signing secrets at rest: sealed (Fernet: AES-128-CBC + HMAC-SHA256) with a key
derived from the app's secret key, so that a copy of the database alone cannot sign.

The sender must know the secret to sign, so it cannot be a hash like the other tokens. A key
rotated with a fallback (TRACKER_SECRET_KEY_FALLBACKS) still unseals what it sealed; replacing
TRACKER_SECRET_KEY without one makes the sealed secrets unreadable: each webhook then needs a
new secret (its page, *New secret*); the delivery log says so.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUnreadable(Exception):
    """Sealed with another key (the app's secret key changed)."""


def _fernet(app_secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"brique webhook secrets"
    ).derive(app_secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: str, app_secret_key: str) -> str:
    return _fernet(app_secret_key).encrypt(secret.encode()).decode()


def unseal(sealed: str, app_secret_key: str, fallbacks: Sequence[str] = ()) -> str:
    """The secret, sealed with the current key or one of the keys being rotated out."""
    for key in (app_secret_key, *fallbacks):
        try:
            return _fernet(key).decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError):
            continue
    raise SecretUnreadable()
