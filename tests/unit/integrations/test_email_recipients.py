"""The envelope is exactly the header recipients; a hostile address never adds a hidden one."""

from __future__ import annotations

from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from cs_agent.core.errors import RejectedInput
from integrations.email_message import build_mime, envelope_recipients

from ...emulators.smtp import SmtpTestServer
from ...mailers import outgoing, smtp_mailer

REPROS = [
    "tom@acme.example\r\nBcc: hidden@evil.example",
    "lena@acme.example,hidden2@evil.example",
    "Bcc: x@evil.example",
]


@pytest.mark.parametrize("hostile", REPROS)
async def test_a_hostile_recipient_reaches_nobody(
    hostile: str, server: SmtpTestServer, engine: Engine
) -> None:
    with pytest.raises(RejectedInput, match="nothing was sent"):
        await smtp_mailer(server, engine).send(outgoing(cc=[hostile]))
    assert server.received == []


async def test_what_reached_the_server_matches_the_headers(
    server: SmtpTestServer, engine: Engine
) -> None:
    await smtp_mailer(server, engine).send(outgoing(cc=['"Doe, Jane" <jane@acme.example>']))
    [received] = server.received
    message = received.parsed
    shown = [a for _n, a in getaddresses([*message.get_all("To", []), *message.get_all("Cc", [])])]
    assert received.rcpt_tos == shown
    assert message["Bcc"] is None


_atom = st.text(alphabet="abcxyz019", min_size=1, max_size=6)
_address = st.builds(lambda a, d: f"{a}@{d}.example", _atom, _atom)
_hostile = st.one_of(
    _address, st.text(max_size=40), st.builds(lambda a, t: a + t, _address, st.text(max_size=20))
)


@settings(max_examples=150, deadline=None)
@given(
    to=st.lists(_hostile, min_size=1, max_size=3),
    cc=st.lists(_hostile, max_size=3),
    subject=st.text(max_size=60),
)
def test_header_recipients_equal_the_envelope(to: list[str], cc: list[str], subject: str) -> None:
    email = outgoing(to=to, cc=cc, subject=subject or "s")
    try:
        message = build_mime(email)
        envelope = envelope_recipients(email)
    except RejectedInput:
        return
    raw = message.as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [
        line.split(":", 1)[0] for line in headers.split("\r\n") if not line.startswith((" ", "\t"))
    ]
    # A CR/LF in the subject or an address never starts a header of its own.
    assert "Bcc" not in names
    assert names.count("Subject") == 1 and names.count("To") == 1
    shown = [a for _n, a in getaddresses([*message.get_all("To", []), *message.get_all("Cc", [])])]
    seen: list[str] = []
    for addr in shown:
        if addr.lower() not in [s.lower() for s in seen]:
            seen.append(addr)
    assert [a.lower() for a in envelope] == [a.lower() for a in seen]


async def test_the_plain_text_part_that_arrives_has_no_markdown(
    server: SmtpTestServer, engine: Engine
) -> None:
    body = "Hi Priya,\n\n## Next steps\n\n**From us:**\n\n- pricing by Friday\n- [notes](https://ex.example/n)\n"
    await smtp_mailer(server, engine).send(outgoing(body=body))
    [received] = server.received
    plain = received.parsed.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert "##" not in text and "**" not in text
    assert "Next steps\n" in text and "From us:\n" in text
    assert "- pricing by Friday" in text
    assert "notes (https://ex.example/n)" in text
