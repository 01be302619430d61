"""The MIME message every mailer sends: encodings, addresses, threading headers, the HTML part."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from cs_agent.core.ids import message_id_for
from integrations.email_message import build_mime, envelope_recipients

from ...mailers import CUSTOMER, outgoing


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_message_ids_are_deterministic_per_draft_version() -> None:
    first = message_id_for(draft_id="draft-1", version=1, sender="Dana <dana@brightwave.example>")
    assert first == message_id_for(draft_id="draft-1", version=1, sender="dana@brightwave.example")
    assert first != message_id_for(draft_id="draft-1", version=2, sender="dana@brightwave.example")
    assert first.startswith("<cs-agent.") and first.endswith("@brightwave.example>")


def test_headers_are_ascii_on_the_wire_and_decode_back() -> None:
    message = build_mime(
        outgoing(
            subject="Nächste Schritte — 次のステップ",
            sender_name="Zoë O'Brien, CS",
            to=[f'"Müller, José" <{CUSTOMER}>'],
            reply_to="Support Team <support@brightwave.example>",
        )
    )
    wire = message.as_bytes()
    head = wire.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    parsed = reparse(message)
    assert parsed["Subject"] == "Nächste Schritte — 次のステップ"
    assert parsed["From"].addresses[0].display_name == "Zoë O'Brien, CS"
    assert parsed["To"].addresses[0].display_name == "Müller, José"
    assert parsed["Reply-To"].addresses[0].addr_spec == "support@brightwave.example"


def test_a_line_break_in_the_subject_is_folded_not_injected() -> None:
    parsed = reparse(build_mime(outgoing(subject="Next steps\r\nBcc: attacker@evil.example")))
    assert parsed["Subject"] == "Next steps Bcc: attacker@evil.example"
    assert parsed["Bcc"] is None


def test_reply_headers_carry_the_thread() -> None:
    parsed = reparse(
        build_mime(
            outgoing(
                in_reply_to="<b@customer.example>", references=["<a@x>", "<b@customer.example>"]
            )
        )
    )
    assert parsed["In-Reply-To"] == "<b@customer.example>"
    assert parsed["References"] == "<a@x> <b@customer.example>"


def test_the_html_part_escapes_raw_html_and_drops_script_links() -> None:
    body = "**Bold** <img src=x onerror=alert(1)> [click](javascript:alert(1))"
    parsed = reparse(build_mime(outgoing(body=body)))
    html = parsed.get_body(preferencelist=("html",))
    assert html is not None
    rendered = html.get_content()
    assert "<strong>Bold</strong>" in rendered
    assert "<img" not in rendered and "&lt;img" in rendered
    assert 'href="javascript' not in rendered


def test_envelope_recipients_are_bare_and_unique() -> None:
    message = outgoing(
        to=[f"Priya <{CUSTOMER}>", "tom@acmefreight.example"],
        cc=[CUSTOMER.upper(), "lena@acmefreight.example"],
    )
    assert envelope_recipients(message) == [
        CUSTOMER,
        "tom@acmefreight.example",
        "lena@acmefreight.example",
    ]
