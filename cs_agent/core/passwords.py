"""Password hashes for web inbox users: scrypt from the standard library, nothing to install.

A hash looks like ``scrypt:14:8:1:<salt>:<key>`` (log2 of N, r, p, then base64url without
padding), so it can sit in an environment variable or ``.env`` line without quoting and
without the ``,`` that separates users.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_PREFIX = "scrypt"
_LOG_N = 14  # N = 16384, r = 8: 16 MiB and a few tens of milliseconds a check
_R = 8
_P = 1
_KEY_BYTES = 32
_MAX_LOG_N = 20


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, _LOG_N, _R, _P)
    return ":".join((_PREFIX, str(_LOG_N), str(_R), str(_P), _b64(salt), _b64(key)))


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches ``password_hash`` (constant-time comparison)."""
    parsed = _parse(password_hash)
    if parsed is None:
        return False
    log_n, r, p, salt, key = parsed
    candidate = _derive(password, salt, log_n, r, p)
    return hmac.compare_digest(candidate, key)


def is_password_hash(value: str) -> bool:
    """True when ``value`` is a hash this module made (not, say, a plain password)."""
    return _parse(value) is not None


def dummy_hash() -> str:
    """A hash no password matches, to check against when a user name is unknown.

    Checking it costs the same as a real check, so the answer's timing does not reveal
    which user names exist.
    """
    return ":".join((_PREFIX, str(_LOG_N), str(_R), str(_P), _b64(b"\0" * 16), _b64(b"\0" * 32)))


def _derive(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    n = 1 << log_n
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * n * r * p + 1024 * 1024,
        dklen=_KEY_BYTES,
    )


def _parse(value: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = value.split(":")
    if len(parts) != 6 or parts[0] != _PREFIX:
        return None
    try:
        log_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    if not (1 <= log_n <= _MAX_LOG_N and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    if len(salt) < 8 or len(key) != _KEY_BYTES:
        return None
    return log_n, r, p, salt, key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
