"""Pydantic models of the fields cs-agent reads from Linear's answers (``operations.graphql``).

``gql`` hands back ``data`` as plain dicts without checking them against the schema, so an
answer of an unexpected shape (a null issue, an id that is a number) is caught here: each
operation's answer is read through its model, and what does not fit becomes
``UnexpectedAnswer`` naming Linear, the operation and the field, never a ``KeyError``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from integrations.answer_shape import Model, read_answer
from integrations.linear.errors import SYSTEM


class _Answer(BaseModel):
    # Linear adds fields over time; only the ones named here are read.
    model_config = ConfigDict(extra="ignore")


class _State(_Answer):
    type: str | None = None


class Issue(_Answer):
    """``FiledIssue``: what an issue reference and the title match need."""

    id: str
    identifier: str
    title: str
    url: str | None = None
    description: str | None = None
    state: _State | None = None


class _IssueCreatePayload(_Answer):
    success: bool | None = None
    issue: Issue | None = None


class CreateIssue(_Answer):
    """``issueCreate``: success, and the issue (read back by id when it is absent)."""

    issueCreate: _IssueCreatePayload  # noqa: N815 (Linear's field name)


class IssueById(_Answer):
    """``issue(id:)``: the issue, or null."""

    issue: Issue | None = None


class _Issues(_Answer):
    nodes: list[Issue]


class OpenIssues(_Answer):
    """``issues(filter:)``: the candidates for a title match."""

    issues: _Issues


class TeamNode(_Answer):
    """A team: its id for filing, key and name for messages."""

    id: str
    key: str
    name: str


class _Teams(_Answer):
    nodes: list[TeamNode]


class Teams(_Answer):
    """``teams`` (``Teams`` and ``TeamByKey``)."""

    teams: _Teams


class _User(_Answer):
    id: str
    active: bool = True


class _Users(_Answer):
    nodes: list[_User]


class UserByEmail(_Answer):
    """``users(filter: email)``: the first active user is the assignee."""

    users: _Users


class _LabelTeam(_Answer):
    id: str | None = None


class Label(_Answer):
    """A label: its id, and its team (none for a workspace label)."""

    id: str
    team: _LabelTeam | None = None


class _Labels(_Answer):
    nodes: list[Label]


class LabelsByName(_Answer):
    """``issueLabels(filter: name)``."""

    issueLabels: _Labels  # noqa: N815 (Linear's field name)


class _LabelCreatePayload(_Answer):
    issueLabel: Label  # noqa: N815 (Linear's field name)


class CreateLabel(_Answer):
    """``issueLabelCreate``: the new label's id."""

    issueLabelCreate: _LabelCreatePayload  # noqa: N815 (Linear's field name)


class _Viewer(_Answer):
    name: str
    email: str


class _Organization(_Answer):
    name: str
    urlKey: str  # noqa: N815 (Linear's field name)


class Viewer(_Answer):
    """``viewer`` and ``organization``, for ``cs-agent doctor``."""

    viewer: _Viewer
    organization: _Organization


# --- customers, customer needs and attachments ---------------------------------------------------


class _Owner(_Answer):
    name: str | None = None
    email: str | None = None


class _Tier(_Answer):
    name: str | None = None
    displayName: str | None = None  # noqa: N815 (Linear's field name)


class Customer(_Answer):
    """``TrackedCustomer``: what cs-agent uses of a Linear customer."""

    id: str
    name: str
    domains: list[str] = []
    url: str | None = None
    slackChannelId: str | None = None  # noqa: N815 (Linear's field name)
    owner: _Owner | None = None
    tier: _Tier | None = None


class _Customers(_Answer):
    nodes: list[Customer]


class Customers(_Answer):
    """``customers(filter:)`` (``CustomersByDomain`` and ``CustomersByName``)."""

    customers: _Customers


class CustomerById(_Answer):
    """``customer(id:)``."""

    customer: Customer | None = None


class _CustomerCreatePayload(_Answer):
    success: bool | None = None
    customer: Customer | None = None


class CreateCustomer(_Answer):
    """``customerCreate``: the new customer (read back by id when it is absent)."""

    customerCreate: _CustomerCreatePayload  # noqa: N815 (Linear's field name)


class _NeedRef(_Answer):
    id: str


class _NeedCreatePayload(_Answer):
    success: bool | None = None
    need: _NeedRef | None = None


class CreateCustomerNeed(_Answer):
    """``customerNeedCreate``: whether it worked (a doubt is settled by reading it back)."""

    customerNeedCreate: _NeedCreatePayload  # noqa: N815 (Linear's field name)


class _IssueRef(_Answer):
    id: str


class _Need(_Answer):
    id: str
    issue: _IssueRef | None = None


class CustomerNeedById(_Answer):
    """``customerNeed(id:)``."""

    customerNeed: _Need | None = None  # noqa: N815 (Linear's field name)


class _OpenNeed(_Answer):
    id: str
    issue: Issue | None = None


class _OpenNeeds(_Answer):
    nodes: list[_OpenNeed]


class CustomerOpenNeeds(_Answer):
    """``customerNeeds(filter:)``: the customer's needs on open issues, with those issues."""

    customerNeeds: _OpenNeeds  # noqa: N815 (Linear's field name)


class _Attachment(_Answer):
    id: str
    url: str | None = None


class _AttachmentCreatePayload(_Answer):
    success: bool | None = None
    attachment: _Attachment | None = None


class CreateAttachment(_Answer):
    """``attachmentCreate``."""

    attachmentCreate: _AttachmentCreatePayload  # noqa: N815 (Linear's field name)


def read(model: type[Model], data: Any, *, operation: str) -> Model:
    """``data`` (an operation's ``data``) as ``model``, or ``UnexpectedAnswer`` naming the field."""
    return read_answer(model, data, system=SYSTEM, what=operation)


class _NamedState(_Answer):
    name: str
    type: str


class _StatedIssue(_Answer):
    id: str
    identifier: str
    updatedAt: str  # noqa: N815 (Linear's field name)
    state: _NamedState


class _PageInfo(_Answer):
    hasNextPage: bool  # noqa: N815
    endCursor: str | None = None  # noqa: N815


class _StatedIssues(_Answer):
    nodes: list[_StatedIssue]
    pageInfo: _PageInfo  # noqa: N815


class IssueStates(_Answer):
    """``issues(filter: {id: {in: …}})``: each issue's workflow state and when it changed."""

    issues: _StatedIssues
