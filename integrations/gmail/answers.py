"""Pydantic models of the fields the Gmail mailer reads from the API's answers.

The google client hands back plain dicts and checks nothing, so an answer of an unexpected
shape (a sent message without ``id``, a listing whose ``messages`` is not a list) is caught
here: each answer is read through its model, and what does not fit becomes
``UnexpectedAnswer`` naming Gmail, the request and the field, never a ``KeyError``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from integrations.answer_shape import Model, read_answer

SYSTEM = "gmail"


class _Answer(BaseModel):
    # Gmail's resources carry many more fields; only the ones named here are read.
    model_config = ConfigDict(extra="ignore")


class Sent(_Answer):
    """``messages.send``: the new message's id and, usually, its thread."""

    id: str
    threadId: str | None = None  # noqa: N815 (Gmail's field name)


class _Listed(_Answer):
    id: str


class MessageList(_Answer):
    """``messages.list``: the ids of the messages that match (none: the key is absent)."""

    messages: list[_Listed] = Field(default_factory=list)


class ThreadList(_Answer):
    """``threads.list``: the ids of the threads that match."""

    threads: list[_Listed] = Field(default_factory=list)


class _Header(_Answer):
    name: str
    value: str = ""


class _Payload(_Answer):
    headers: list[_Header] = Field(default_factory=list)


class Message(_Answer):
    """A message resource (``format=metadata``): ids, labels and the headers asked for."""

    id: str
    threadId: str | None = None  # noqa: N815 (Gmail's field name)
    labelIds: list[str] = Field(default_factory=list)  # noqa: N815 (Gmail's field name)
    payload: _Payload = Field(default_factory=_Payload)


class Thread(_Answer):
    """``threads.get`` (``format=metadata``): the thread's id and its messages."""

    id: str
    messages: list[Message] = Field(default_factory=list)


class Draft(_Answer):
    """``drafts.create`` / ``drafts.get``: the draft's id and its message."""

    id: str
    message: Message


class DraftList(_Answer):
    """``drafts.list``: the drafts that match (none: the key is absent)."""

    drafts: list[Draft] = Field(default_factory=list)


class Profile(_Answer):
    """``users.getProfile``: the address the credentials act for."""

    emailAddress: str  # noqa: N815 (Gmail's field name)


class _SendAs(_Answer):
    sendAsEmail: str  # noqa: N815 (Gmail's field name)
    verificationStatus: str = "accepted"  # noqa: N815 (the primary address has none)


class SendAsList(_Answer):
    """``settings.sendAs.list``: the addresses the account may send as, for the doctor."""

    sendAs: list[_SendAs] = Field(default_factory=list)  # noqa: N815 (Gmail's field name)


def read(model: type[Model], data: Any, *, what: str) -> Model:
    """``data`` as ``model``, or ``UnexpectedAnswer`` naming Gmail, ``what`` and the field."""
    return read_answer(model, data, system=SYSTEM, what=what)
