"""The Gmail mailer against the Gmail emulator: threading, both credential kinds, every error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cs_agent.config import ConfigurationError
from cs_agent.core.errors import RateLimited, RejectedInput, Unauthorized, Unavailable
from integrations.gmail.auth import GMAIL_READONLY, GMAIL_SEND, load_credentials

from ...emulators.base import Fault
from ...emulators.gmail import GmailEmulator, StoredMessage, gmail_fault
from ...mailers import CUSTOMER, SENDER, GmailSetup, outgoing

SEND_PATH = "/gmail/v1/users/me/messages/send"


@pytest.fixture
def emulator() -> Iterator[GmailEmulator]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def gmail(emulator: GmailEmulator, tmp_path: Path) -> GmailSetup:
    """A person's token file, as `cs-agent auth gmail` writes it."""
    return GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "token.json", SENDER))


def customer_thread(emulator: GmailEmulator, subject: str) -> list[StoredMessage]:
    """The customer wrote, we answered by hand: a two-message thread in the sender's mailbox."""
    first = emulator.deliver(
        SENDER,
        sender=f"Priya Natarajan <{CUSTOMER}>",
        to=SENDER,
        subject=subject,
        message_id="<priya-1@acmefreight.example>",
    )
    second = emulator.deliver(
        SENDER,
        sender=SENDER,
        to=CUSTOMER,
        subject=f"Re: {subject}",
        in_reply_to=first,
        labels=["SENT"],
        message_id="<dana-1@brightwave.example>",
    )
    return [first, second]


# --- sending and threading -----------------------------------------------------------------------


