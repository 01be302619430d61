"""Pydantic models of the fields we read from Slack's answers, so an odd shape degrades.

Slack answering ``ok`` without the field we read (``users.lookupByEmail`` with no ``user``)
once failed the whole call with a TypeError; now the answer is validated and the caller
goes on without it (no owner mention, a log line). A thread read before a reminder is posted
(``conversations.replies``) is validated the same way; an odd one means "post it anyway".
A ``chat.postMessage`` answer without the message's ``channel`` and ``ts`` raises
``UnexpectedAnswer`` naming the field.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from cs_agent.core.errors import UnexpectedAnswer
from integrations.answer_shape import read_answer
from integrations.slack.api import SYSTEM

log = logging.getLogger(__name__)


class _User(BaseModel):
    id: str


class UserLookup(BaseModel):
    """``users.lookupByEmail``: only the user's id is read."""

    user: _User


def looked_up_user(answer: Any) -> str | None:
    """The user id in a ``users.lookupByEmail`` answer, or None (logged) if it has none."""
    data = getattr(answer, "data", answer)
    if not isinstance(data, Mapping):
        log.warning("users.lookupByEmail answered without an object; no mention")
        return None
    try:
        return UserLookup.model_validate(dict(data)).user.id
    except ValidationError as error:
        log.warning("users.lookupByEmail answered an unexpected shape; no mention: %s", error)
        return None


class _Metadata(BaseModel):
    event_type: str | None = None
    event_payload: dict[str, Any] | None = None


class _ThreadMessage(BaseModel):
    ts: str | None = None
    bot_id: str | None = None
    metadata: _Metadata | None = None


class _Cursor(BaseModel):
    next_cursor: str | None = None


class ThreadPage(BaseModel):
    """One page of ``conversations.replies``: each message's ts, bot and metadata, the cursor."""

    messages: list[_ThreadMessage]
    response_metadata: _Cursor | None = None

    @property
    def next_cursor(self) -> str | None:
        """Where the next page starts; None on the last page."""
        return (self.response_metadata.next_cursor or None) if self.response_metadata else None

    def has(self, event_type: str, payload: Mapping[str, Any], *, bot_id: str | None) -> bool:
        """Whether a message here (by ``bot_id``, when known) carries exactly this metadata."""
        return any(
            m.metadata is not None
            and m.metadata.event_type == event_type
            and all((m.metadata.event_payload or {}).get(k) == v for k, v in payload.items())
            and (bot_id is None or m.bot_id == bot_id)
            for m in self.messages
        )


def thread_page(answer: Any) -> ThreadPage:
    """A ``conversations.replies`` answer, validated. Raises ValueError for an odd shape."""
    data = getattr(answer, "data", answer)
    if not isinstance(data, Mapping):
        raise ValueError("conversations.replies answered without an object")
    try:
        return ThreadPage.model_validate(dict(data))
    except ValidationError as error:
        raise ValueError(f"conversations.replies answered an unexpected shape: {error}") from None


class Posted(BaseModel):
    """``chat.postMessage``: where the message is (its channel and ``ts``)."""

    channel: str
    ts: str


def posted_message(answer: Any) -> Posted:
    """The channel and ts of a ``chat.postMessage`` answer; ``UnexpectedAnswer`` if absent."""
    data = getattr(answer, "data", answer)
    return read_answer(Posted, data, system=SYSTEM, what="chat.postMessage")


class HistoryMessage(BaseModel):
    """A message of ``conversations.history``: its ts, who posted it, its metadata."""

    ts: str
    bot_id: str | None = None
    metadata: _Metadata | None = None


class History(BaseModel):
    """``conversations.history``: the recent messages (none: the key may be absent)."""

    messages: list[HistoryMessage] | None = Field(default=None)


def history_messages(answer: Any) -> list[HistoryMessage] | None:
    """The messages of a ``conversations.history`` answer, or None (logged) if it has none."""
    data = getattr(answer, "data", answer)
    try:
        return (
            read_answer(History, data, system=SYSTEM, what="conversations.history").messages or []
        )
    except UnexpectedAnswer as error:
        log.warning("%s; the channel's history is not read", error)
        return None
