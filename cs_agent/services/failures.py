"""The one line a failed call or draft shows: a sentence a person can act on, never raw SQL.

A database error's message carries the statement and its parameters (the transcript, the
metadata); it belongs in the log, not in ``failure_reason``, which the inbox, the CLI, the API
and Slack show. ``failure_reason`` turns the errors a database can raise into a plain sentence
(what could not be stored, and what to do) and logs the details; any other error is described
as before (``describe_failure``).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from cs_agent.core.errors import describe_failure

log = logging.getLogger(__name__)

UNSTORABLE_TEXT = (
    "the call's text could not be stored: it holds a character the database refuses (a NUL "
    "or a lone surrogate), in the transcript, the metadata or what the analysis wrote. Retry "
    "it (cs-agent calls retry {call_id}); if it fails again, remove the character from the "
    "transcript and submit the call again"
)
CONFLICT = (
    "the call's data could not be stored: it conflicts with what is already stored (a "
    "duplicate id or a missing row). Submit the call again; if it fails again, see the log"
)
DATABASE = (
    "the database refused or could not take the call's data ({kind}); nothing after this "
    "step happened. When the database is healthy: cs-agent calls retry {call_id}"
)


def failure_reason(error: BaseException, *, call_id: str = "<call id>") -> str:
    """The plain sentence for ``error``; database details go to the log, not the sentence."""
    if isinstance(error, UnicodeEncodeError | DataError) or _is_nul_refusal(error):
        log.warning("storing call %s failed: %s", call_id, _details(error))
        return UNSTORABLE_TEXT.format(call_id=call_id)
    if isinstance(error, IntegrityError):
        log.warning("storing call %s failed: %s", call_id, _details(error))
        return CONFLICT
    if isinstance(error, SQLAlchemyError):
        log.warning("storing call %s failed: %s", call_id, _details(error))
        kind = type(error.orig).__name__ if isinstance(error, DBAPIError) else type(error).__name__
        return DATABASE.format(kind=kind, call_id=call_id)
    return describe_failure(error)


def _is_nul_refusal(error: BaseException) -> bool:
    # psycopg refuses a NUL before sending with a ValueError-derived DataError of its own;
    # SQLAlchemy wraps it as DataError, but a bare one can reach here from a raw connection.
    return type(error).__module__.startswith("psycopg") and type(error).__name__ == "DataError"


def _details(error: BaseException) -> str:
    # The statement is left out even here: its parameters are the call's content.
    if isinstance(error, DBAPIError):
        return f"{type(error).__name__} ({type(error.orig).__name__}): {error.orig}"
    return f"{type(error).__name__}: {error}"
