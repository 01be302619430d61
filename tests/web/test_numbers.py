"""Page numbers and draft versions out of range are a clear 400 or 404, never a 500."""

from __future__ import annotations

import pytest

from cs_agent.web.numbers import parse_number

from .conftest import Inbox, text_of


@pytest.mark.parametrize(
    "page", ["99999999999999999999", "0", "-1", "1e3", "١", " ", "9" * 400, "2.5"]
)
async def test_a_page_that_is_not_a_page_number_is_a_400(approver: Inbox, page: str) -> None:
    response = await approver.get("/inbox/", params={"page": page})
    assert response.status_code == 400
    assert "is not a page number" in text_of(response)


async def test_the_largest_page_number_is_answered(approver: Inbox) -> None:
    response = await approver.get("/inbox/", params={"page": "999999999"})
    assert response.status_code == 200


@pytest.mark.parametrize("version", ["99999999999999999999", "-3", "x", ""])
async def test_an_out_of_range_draft_version_changes_nothing(approver: Inbox, version: str) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    path = f"/inbox/calls/{call_id}"
    edited = await approver.post(
        f"/inbox/drafts/{draft.id}/edit",
        {"version": version, "subject": "S", "body": "B", "to": "a@b.example"},
        csrf_from=path,
    )
    assert edited.status_code == 422
    approved = await approver.post(
        f"/inbox/drafts/{draft.id}/approve", {"version": version}, csrf_from=path
    )
    assert approved.status_code < 500
    assert approver.draft_of(call_id).version == draft.version
    assert approver.outbox() == []


def test_parse_number_bounds() -> None:
    assert parse_number("25") == 25
    assert parse_number("99999999999999999999") is None
    assert parse_number("5", maximum=4) is None
    assert parse_number("²") is None
