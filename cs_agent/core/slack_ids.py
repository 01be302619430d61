"""What our Slack messages and modals carry, shared by the side that posts them and the
listeners that receive the clicks: action and callback ids, the value of every button, the
audit name of a Slack user, and what a submitted Edit modal holds.

Pure data: the Block Kit that shows these lives in ``integrations.slack_blocks``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Action and view ids: the listeners are registered under these.
APPROVE = "cs_agent.approve"
EDIT = "cs_agent.edit"
REJECT = "cs_agent.reject"
RETRY = "cs_agent.retry"
EDIT_VIEW = "cs_agent.edit_draft"
REJECT_VIEW = "cs_agent.reject_draft"
DRAFT_ANYWAY = "cs_agent.draft_anyway"
"""The "Draft one anyway" button on a "no follow-up needed" message; its value is the call id."""


def slack_actor(user_id: str) -> str:
    """How the audit log names a Slack user: ``slack:U123``."""
    return f"slack:{user_id}"


@dataclass(frozen=True)
class ButtonValue:
    """What every button carries: the draft and the version the person saw."""

    draft_id: str
    version: int

    def encode(self) -> str:
        """The button's ``value`` (at most 2000 characters)."""
        return json.dumps({"draft": self.draft_id, "version": self.version})

    @classmethod
    def decode(cls, value: str) -> ButtonValue:
        """Read a button's value; ``ValueError`` when it is not one of ours."""
        try:
            data = json.loads(value)
            return cls(draft_id=str(data["draft"]), version=int(data["version"]))
        except (TypeError, KeyError, json.JSONDecodeError) as error:
            raise ValueError(f"not a cs-agent button value: {value!r}") from error


@dataclass(frozen=True)
class EditSubmission:
    """What a person typed into the Edit modal."""

    draft_id: str
    version: int
    channel_id: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str | None
    """None when the body was too long to edit in Slack and is kept as it was."""


def split_addresses(value: str | None) -> list[str]:
    """``"a@x.com, b@y.com; c@z.com"`` → three addresses (commas, semicolons or new lines)."""
    return [part.strip() for part in re.split(r"[,;\n]", value or "") if part.strip()]


def read_edit_submission(view: dict[str, Any]) -> EditSubmission:
    """The fields of a submitted Edit modal (``view_submission`` payload's ``view``)."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view.get("state", {}).get("values", {})

    def value(block_id: str) -> str | None:
        entry = values.get(block_id, {}).get("value", {})
        got = entry.get("value")
        return str(got) if got is not None else None

    return EditSubmission(
        draft_id=str(meta["draft"]),
        version=int(meta["version"]),
        channel_id=str(meta.get("channel", "")),
        to=split_addresses(value("to")),
        cc=split_addresses(value("cc")),
        subject=(value("subject") or "").strip(),
        body=value("body") if meta.get("body_editable", True) else None,
    )
