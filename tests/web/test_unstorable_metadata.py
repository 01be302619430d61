"""The inbox's upload form with a NUL in a field (``%00`` in a form): the field says so (422),
nothing is stored, and no page answers 500."""

from __future__ import annotations

import pytest

from storage import repo
from storage.db import session_scope

from .conftest import Inbox, text_of

TRANSCRIPT = "Ann: We will send the deck by Friday.\nBob: Thanks!"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "QBR\x00"}, "title", "NUL character"),
        ({"customer_name": "Acme\x00"}, "customer_name", "NUL character"),
        ({"customer_domain": "acme\x00.example"}, "customer_domain", "NUL character"),
        ({"attendees": "Ann <ann@acme.example>\nBo\x00b"}, "attendees", "line 2: this has a NUL"),
        ({"attendees": "Bob <bob\x00@acme.example>"}, "attendees", "line 1: this has a NUL"),
    ],
    ids=["title", "customer", "domain", "attendee-name", "attendee-email"],
)
async def test_a_nul_in_an_upload_field_is_shown_at_the_field(
    approver: Inbox, fields: dict[str, str], field: str, message: str
) -> None:
    response = await approver.post(
        "/inbox/upload", {"transcript": TRANSCRIPT, **fields}, csrf_from="/inbox/upload"
    )
    assert response.status_code == 422, text_of(response)[:500]
    assert message in text_of(response)
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text
    with session_scope(approver.runtime.engine) as session:
        assert repo.count_calls(session) == 0
