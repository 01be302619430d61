"""Which domains and names a call's customer is looked up by, and the ids derived for it."""

from __future__ import annotations

from cs_agent.core.domain import Attendee, CallMetadata, Customer, Side
from cs_agent.services.customer_links import cache_keys, customer_domains, need_id_for


def test_domains_come_from_the_customer_and_its_people_without_public_providers() -> None:
    metadata = CallMetadata(
        customer=Customer(name="Acme Freight", domain="AcmeFreight.example."),
        attendees=[
            Attendee(name="Priya", email="priya@acmefreight.example", side=Side.CUSTOMER),
            Attendee(name="Tom", email="tom@acme-logistics.example", side=Side.CUSTOMER),
            Attendee(name="Lena", email="lena.h@gmail.com", side=Side.CUSTOMER),
            Attendee(name="Dana", email="dana@ours.example", side=Side.US),
            Attendee(name="Someone", email="someone@unknown.example"),
            Attendee(name="No address", side=Side.CUSTOMER),
        ],
    )
    assert customer_domains(metadata) == ["acmefreight.example", "acme-logistics.example"]
    assert customer_domains(CallMetadata()) == []


def test_cache_keys_are_each_domain_then_the_folded_name() -> None:
    assert cache_keys(["acme.example"], "  Acme   Freight ") == [
        "domain:acme.example",
        "name:acme freight",
    ]
    assert cache_keys([], None) == [] and cache_keys([], "  ") == []


def test_a_need_id_is_derived_from_its_item() -> None:
    assert need_id_for("item-1") == need_id_for("item-1") != need_id_for("item-2")
