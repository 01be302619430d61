"""Gong's side of a call: the form of an automation rule's public key."""

from __future__ import annotations


def public_key_pem(key: str) -> str:
    """The key as PEM: Gong's page shows the bare base64 of the DER, without the armour."""
    key = key.strip()
    if key.startswith("-----BEGIN"):
        return key
    body = "".join(key.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"
