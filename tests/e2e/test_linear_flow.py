"""A call processed end to end with action items filed in Linear (the emulator), and doctor."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid

from sqlmodel import select

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.core.ids import draft_id_for
from cs_agent.services.approval_requests import load_approval_request
from cs_agent.services.customer_links import link_action_item, resolve_call_customer
from cs_agent.services.views import load_call_view
from integrations.linear.tracker import linear_issue_id
from storage import repo
from storage.db import session_scope
from storage.models import TrackerCustomerRow

from ..conftest import LINEAR_PEOPLE, REPO_ROOT
from ..emulators.linear import API_KEY, LinearEmulator, seed
from .test_local_flow import example_call, process


async def test_each_item_is_filed_once_even_when_a_create_times_out_and_is_retried(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    # Linear creates the first issue but answers after the client has given up on it.
    settings = linear_settings.model_copy(update={"linear_timeout_seconds": 1.0})
    linear_emulator.answer_slowly(3.0, when=lambda call: call.operation == "CreateIssue")
    runtime = Runtime(settings)
    assert [c.adapter for c in runtime.adapters.choices if c.port == "tracker"] == ["linear"]
    await runtime.start()
    try:
        data, meta = example_call()
        call_id = await process(runtime, data, meta)
        view = load_call_view(runtime, call_id)
        with session_scope(runtime.engine) as session:
            item_ids = [row.id for row in repo.list_items(session, call_id=call_id)]
            audit = [entry.action for entry in repo.list_audit(session, call_id=call_id)]
    finally:
        await runtime.stop()

    assert view is not None and view.status == "awaiting_approval"
    items = view.action_items
    assert items, "the example call has commitments to file"
    issues = linear_emulator.issues()
    assert len(issues) == len(items)
    assert sorted(i["id"] for i in issues) == sorted(
        linear_issue_id(uuid.UUID(i)) for i in item_ids
    )
    assert sorted(i["title"] for i in issues) == sorted(item.title for item in items)
    by_id = {issue["id"]: issue for issue in issues}
    for item in items:
        assert item.issue is not None and item.issue.tracker == "linear"
        assert by_id[item.issue.id]["identifier"] == item.issue.identifier
        assert f"/v1/calls/{call_id})" in by_id[item.issue.id]["description"]
    # One create more than there are items: the one that timed out and was tried again.
    assert len(linear_emulator.calls("CreateIssue")) == len(items) + 1
    assert audit.count("issue_filed") == len(items)


def test_doctor_shows_what_it_found_in_linear(
    linear_emulator: LinearEmulator, isolated_environment: object
) -> None:
    linear_emulator.add_label("customer-follow-up", team_key="CS")
    env = {
        **os.environ,
        "COLUMNS": "400",
        "CS_AGENT_LINEAR_API_KEY": API_KEY,
        "CS_AGENT_LINEAR_API_URL": linear_emulator.graphql_url,
        "CS_AGENT_LINEAR_TEAM": "CS",
    }
    result = subprocess.run(
        [sys.executable, "-m", "cs_agent", "doctor"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "authenticated as Avery Admin" in result.stdout
    assert "team CS (Customer Success)" in result.stdout
    assert "label 'customer-follow-up' exists" in result.stdout


# --- customers, needs and links --------------------------------------------------------------------


def _items(runtime: Runtime, call_id: str) -> list[str]:
    with session_scope(runtime.engine) as session:
        return [row.id for row in repo.list_items(session, call_id=call_id)]


async def test_each_filed_issue_gets_one_need_and_one_link_despite_lost_answers(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    acme = linear_emulator.add_customer(
        "Acme Freight", domains=["acmefreight.example"], owner_email="dana@ours.example"
    )
    settings = linear_settings.model_copy(update={"linear_timeout_seconds": 1.0})
    # The first need is made but its answer is a 502; the first link is made but answered late.
    linear_emulator.fail_after_work(502, when=lambda call: call.operation == "CreateCustomerNeed")
    linear_emulator.answer_slowly(3.0, when=lambda call: call.operation == "CreateAttachment")
    runtime = Runtime(settings)
    await runtime.start()
    try:
        data, meta = example_call()
        call_id = await process(runtime, data, meta)
        item_ids = _items(runtime, call_id)
        # A step run again (a crash after its work, before its checkpoint) adds nothing either.
        customer = await resolve_call_customer(runtime, call_id)
        for item_id in item_ids:
            await link_action_item(runtime, call_id, item_id, customer)
        request = load_approval_request(runtime, draft_id_for(call_id))
    finally:
        await runtime.stop()

    issues = linear_emulator.issues()
    assert issues and len(issues) == len(item_ids)
    needs = linear_emulator.needs()
    assert sorted(need["issue"]["id"] for need in needs) == sorted(i["id"] for i in issues)
    assert {need["customer"]["id"] for need in needs} == {acme["id"]}
    assert all("said" in need["body"] and f"/v1/calls/{call_id})" in need["body"] for need in needs)
    attachments = linear_emulator.attachments()
    assert sorted(a["issue"]["id"] for a in attachments) == sorted(i["id"] for i in issues)
    assert {a["url"] for a in attachments} == {f"http://127.0.0.1:8000/inbox/calls/{call_id}"}
    # Every mutation was sent once a filing, once more after the lost answer, once a re-run.
    assert len(linear_emulator.calls("CreateCustomerNeed")) == 2 * len(issues) + 1
    assert len(linear_emulator.calls("CreateAttachment")) == 2 * len(issues) + 1
    # Found once by domain (the customer's people write from acmefreight.example), then cached.
    [lookup] = linear_emulator.calls("CustomersByDomain")
    assert lookup.variables == {"domains": ["acmefreight.example"]}
    assert request.tracker_customer is not None
    assert request.tracker_customer.owner_email == "dana@ours.example"
    assert request.tracker_customer_note is None


async def test_a_customer_not_in_linear_is_created_when_asked_and_named_when_not(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    data, meta = example_call()
    runtime = Runtime(linear_settings)
    await runtime.start()
    try:
        call_id = await process(runtime, data, meta)
        request = load_approval_request(runtime, draft_id_for(call_id))
    finally:
        await runtime.stop()
    assert linear_emulator.customers() == [] and linear_emulator.needs() == []
    assert len(linear_emulator.attachments()) == len(linear_emulator.issues())
    assert request.tracker_customer is None
    assert request.tracker_customer_note is not None
    assert "Acme Freight is not a customer in Linear" in request.tracker_customer_note
    assert "CS_AGENT_LINEAR_CREATE_CUSTOMERS=true" in request.tracker_customer_note

    linear_emulator.reset()
    seed(linear_emulator, team="CS", people=LINEAR_PEOPLE)
    creating = linear_settings.model_copy(update={"linear_create_customers": True})
    runtime = Runtime(creating)
    await runtime.start()
    try:
        other, other_meta = example_call("globex-onboarding")
        call_id = await process(runtime, other, other_meta)
        request = load_approval_request(runtime, draft_id_for(call_id))
    finally:
        await runtime.stop()
    [customer] = linear_emulator.customers()
    assert customer["name"] == "Globex Health"
    assert customer["domains"] == ["globexhealth.example"]
    assert len(linear_emulator.needs()) == len(linear_emulator.issues()) > 0
    assert request.tracker_customer is not None and request.tracker_customer.id == customer["id"]


async def test_a_customer_found_is_remembered_and_looked_up_again_when_stale(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    data, meta = example_call()
    again = meta.model_copy(update={"source_id": "example-acme-renewal-2"})
    runtime = Runtime(linear_settings)
    await runtime.start()
    try:
        first = await process(runtime, data, meta)
        second = await process(runtime, data + b"\n", again)
        assert first != second
        assert len(linear_emulator.calls("CustomersByDomain")) == 1, (
            "the second call used the cache"
        )
        with session_scope(runtime.engine) as session:
            for row in session.exec(select(TrackerCustomerRow)).all():
                row.resolved_at = row.resolved_at - dt.timedelta(
                    hours=linear_settings.linear_customer_cache_hours + 1
                )
                session.add(row)
        third = meta.model_copy(update={"source_id": "example-acme-renewal-3"})
        await process(runtime, data + b"\n\n", third)
    finally:
        await runtime.stop()
    assert len(linear_emulator.calls("CustomersByDomain")) == 2
    assert len(linear_emulator.needs()) == len(linear_emulator.issues())


async def test_a_workspace_without_customers_still_gets_its_issues(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    linear_emulator.customers_enabled = False
    data, meta = example_call()
    runtime = Runtime(linear_settings.model_copy(update={"linear_create_customers": True}))
    await runtime.start()
    try:
        call_id = await process(runtime, data, meta)
        view = load_call_view(runtime, call_id)
    finally:
        await runtime.stop()
    assert view is not None and view.status == "awaiting_approval"
    assert len(linear_emulator.issues()) == len(view.action_items) > 0
    assert linear_emulator.needs() == []
    assert len(linear_emulator.attachments()) == len(view.action_items)


async def test_an_open_issue_with_the_customers_need_is_linked_not_filed_again(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    # Linear knows the customer under another name, and someone filed the quote by hand with
    # a need of theirs: no "- Customer:" line anywhere.
    acme = linear_emulator.add_customer("Acme Freight Inc.", domains=["acmefreight.example"])
    by_hand = linear_emulator.add_issue("CS", "Send the revised quote with both renewal options")
    linear_emulator.add_need(acme["id"], by_hand["id"], body="Wants both options")
    data, meta = example_call()
    runtime = Runtime(linear_settings)
    await runtime.start()
    try:
        call_id = await process(runtime, data, meta)
        view = load_call_view(runtime, call_id)
    finally:
        await runtime.stop()
    assert view is not None
    linked = [item.issue for item in view.action_items if item.issue and item.issue.existing]
    assert [issue.id for issue in linked] == [by_hand["id"]]
    [search, *_] = linear_emulator.calls("CustomerOpenNeeds")
    assert search.variables["filter"]["customer"] == {"id": {"eq": acme["id"]}}
    # The issues filed for the others carry needs of the customer; the linked one keeps its one.
    filed = [i for i in linear_emulator.issues() if i["id"] != by_hand["id"]]
    assert len(linear_emulator.needs()) == len(filed) + 1


async def test_a_tier_override_follows_the_linear_customers_tier(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    # Acme is an Enterprise customer in Linear; Globex has no tier. Only Acme's call is
    # governed by the tier's policy; nothing in our own settings names Acme.
    linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"], tier="Enterprise")
    settings = linear_settings.model_copy(
        update={"followup_policy_overrides": {"tier:enterprise": FollowUpPolicy.NONE}}
    )
    data, meta = example_call()
    runtime = Runtime(settings)
    await runtime.start()
    try:
        call_id = await process(runtime, data, meta)
        view = load_call_view(runtime, call_id)
    finally:
        await runtime.stop()
    assert view is not None and view.policy is not None
    assert view.policy.name == FollowUpPolicy.NONE
    assert view.policy.source == "override tier:Enterprise"
    assert view.draft is None
    assert len(linear_emulator.issues()) > 0, "the items are still filed"
