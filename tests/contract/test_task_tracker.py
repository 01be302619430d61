"""The TaskTracker contract: every adapter (local task list, Linear) behaves the same way.

Each test runs once per adapter. What an adapter does beyond the contract (the requests that
reached Linear, how owners are matched to Linear users) is in ``test_linear_tracker.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from cs_agent.config import Settings
from cs_agent.core.domain import ActionItem, Owner, Priority, Side
from cs_agent.core.ports import CallContext

from .trackers import Harness, harnesses

ACME = CallContext(
    call_id="call-acme-1",
    title="Renewal sync",
    call_date=dt.date(2026, 11, 10),
    customer_name="Acme Freight",
    customer_domain="acmefreight.example",
    call_url="http://127.0.0.1:8000/v1/calls/call-acme-1",
)
GLOBEX = ACME.model_copy(
    update={"call_id": "call-globex-1", "customer_name": "Globex", "customer_domain": None}
)


def item(title: str, **changes: object) -> ActionItem:
    base = ActionItem(
        title=title,
        description="Include the three-year option the customer asked about.",
        owner=Owner(name="Dana Reyes", side=Side.US, email="dana@ours.example"),
        due_date=dt.date(2026, 11, 14),
        priority=Priority.HIGH,
        quote="I'll send over the revised pricing by Friday.",
        quote_time=754.0,
    )
    return base.model_copy(update=changes)


@pytest.fixture(params=["local", "linear"])
def harness(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Harness]:
    if request.param == "linear":
        settings = request.getfixturevalue("linear_settings")
    yield from harnesses(request.param, settings, request.getfixturevalue("linear_server"))


async def test_create_files_the_item(harness: Harness) -> None:
    pricing = item("Send the revised pricing proposal")
    ref = await harness.tracker.create_issue(pricing, issue_id=uuid.uuid4(), call=ACME)

    assert ref.tracker == harness.tracker.name
    assert ref.title == pricing.title
    assert ref.identifier and not ref.existing
    [filed] = harness.filed()
    assert filed.id == ref.id
    assert filed.title == pricing.title
    assert pricing.description in filed.description
    assert "revised pricing by Friday" in filed.description
    assert filed.due_date == pricing.due_date
    assert filed.priority == int(Priority.HIGH)


async def test_creating_again_under_the_same_id_returns_the_first_issue(harness: Harness) -> None:
    pricing = item("Send the revised pricing proposal")
    issue_id = uuid.uuid4()
    first = await harness.tracker.create_issue(pricing, issue_id=issue_id, call=ACME)
    again = await harness.tracker.create_issue(pricing, issue_id=issue_id, call=ACME)
    other = await harness.tracker.create_issue(pricing, issue_id=uuid.uuid4(), call=ACME)

    assert (again.id, again.identifier) == (first.id, first.identifier)
    assert other.id != first.id
    assert [filed.id for filed in harness.filed()] == [first.id, other.id]


async def test_find_open_issues_matches_titles_of_the_same_customer(harness: Harness) -> None:
    tracker = harness.tracker
    acme_pricing = await tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=ACME
    )
    globex_pricing = await tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=GLOBEX
    )
    await tracker.create_issue(
        item("Book the onsite training session"), issue_id=uuid.uuid4(), call=ACME
    )

    found = await tracker.find_open_issues(
        query="Revised pricing proposal", customer="Acme Freight"
    )
    assert [ref.id for ref in found] == [acme_pricing.id]
    assert found[0].existing and found[0].identifier == acme_pricing.identifier

    anyone = await tracker.find_open_issues(query="revised pricing proposal", customer=None)
    assert {ref.id for ref in anyone} == {acme_pricing.id, globex_pricing.id}
    assert await tracker.find_open_issues(query="Security questionnaire", customer=None) == []
    assert await tracker.find_open_issues(query="pricing", customer="Initech") == []

    harness.close(acme_pricing)
    assert (
        await tracker.find_open_issues(query="Revised pricing proposal", customer="Acme Freight")
        == []
    )


async def test_an_owner_the_tracker_knows_is_the_assignee(harness: Harness) -> None:
    await harness.tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=ACME
    )
    await harness.tracker.create_issue(
        item("Book the onsite training session", owner=None), issue_id=uuid.uuid4(), call=ACME
    )
    assert [filed.assignee for filed in harness.filed()] == ["Dana Reyes", None]


async def test_every_issue_carries_the_follow_up_label(harness: Harness) -> None:
    for title in ("Send the revised pricing proposal", "Book the onsite training session"):
        await harness.tracker.create_issue(item(title), issue_id=uuid.uuid4(), call=ACME)
    labels = [filed.labels for filed in harness.filed()]
    if labels[0] is None:
        pytest.skip(f"the {harness.tracker.name} tracker has no labels")
    assert labels == [["customer-follow-up"], ["customer-follow-up"]]


# --- customers, needs and links ---------------------------------------------------------------------


async def test_a_customer_is_found_by_any_domain_then_by_name(harness: Harness) -> None:
    acme = harness.add_customer("Acme Freight", ["acmefreight.example", "acme.example"])
    tracker = harness.tracker
    by_domain = await tracker.resolve_customer(
        domains=["other.example", "acme.example"], name="Someone Else", create=False
    )
    assert by_domain is not None and (by_domain.id, by_domain.name) == (acme, "Acme Freight")
    assert "acmefreight.example" in by_domain.domains
    by_name = await tracker.resolve_customer(domains=[], name="acme freight", create=False)
    assert by_name is not None and by_name.id == acme
    assert harness.customer_names() == ["Acme Freight"]


async def test_an_absent_customer_is_created_only_when_asked(harness: Harness) -> None:
    tracker = harness.tracker
    absent = await tracker.resolve_customer(
        domains=["initech.example"], name="Initech", create=False
    )
    assert absent is None and harness.customer_names() == []

    created = await tracker.resolve_customer(
        domains=["initech.example"], name="Initech", create=True
    )
    again = await tracker.resolve_customer(domains=["initech.example"], name="Initech", create=True)
    assert created is not None and created.name == "Initech"
    assert created.domains == ["initech.example"]
    assert again is not None and again.id == created.id
    assert harness.customer_names() == ["Initech"]


async def test_a_need_is_added_once_under_its_id(harness: Harness) -> None:
    tracker = harness.tracker
    customer_id = harness.add_customer("Acme Freight", ["acmefreight.example"])
    customer = await tracker.resolve_customer(
        domains=["acmefreight.example"], name=None, create=False
    )
    assert customer is not None and customer.id == customer_id
    ref = await tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=ACME
    )
    need_id = uuid.uuid4()
    for _ in range(3):
        await tracker.add_customer_need(
            ref,
            need_id=need_id,
            customer=customer,
            body="I'll send over the revised pricing by Friday.",
            call=ACME,
            said_at=754.0,
        )
    [(need_customer, need_issue, body)] = harness.needs()
    assert (need_customer, need_issue) == (customer_id, ref.id)
    assert "revised pricing by Friday" in body


async def test_a_link_is_kept_once_per_url(harness: Harness) -> None:
    tracker = harness.tracker
    ref = await tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=ACME
    )
    url = "http://127.0.0.1:8000/inbox/calls/call-acme-1"
    await tracker.attach_link(ref, url=url, title="Renewal sync", subtitle="Acme Freight")
    await tracker.attach_link(ref, url=url, title="Renewal sync", subtitle="Acme Freight")
    assert harness.links() == [(ref.id, url, "Renewal sync")]


async def test_dedupe_reads_the_customers_needs_once_it_is_known(harness: Harness) -> None:
    tracker = harness.tracker
    # Filed before the customer existed in the tracker: only the customer's name on it.
    before = await tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=ACME
    )
    [found] = await tracker.find_open_issues(
        query="revised pricing proposal", customer="Acme Freight"
    )
    assert found.id == before.id

    harness.add_customer("Acme Freight", ["acmefreight.example"])
    customer = await tracker.resolve_customer(
        domains=["acmefreight.example"], name=None, create=False
    )
    assert customer is not None
    needed = await tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=GLOBEX
    )
    await tracker.add_customer_need(
        needed, need_id=uuid.uuid4(), customer=customer, body="pricing", call=GLOBEX
    )
    # The issue filed for another call's customer name counts now: it holds Acme's need.
    matches = await tracker.find_open_issues(
        query="Revised pricing proposal", customer="Acme Freight"
    )
    assert needed.id in [ref.id for ref in matches]
    harness.close(needed)
    after = await tracker.find_open_issues(
        query="Revised pricing proposal", customer="Acme Freight"
    )
    assert needed.id not in [ref.id for ref in after]


async def test_issue_states_report_where_filed_issues_stand(harness: Harness) -> None:
    pricing = await harness.tracker.create_issue(
        item("Send the revised pricing proposal"), issue_id=uuid.uuid4(), call=ACME
    )
    invoice = await harness.tracker.create_issue(
        item("Reissue the corrected invoice"), issue_id=uuid.uuid4(), call=ACME
    )
    harness.close(pricing)

    states = {
        state.id: state
        for state in await harness.tracker.issue_states([pricing.id, invoice.id, str(uuid.uuid4())])
    }
    assert set(states) == {pricing.id, invoice.id}, "an unknown id is left out"
    assert states[pricing.id].state_type == "completed"
    assert states[pricing.id].identifier == pricing.identifier
    assert states[invoice.id].state_type == "open"
    assert all(state.updated_at.tzinfo is not None for state in states.values())
    # A read: asking again answers the same; nothing changed since a time to come.
    again = await harness.tracker.issue_states([pricing.id, invoice.id])
    assert {s.id: s.state_type for s in again} == {k: v.state_type for k, v in states.items()}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert await harness.tracker.issue_states([pricing.id, invoice.id], updated_since=later) == []
    assert await harness.tracker.issue_states([]) == []