async def test_a_reply_goes_into_the_thread_it_was_given(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    first, _second = customer_thread(emulator, "Renewal pricing")
    sent = await gmail.mailer().send(
        outgoing(subject="Re: Renewal pricing", thread_id=first.thread_id)
    )

    reply = emulator.sent(SENDER)[-1]
    assert reply.id == sent.provider_message_id
    assert reply.thread_id == first.thread_id
    assert emulator.requests_to(SEND_PATH)[0].json()["threadId"] == first.thread_id
    assert reply.header("In-Reply-To") == "<dana-1@brightwave.example>"
    assert reply.header("References") == (
        "<priya-1@acmefreight.example> <dana-1@brightwave.example>"
    )
    assert sent.location and first.thread_id in sent.location


async def test_a_thread_is_found_by_subject_among_the_recipients_conversations(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    # Same subject, someone else's conversation: must not be chosen.
    emulator.deliver(
        SENDER, sender="someone@elsewhere.example", to=SENDER, subject="Renewal pricing"
    )
    first, _second = customer_thread(emulator, "Renewal pricing")
    emulator.deliver(
        SENDER, sender="someone@elsewhere.example", to=SENDER, subject="Renewal pricing 2027"
    )

    await gmail.mailer().send(
        outgoing(subject="RE: renewal  pricing", thread_subject="Renewal pricing")
    )

    reply = emulator.sent(SENDER)[-1]
    assert reply.thread_id == first.thread_id
    assert reply.header("In-Reply-To") == "<dana-1@brightwave.example>"
    search = [r for r in emulator.requests if r.path.endswith("/threads") and r.method == "GET"]
    assert "subject" in search[0].query


async def test_an_unknown_thread_falls_back_to_a_new_conversation(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    await gmail.mailer().send(outgoing(thread_id="18c0ffeedeadbeef"))

    [reply] = emulator.sent(SENDER)
    assert reply.thread_id == reply.id
    assert reply.header("In-Reply-To") is None
    assert "threadId" not in emulator.requests_to(SEND_PATH)[0].json()


async def test_a_different_subject_is_still_a_reply_by_its_headers(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    first, _ = customer_thread(emulator, "Renewal pricing")
    await gmail.mailer().send(outgoing(subject="Our notes from today", thread_id=first.thread_id))

    reply = emulator.sent(SENDER)[-1]
    # Gmail keeps a message in a thread only when the subjects match…
    assert reply.thread_id != first.thread_id
    # …but the customer's mail client threads it by In-Reply-To/References.
    assert reply.header("In-Reply-To") == "<dana-1@brightwave.example>"


async def test_non_ascii_subject_and_names_are_encoded_on_the_wire(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    await gmail.mailer().send(
        outgoing(
            subject="Zusammenfassung: nächste Schritte — Ünïcødé",
            sender_name="Dana Réyes",
            to=[f"José Müller <{CUSTOMER}>"],
        )
    )

    [reply] = emulator.sent(SENDER)
    assert reply.header("Subject") == "Zusammenfassung: nächste Schritte — Ünïcødé"
    assert (reply.raw_header("Subject") or "").isascii()
    assert "=?utf-8?" in (reply.raw_header("Subject") or "")
    assert reply.parsed["From"].addresses[0].display_name == "Dana Réyes"
    assert reply.parsed["To"].addresses[0].display_name == "José Müller"


# --- credentials ---------------------------------------------------------------------------------


async def test_a_service_account_acts_as_the_sender_with_only_two_scopes(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    setup = GmailSetup(emulator, emulator.service_account_file(tmp_path / "sa.json"))
    await setup.mailer().send(outgoing())

    [claims] = emulator.jwt_claims
    assert claims["sub"] == SENDER
    assert sorted(str(claims["scope"]).split()) == sorted([GMAIL_SEND, GMAIL_READONLY])
    assert len(emulator.sent(SENDER)) == 1


async def test_delegation_missing_a_scope_says_what_to_authorise(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    setup = GmailSetup(
        emulator,
        emulator.service_account_file(tmp_path / "sa.json", delegated_scopes=[GMAIL_SEND]),
    )
    with pytest.raises(Unauthorized) as raised:
        await setup.mailer().send(outgoing())

    message = str(raised.value)
    client_id = next(iter(emulator.service_accounts.values())).client_id
    assert "unauthorized_client" in message
    assert f"client ID {client_id}" in message
    assert "domain-wide delegation" in message and GMAIL_READONLY in message
    assert emulator.sent(SENDER) == []


async def test_a_token_without_the_readonly_scope_is_a_clear_403(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    # A token file without its scopes listed (another tool wrote it), granted gmail.send only.
    path = emulator.authorized_user_file(
        tmp_path / "t.json", SENDER, scopes=[GMAIL_SEND], write_scopes=False
    )
    with pytest.raises(Unauthorized) as raised:
        await GmailSetup(emulator, path).mailer().find_sent(outgoing().message_id)

    message = str(raised.value)
    assert "insufficient authentication scopes" in message
    assert SENDER in message and GMAIL_READONLY in message
    assert "cs-agent auth gmail" in message


def test_a_token_file_listing_too_few_scopes_is_refused_when_loading(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    path = emulator.authorized_user_file(tmp_path / "t.json", SENDER, scopes=[GMAIL_SEND])
    with pytest.raises(
        ConfigurationError, match=r"needs https://www.googleapis.com/auth/gmail.readonly"
    ):
        load_credentials(path, sender=SENDER)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "kind", "detail"),
    [
        (gmail_fault(429, "Too many requests", headers={"Retry-After": "2"}), RateLimited, "2.0"),
        (gmail_fault(403, "User-rate limit exceeded", "userRateLimitExceeded"), RateLimited, None),
        (gmail_fault(500, "Backend Error"), Unavailable, None),
        (gmail_fault(503, "The service is currently unavailable."), Unavailable, None),
        (gmail_fault(401, "Invalid Credentials", "authError"), Unauthorized, None),
    ],
)
async def test_gmail_errors_map_to_the_taxonomy(
    gmail: GmailSetup,
    emulator: GmailEmulator,
    fault: Fault,
    kind: type[Exception],
    detail: str | None,
) -> None:
    # On a 401 google-auth refreshes the token and tries again, twice: answer all three.
    emulator.fail_next(
        3 if kind is Unauthorized else 1,
        fault,
        when=lambda r: r.path == SEND_PATH,
    )
    with pytest.raises(kind) as raised:
        await gmail.mailer().send(outgoing())
    if detail is not None:
        assert isinstance(raised.value, RateLimited)
        assert str(raised.value.retry_after) == detail
    assert emulator.sent(SENDER) == []


async def test_an_invalid_recipient_is_rejected_input_naming_the_field(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    with pytest.raises(RejectedInput) as raised:
        await gmail.mailer().send(outgoing(to=["Priya <priya@acmefreight>"]))

    assert raised.value.field == "to"
    assert "priya@acmefreight" in str(raised.value)
    assert emulator.sent(SENDER) == []


async def test_a_send_that_times_out_is_found_by_the_next_look_up(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    emulator.hang_next_send(seconds=10)
    mailer = gmail.mailer(timeout=1.0)
    message = outgoing()
    with pytest.raises(Unavailable):
        await mailer.send(message)

    found = await mailer.find_sent(message.message_id)
    [stored] = emulator.sent(SENDER)
    assert found is not None and found.provider_message_id == stored.id


async def test_a_draft_with_the_message_id_does_not_count_as_sent(
    gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    message = outgoing()
    emulator.deliver(
        SENDER,
        sender=SENDER,
        to=CUSTOMER,
        subject=message.subject,
        labels=["DRAFT"],
        message_id=message.message_id,
    )
    assert await gmail.mailer().find_sent(message.message_id) is None


# --- doctor --------------------------------------------------------------------------------------


async def test_doctor_checks_profile_scopes_and_look_up(gmail: GmailSetup) -> None:
    results = await gmail.mailer().check()

    assert all(r.ok for r in results), results
    details = " | ".join(r.detail for r in results)
    assert f"signed in to Gmail as {SENDER}" in details
    assert "the token grants" in details
    assert "rfc822msgid" in details


async def test_doctor_fails_a_sender_the_account_cannot_send_as(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    path = emulator.authorized_user_file(tmp_path / "t.json", "someone.else@brightwave.example")
    results = await GmailSetup(emulator, path, sender=SENDER).mailer().check()

    failed = [r for r in results if not r.ok]
    assert len(failed) == 1
    assert "cannot send as" in failed[0].detail and failed[0].fix

    emulator.mailbox("someone.else@brightwave.example").send_as.append(SENDER)
    results = await GmailSetup(emulator, path, sender=SENDER).mailer().check()
    assert all(r.ok for r in results), results


@pytest.mark.parametrize("shape", ["missing", "null", "wrong_type"])
async def test_doctor_reports_an_odd_profile_answer_naming_gmail(
    gmail: GmailSetup, emulator: GmailEmulator, shape: str
) -> None:
    emulator.answer_oddly("getProfile", "emailAddress", shape)
    results = await gmail.mailer().check()

    [only] = results
    assert not only.ok and only.fix
    assert only.detail.startswith("gmail: reading the Gmail profile answered an unexpected shape")
    assert "(field emailAddress)" in only.detail


@pytest.mark.parametrize(
    "hostile",
    ["tom@acme.example\r\nBcc: hidden@evil.example", "lena@acme.example,hidden2@evil.example"],
)
async def test_a_hostile_recipient_never_reaches_gmail(
    hostile: str, gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    with pytest.raises(RejectedInput):
        await gmail.mailer().send(outgoing(cc=[hostile]))
    assert emulator.sent(SENDER) == []
