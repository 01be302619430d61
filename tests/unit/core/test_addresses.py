"""The one validated address type: exactly one mailbox, nothing that can add recipients."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.addresses import EmailAddress, InvalidAddress
from cs_agent.services.approvals import validate_email_fields

HOSTILE = [
    "tom@acme.example\r\nBcc: hidden@evil.example",
    "tom@acme.example\nBcc: hidden@evil.example",
    "lena@acme.example,hidden2@evil.example",
    "Bcc: x@evil.example",
    "team: a@acme.example, b@acme.example;",
    "a@acme.example; b@acme.example",
    "Lena <lena@acme.example>, hidden@evil.example",
    "x" * 65 + "@acme.example",
    "a@" + "b" * 250 + ".example",
    "no-at-sign.example",
    "a@nodot",
    "a@-bad-.example",
    "a b@acme.example",
    "tom@acme.example\x00",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidAddress):
        EmailAddress.parse(value)


@pytest.mark.parametrize(
    ("value", "addr", "name"),
    [
        ("tom@acme.example", "tom@acme.example", ""),
        ("Priya Natarajan <priya@acme.example>", "priya@acme.example", "Priya Natarajan"),
        ('"Doe, Jane" <jane@acme.example>', "jane@acme.example", "Doe, Jane"),
        ("joerg@bücher.example", "joerg@bücher.example", ""),
    ],
)
def test_single_mailboxes_are_accepted(value: str, addr: str, name: str) -> None:
    address = EmailAddress.parse(value)
    assert (address.addr, address.name) == (addr, name)


def test_the_edit_check_names_the_bad_entry() -> None:
    problems = validate_email_fields(
        subject="s",
        body="b",
        to=["Bcc: x@evil.example"],
        cc=["lena@acme.example,hidden2@evil.example"],
    )
    assert "Bcc: x@evil.example" in problems["to"]
    assert "hidden2@evil.example" in problems["cc"]


_atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(
    local=_atom,
    domain=st.lists(_atom, min_size=2, max_size=3),
    name=st.text(max_size=30),
)
def test_round_trips(local: str, domain: list[str], name: str) -> None:
    addr = f"{local}@{'.'.join(domain)}"
    try:
        address = EmailAddress(addr=addr, name=name)
        again = EmailAddress.parse(str(address))
    except InvalidAddress:
        return  # a display name with control characters or brackets is refused, never mangled
    assert again.addr == addr
    assert again.name == name.strip()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_never_accepts_a_line_break_or_a_list(value: str) -> None:
    try:
        address = EmailAddress.parse(value)
    except InvalidAddress:
        return
    for bad in ("\r", "\n", ","):
        assert bad not in address.addr
    assert "\r" not in address.name and "\n" not in address.name
    assert address.addr.count("@") == 1
