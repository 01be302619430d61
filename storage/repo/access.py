"""Who may ask: request signatures accepted once, and the inbox's server-side sessions.

A signature is claimed with an INSERT on its primary key, so of two processes receiving the
same signed request at once exactly one succeeds. Sessions are stored by the SHA-256 of the
random id the cookie carries: the database never holds anything a cookie could be made from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import AcceptedSignatureRow, CallRow, WebSessionRow, utcnow


def claim_signature(session: Session, *, signature: str, expires_at: dt.datetime) -> bool:
    """Record ``signature`` as used; False when it already was (a replay).

    Expired signatures are removed on the way: their timestamps are refused anyway.
    """
    session.execute(
        delete(AcceptedSignatureRow).where(col(AcceptedSignatureRow.expires_at) < utcnow())
    )
    try:
        with session.begin_nested():
            session.add(AcceptedSignatureRow(signature=signature, expires_at=expires_at))
            session.flush()
    except IntegrityError:
        return False
    return True


def call_with_signature(session: Session, *, signature: str) -> CallRow | None:
    """The call a signed request created, or None."""
    return session.exec(select(CallRow).where(col(CallRow.signature) == signature)).first()


def add_web_session(
    session: Session, *, id_hash: str, user: str, via: str, credential: str, expires_at: dt.datetime
) -> None:
    """Store a new inbox session (by the hash of its id)."""
    session.execute(delete(WebSessionRow).where(col(WebSessionRow.expires_at) < utcnow()))
    session.add(
        WebSessionRow(
            id_hash=id_hash, user=user, via=via, credential=credential, expires_at=expires_at
        )
    )


def get_web_session(session: Session, *, id_hash: str) -> WebSessionRow | None:
    """The live session with this id hash: None when unknown, revoked or expired."""
    row = session.get(WebSessionRow, id_hash)
    if row is None or row.revoked_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires <= utcnow():
        return None
    return row


def revoke_web_session(session: Session, *, id_hash: str) -> None:
    """End one session (sign-out)."""
    session.execute(
        update(WebSessionRow)
        .where(col(WebSessionRow.id_hash) == id_hash, col(WebSessionRow.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_stale_web_sessions(session: Session, *, user: str, via: str, credential: str) -> int:
    """End ``user``'s sessions made with another credential than ``credential``; how many."""
    result = session.execute(
        update(WebSessionRow)
        .where(
            col(WebSessionRow.user) == user,
            col(WebSessionRow.via) == via,
            col(WebSessionRow.credential) != credential,
            col(WebSessionRow.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
