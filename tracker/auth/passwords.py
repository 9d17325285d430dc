"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _
from flask_babel import ngettext

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2-cffi's defaults follow RFC 9106's second recommended profile (argon2id, 64 MiB).
_hasher = PasswordHasher()


def use_cheap_hashing() -> None:
    """Tests only: argon2id with tiny costs, so that thousands of logins stay fast."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# A hash of a random password, verified when the account does not exist, so that timing does
# not tell which e-mail addresses have accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _burn(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn(password: str) -> None:
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher.verify(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    # Django's list of 20,000 common passwords (BSD licence, see data/common-passwords.LICENSE).
    data = resources.files("tracker").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


_TRAILING = re.compile(r"[\d\W_]+$")


def _is_trivial(password: str) -> bool:
    """One or two characters repeated, or a plain run such as 123456789012 or abcdefghijkl."""
    if len(set(password)) <= 2:
        return True
    steps = {
        (ord(b) - ord(a)) % 10 if a.isdigit() and b.isdigit() else ord(b) - ord(a)
        for a, b in itertools.pairwise(password)
    }
    return steps in ({1}, {-1}, {9})  # 9: a descending run of digits, 0 wrapping to 9


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why this password is refused (an empty list when it is acceptable).

    NIST SP 800-63B: a minimum length, no composition rules, and a block list.
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            ngettext(
                "Use at least %(num)d character.", "Use at least %(num)d characters.", MIN_LENGTH
            )
        )
        return problems
    if len(password) > MAX_LENGTH:
        problems.append(
            ngettext(
                "Use at most %(num)d character.", "Use at most %(num)d characters.", MAX_LENGTH
            )
        )
        return problems
    lowered = password.lower()
    stem = _TRAILING.sub("", lowered)
    common = _common_passwords()
    if lowered in common or (stem and stem in common) or _is_trivial(lowered):
        problems.append(_("This password is too common. Choose a less guessable one."))
    elif email and lowered in {email.lower(), email.lower().split("@")[0]}:
        problems.append(_("Do not use your e-mail address as password."))
    elif name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        problems.append(_("Do not use your name as password."))
    return problems
