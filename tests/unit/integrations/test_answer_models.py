"""Every answer model, fed any JSON (a good answer with any part replaced by anything), either
reads it or raises ``UnexpectedAnswer`` naming the system: never a KeyError or TypeError."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.errors import UnexpectedAnswer
from integrations.gmail import answers as gmail
from integrations.linear import answers as linear
from integrations.slack.answers import history_messages, posted_message

ISSUE = {
    "id": "3f1c",
    "identifier": "CS-1",
    "title": "Send pricing",
    "url": "https://linear.app/cs/issue/CS-1",
    "description": "- Customer: Acme",
    "state": {"type": "unstarted"},
    "team": {"id": "t1", "key": "CS"},
}
MESSAGE = {
    "id": "m1",
    "threadId": "t1",
    "labelIds": ["SENT"],
    "payload": {"headers": [{"name": "Message-ID", "value": "<a@b>"}]},
}
GOOD: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "linear",
        lambda d: linear.read(linear.CreateIssue, d, operation="CreateIssue"),
        {"issueCreate": {"success": True, "issue": ISSUE}},
    ),
    (
        "linear",
        lambda d: linear.read(linear.OpenIssues, d, operation="OpenIssues"),
        {"issues": {"nodes": [ISSUE, ISSUE]}},
    ),
    (
        "linear",
        lambda d: linear.read(linear.Teams, d, operation="Teams"),
        {"teams": {"nodes": [{"id": "t1", "key": "CS", "name": "Customer Success"}]}},
    ),
    (
        "linear",
        lambda d: linear.read(linear.UserByEmail, d, operation="UserByEmail"),
        {"users": {"nodes": [{"id": "u1", "name": "Sam", "email": "s@x.example", "active": True}]}},
    ),
    (
        "linear",
        lambda d: linear.read(linear.LabelsByName, d, operation="LabelsByName"),
        {"issueLabels": {"nodes": [{"id": "l1", "name": "x", "team": None}]}},
    ),
    (
        "linear",
        lambda d: linear.read(linear.CreateLabel, d, operation="CreateLabel"),
        {"issueLabelCreate": {"success": True, "issueLabel": {"id": "l1", "team": {"id": "t"}}}},
    ),
    (
        "linear",
        lambda d: linear.read(linear.Viewer, d, operation="Viewer"),
        {
            "viewer": {"id": "v", "name": "A", "email": "a@x"},
            "organization": {"name": "O", "urlKey": "o"},
        },
    ),
    ("gmail", lambda d: gmail.read(gmail.Sent, d, what="sending"), {"id": "m1", "threadId": "t1"}),
    (
        "gmail",
        lambda d: gmail.read(gmail.MessageList, d, what="listing"),
        {"messages": [{"id": "m1", "threadId": "t1"}], "resultSizeEstimate": 1},
    ),
    ("gmail", lambda d: gmail.read(gmail.Message, d, what="reading"), MESSAGE),
    (
        "gmail",
        lambda d: gmail.read(gmail.Thread, d, what="reading"),
        {"id": "t1", "messages": [MESSAGE]},
    ),
    (
        "gmail",
        lambda d: gmail.read(gmail.Profile, d, what="profile"),
        {"emailAddress": "dana@x.example", "messagesTotal": 3},
    ),
    ("slack", posted_message, {"ok": True, "channel": "C1", "ts": "1.2"}),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    bent = copy.deepcopy(value)
    node = bent
    for key in path[:-1]:
        node = node[key]
    if drop:
        del node[path[-1]]
    else:
        node[path[-1]] = new
    return bent


@pytest.mark.parametrize(("system", "read", "good"), GOOD)
def test_a_good_answer_reads(system: str, read: Any, good: dict[str, Any]) -> None:
    assert read(copy.deepcopy(good)) is not None


@pytest.mark.parametrize(("system", "read", "good"), GOOD)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), new=json_values, drop=st.booleans())
def test_any_bent_answer_reads_or_names_the_system(
    system: str, read: Any, good: dict[str, Any], data: st.DataObject, new: Any, drop: bool
) -> None:
    path = data.draw(st.sampled_from(_paths(good)))
    bent = _replace(good, path, new, drop and bool(path))
    problem: UnexpectedAnswer | None = None
    try:
        read(bent)
    except UnexpectedAnswer as error:
        problem = error
    if problem is not None:
        assert str(problem).startswith(f"{system}: ")
        assert "answered an unexpected shape" in str(problem)


@settings(max_examples=60, deadline=None)
@given(answer=json_values)
def test_any_history_answer_gives_messages_or_none(answer: Any) -> None:
    found = history_messages(answer)
    assert found is None or all(isinstance(m.ts, str) for m in found)
