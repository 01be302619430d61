"""Sealing a short secret so it can be stored where it must not be read: a workflow's input.

Workflow inputs are checkpointed (pickled) into the workflow database, which is backed up and
inspected with wider access than the secrets a job needs. A job carries such a secret sealed
(Fernet: AES-128-CBC with HMAC-SHA256, authenticated) with a key derived from a configured
secret, and opens it only in the step that uses it.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SealError(ValueError):
    """A sealed value that cannot be opened: another key made it, or it was altered."""


def derive_key(secret: bytes, *, purpose: str) -> bytes:
    """A sealing key for ``purpose`` from ``secret`` (HKDF-SHA256): one secret, many keys."""
    if not secret:
        raise ValueError("a sealing key needs a non-empty secret")
    raw = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"cs-agent sealing v1",
        info=purpose.encode(),
    ).derive(secret)
    return base64.urlsafe_b64encode(raw)


def seal(key: bytes, text: str) -> str:
    """``text`` encrypted and authenticated with ``key`` (from ``derive_key``)."""
    return Fernet(key).encrypt(text.encode()).decode("ascii")


def unseal(key: bytes, sealed: str) -> str:
    """The text ``seal`` sealed with ``key``. Raises ``SealError`` when it cannot be opened."""
    try:
        return Fernet(key).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        raise SealError("the sealed value cannot be opened with this key") from None
