"""How a draft's id and its call's id derive from each other (a call has one draft)."""

from __future__ import annotations


def draft_id_for(call_id: str) -> str:
    """A call has one draft; its id is derived from the call's."""
    return "draft-" + call_id.removeprefix("call-")


def call_id_of_draft(draft_id: str) -> str:
    """The call a draft belongs to (the inverse of ``draft_id_for``)."""
    return "call-" + draft_id.removeprefix("draft-")
