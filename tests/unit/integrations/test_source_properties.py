"""Hostile text from a meeting system never breaks intake: Gong's and Meet's answers, whatever
names and sentences they hold, become metadata that can be stored and a transcript intake reads;
and a forged or garbled delivery is refused with the webhook's own error, nothing else."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.api.gong_events import GongWebhookDelivery, verify_gong_jwt
from cs_agent.api.google_push import PushMessage, conference_of
from cs_agent.core.domain import Utterance
from cs_agent.core.signatures import SignatureError
from cs_agent.core.sources import utterances_json
from cs_agent.core.text import repaired, unstorable
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services.intake import check_transcript
from integrations.gong import GongCall

HOSTILE = st.text(
    alphabet=st.sampled_from(
        [*'Ann: -->\n\t 0123456789:.,[]{}"<>&;@', "\x00", "\ud800", "\u2028", "\ufeff", "é"]
    ),
    max_size=60,
)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.tuples(HOSTILE, HOSTILE), min_size=1, max_size=8))
def test_repaired_utterances_are_a_transcript_intake_reads(lines: list[tuple[str, str]]) -> None:
    """What an adapter makes of any speakers and sentences parses back to the same words."""
    utterances = [
        Utterance(speaker=repaired(s) or "Unknown", text=repaired(t), start=float(n))
        for n, (s, t) in enumerate(lines)
        if repaired(t).strip()
    ]
    if not utterances:
        return
    text = utterances_json(utterances)
    checked = check_transcript(text, format=None)
    parsed = parse_transcript(checked.text, format=checked.format)
    # The parser joins consecutive lines of one speaker; the words stay the same, in order.
    assert [w for u in parsed.utterances for w in u.text.split()] == [
        w for u in utterances for w in u.text.split()
    ]


@settings(max_examples=100, deadline=None)
@given(names=st.lists(st.tuples(HOSTILE, HOSTILE, st.sampled_from(["Internal", "External", "x"]))))
def test_any_gong_parties_become_storable_attendees(names: list[tuple[str, str, str]]) -> None:
    call = GongCall.model_validate(
        {
            "metaData": {"id": "1"},
            "parties": [
                {"name": n, "emailAddress": e, "affiliation": a, "speakerId": str(i)}
                for i, (n, e, a) in enumerate(names)
            ],
            "context": [
                {
                    "objects": [
                        {
                            "objectType": "Account",
                            "fields": [{"name": "Name", "value": names[0][0] if names else ""}],
                        }
                    ]
                }
            ],
        }
    )
    for attendee in call.attendees():
        assert unstorable(attendee.name) is None
        assert attendee.email is None or unstorable(attendee.email) is None
    customer = call.customer()
    assert customer is None or unstorable(customer.name) is None


@settings(max_examples=100, deadline=None)
@given(
    authorization=st.one_of(st.none(), HOSTILE, st.just("Bearer a.b.c")),
    body=st.binary(max_size=64),
)
def test_a_forged_gong_delivery_is_only_ever_a_signature_error(
    authorization: str | None, body: bytes
) -> None:
    key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"  # a truncated key: nothing verifies
    try:
        verify_gong_jwt(authorization, body, public_key=key, path="/webhooks/gong")
    except SignatureError:
        return
    raise AssertionError("a forged delivery was accepted")


@settings(max_examples=100, deadline=None)
@given(call_id=HOSTILE)
def test_a_delivery_names_only_a_call_id_that_can_be_stored(call_id: str) -> None:
    try:
        delivery = GongWebhookDelivery.model_validate({"callData": {"metaData": {"id": call_id}}})
    except ValueError:
        return
    assert unstorable(delivery.callData.metaData.id) is None


@settings(max_examples=100, deadline=None)
@given(
    data=st.one_of(HOSTILE, st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())),
    name=HOSTILE,
)
def test_a_garbled_push_is_refused_with_a_reason(data: str, name: str) -> None:
    candidates: list[Any] = [
        PushMessage(data=data),
        PushMessage(
            data=base64.b64encode(json.dumps({"transcript": {"name": name}}).encode()).decode()
        ),
    ]
    for message in candidates:
        try:
            record = conference_of(message)
        except ValueError as error:
            reason = str(error)
            assert reason.startswith("message.data")
            continue
        assert record.startswith("conferenceRecords/") and unstorable(record) is None
