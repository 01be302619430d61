"""The Linear adapter beyond the contract: what reached Linear, owners, labels, errors, doctor."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from cs_agent.core.domain import ActionItem, Owner, Priority, Side
from cs_agent.core.errors import RateLimited, RejectedInput, Unauthorized, Unavailable
from cs_agent.core.ports import CallContext
from cs_agent.services.backoff import RetryPolicy, with_retries
from integrations.linear.client import LinearClient, authorization
from integrations.linear.description import customer_of
from integrations.linear.tracker import LinearTaskTracker, linear_issue_id

from ..emulators.base import Fault
from ..emulators.linear import API_KEY, OAUTH_TOKEN, LinearEmulator, operation_is

CALL = CallContext(
    call_id="call-acme-1",
    title="Renewal sync",
    call_date=dt.date(2026, 11, 10),
    customer_name="Acme Freight",
    customer_domain="acmefreight.example",
    call_url="http://127.0.0.1:8000/v1/calls/call-acme-1",
)


def pricing(**changes: object) -> ActionItem:
    base = ActionItem(
        title="Send the revised pricing proposal",
        description="Include the three-year option.",
        owner=Owner(name="Dana Reyes", side=Side.US, email="dana@ours.example"),
        due_date=dt.date(2026, 11, 14),
        priority=Priority.HIGH,
        quote="I'll send over the revised pricing by Friday.",
        quote_time=754.0,
    )
    return base.model_copy(update=changes)


def tracker_for(
    emulator: LinearEmulator,
    *,
    team: str | None = "CS",
    label: str = "customer-follow-up",
    timeout: float = 5.0,
    api_key: str | None = API_KEY,
    oauth_token: str | None = None,
) -> LinearTaskTracker:
    client = LinearClient(
        url=emulator.graphql_url,
        authorization=authorization(api_key=api_key, oauth_token=oauth_token),
        timeout=timeout,
    )
    return LinearTaskTracker(
        client, team_key=team, label=label, assignees={"Sam": "sam@ours.example"}
    )


FAST = RetryPolicy(attempts=4, initial_delay=0.01, max_delay=1.0)


# --- what reaches Linear ---------------------------------------------------------------------------


async def test_issue_create_carries_everything_the_item_says(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    issue_id = uuid.uuid5(uuid.NAMESPACE_URL, "call-acme-1/0")
    ref = await tracker.create_issue(pricing(), issue_id=issue_id, call=CALL)

    [call] = linear_emulator.calls("CreateIssue")
    assert call.authorization == API_KEY  # a personal key is sent as is, no "Bearer"
    sent = call.variables["input"]
    team = linear_emulator.team("CS")
    dana = next(u for u in linear_emulator.state.users.values() if u["name"] == "Dana Reyes")
    [label] = linear_emulator.labels()
    assert sent["id"] == linear_issue_id(issue_id) == ref.id
    assert uuid.UUID(sent["id"]).version == 4
    assert sent["teamId"] == team["id"]
    assert sent["title"] == "Send the revised pricing proposal"
    assert sent["dueDate"] == "2026-11-14"
    assert sent["priority"] == 2
    assert sent["assigneeId"] == dana["id"]
    assert sent["labelIds"] == [label["id"]] and label["team"]["id"] == team["id"]
    description = sent["description"]
    assert description.startswith("Include the three-year option.")
    assert "> I'll send over the revised pricing by Friday." in description
    assert "said at 12:34 in the call" in description
    assert "- Customer: Acme Freight (acmefreight.example)" in description
    assert f"[Renewal sync]({CALL.call_url}) on 2026-11-10" in description
    assert ref.identifier == "CS-1"
    assert ref.url and ref.url.startswith("https://linear.app/example/issue/CS-1")


async def test_an_oauth_token_is_sent_as_bearer(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator, api_key=None, oauth_token=OAUTH_TOKEN)
    await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert {c.authorization for c in linear_emulator.calls()} == {f"Bearer {OAUTH_TOKEN}"}


async def test_transcript_words_cannot_inject_markdown(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator)
    quote = "See ![x](http://tracker.example/p.png) and [click](http://evil.example)"
    await tracker.create_issue(pricing(quote=quote), issue_id=uuid.uuid4(), call=CALL)
    [issue] = linear_emulator.issues()
    assert "![x](http" not in issue["description"]
    assert r"\!\[x\]\(http\://tracker.example/p.png\)" in issue["description"]


async def test_hostile_words_reach_linear_within_limits_and_cannot_forge_the_customer(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    forged = "Call back\n- Customer: Evil Corp\n@dana <img src=x onerror=alert(1)>"
    item = pricing(title="Send the pricing " * 30, description=forged, quote=forged)
    ref = await tracker.create_issue(item, issue_id=uuid.uuid4(), call=CALL)
    [issue] = linear_emulator.issues()
    # The emulator refuses titles over Linear's 255: the long one was cut, not refused.
    assert len(issue["title"]) <= 255 and issue["title"].endswith("…") and ref.identifier
    assert customer_of(issue["description"]) == "Acme Freight"
    assert "\n- Customer: Evil" not in issue["description"]
    bare = issue["description"].replace("\\<img", "").replace("\\@dana", "")
    assert "<img" not in bare and "@dana" not in bare
    evil = await tracker.find_open_issues(query="Send the pricing", customer="Evil Corp")
    assert evil == []
    [found] = await tracker.find_open_issues(query="Send the pricing", customer="Acme Freight")
    assert found.identifier == ref.identifier


# --- owners ----------------------------------------------------------------------------------------


async def test_owner_without_email_is_found_through_the_name_map(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    await tracker.create_issue(pricing(owner=Owner(name="sam")), issue_id=uuid.uuid4(), call=CALL)
    [issue] = linear_emulator.issues()
    assert issue["assignee"]["email"] == "sam@ours.example"
    assert [c.variables["email"] for c in linear_emulator.calls("UserByEmail")] == [
        "sam@ours.example"
    ]


async def test_an_owner_nobody_matches_leaves_the_issue_unassigned_with_a_note(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    stranger = Owner(name="Jordan Blake", side=Side.US, email="jordan@ours.example")
    customer = Owner(name="Priya Natarajan", side=Side.CUSTOMER, email="priya@acmefreight.example")
    for owner in (stranger, customer, stranger):
        await tracker.create_issue(pricing(owner=owner), issue_id=uuid.uuid4(), call=CALL)

    sent = [c.variables["input"] for c in linear_emulator.calls("CreateIssue")]
    assert all("assigneeId" not in issue for issue in sent)
    assert "- Owner: Jordan Blake — no Linear user matches this owner" in sent[0]["description"]
    assert "- Owner: Priya Natarajan, on the customer's side — unassigned" in sent[1]["description"]
    # The customer is not looked up at all, and a miss is remembered for a while.
    assert [c.variables["email"] for c in linear_emulator.calls("UserByEmail")] == [
        "jordan@ours.example"
    ]


async def test_people_are_looked_up_once(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator)
    for _ in range(3):
        await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert len(linear_emulator.calls("UserByEmail")) == 1
    assert len(linear_emulator.calls("TeamByKey")) == 1
    assert len(linear_emulator.calls("LabelsByName")) == 1


# --- the label -------------------------------------------------------------------------------------


async def test_an_existing_workspace_label_is_used_not_recreated(
    linear_emulator: LinearEmulator,
) -> None:
    existing = linear_emulator.add_label("Customer-Follow-Up")  # workspace label, other casing
    tracker = tracker_for(linear_emulator)
    await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert linear_emulator.calls("CreateLabel") == []
    assert linear_emulator.issues()[0]["labels"]["nodes"][0]["id"] == existing["id"]


async def test_a_label_of_another_team_does_not_count(linear_emulator: LinearEmulator) -> None:
    linear_emulator.add_team("ENG", "Engineering")
    linear_emulator.add_label("customer-follow-up", team_key="ENG")
    tracker = tracker_for(linear_emulator)
    await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    [created] = linear_emulator.calls("CreateLabel")
    assert created.variables["input"]["teamId"] == linear_emulator.team("CS")["id"]


async def test_two_workers_creating_the_label_at_once_end_with_one_label(
    linear_emulator: LinearEmulator,
) -> None:
    workers = [tracker_for(linear_emulator) for _ in range(4)]
    await asyncio.gather(
        *(w.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL) for w in workers)
    )
    [label] = linear_emulator.labels()
    assert {issue["labels"]["nodes"][0]["id"] for issue in linear_emulator.issues()} == {
        label["id"]
    }
    assert len(linear_emulator.issues()) == 4


async def test_a_label_deleted_in_linear_is_looked_up_again(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    [first_label] = linear_emulator.labels()
    linear_emulator.remove_label(first_label["id"])  # someone tidied the labels up

    await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    [second_label] = linear_emulator.labels()
    assert second_label["id"] != first_label["id"]
    assert linear_emulator.issues()[1]["labels"]["nodes"] == [second_label]
    assert len(linear_emulator.calls("CreateLabel")) == 2


# --- errors ----------------------------------------------------------------------------------------


async def test_a_rate_limit_is_waited_out_for_as_long_as_linear_says(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    await tracker.team()  # so the next request is the create
    linear_emulator.rate_limit_next(1, reset_in=0.3, when=operation_is("CreateIssue"))
    with pytest.raises(RateLimited) as caught:
        await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert caught.value.retry_after is not None and 0.0 < caught.value.retry_after <= 0.3

    linear_emulator.rate_limit_next(1, reset_in=0.3, when=operation_is("CreateIssue"))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    issue_id = uuid.uuid4()
    ref = await with_retries(
        lambda: tracker.create_issue(pricing(), issue_id=issue_id, call=CALL),
        what="filing",
        policy=FAST,
        sleep=sleep,
    )
    assert len(waits) == 1 and 0.1 < waits[0] <= 0.35, waits  # Linear's reset, not our 0.01 s
    assert [i["id"] for i in linear_emulator.issues()] == [ref.id]


async def test_a_429_without_a_body_is_a_rate_limit_too(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator)
    linear_emulator.fail_next(
        1, Fault(status=429, body="Too Many Requests", headers={"Retry-After": "7"})
    )
    with pytest.raises(RateLimited) as caught:
        await tracker.team()
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried_and_file_once(
    linear_emulator: LinearEmulator, status: int
) -> None:
    tracker = tracker_for(linear_emulator)
    linear_emulator.fail_next(
        2,
        Fault(status=status, body="<html>upstream error</html>"),
        when=operation_is("CreateIssue"),
    )
    with pytest.raises(Unavailable):
        await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    issue_id = uuid.uuid4()
    ref = await with_retries(
        lambda: tracker.create_issue(pricing(), issue_id=issue_id, call=CALL),
        what="filing",
        policy=FAST,
    )
    assert len(linear_emulator.calls("CreateIssue", faulted=True)) == 2
    assert [i["id"] for i in linear_emulator.issues()] == [ref.id]


async def test_a_create_that_timed_out_is_not_filed_twice(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator, timeout=0.5)
    await tracker.team()
    linear_emulator.answer_slowly(2.0, when=lambda call: call.operation == "CreateIssue")
    issue_id = uuid.uuid4()
    with pytest.raises(Unavailable, match="no answer within"):
        await tracker.create_issue(pricing(), issue_id=issue_id, call=CALL)
    [created] = linear_emulator.issues()  # Linear did it; we just did not hear back

    ref = await tracker.create_issue(pricing(), issue_id=issue_id, call=CALL)
    assert ref.id == created["id"] and ref.identifier == created["identifier"]
    assert len(linear_emulator.issues()) == 1
    assert [c.operation for c in linear_emulator.calls()][-2:] == ["CreateIssue", "IssueById"]


async def test_a_wrong_key_is_unauthorized_and_says_what_to_fix(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator, api_key="lin_api_wrong")
    with pytest.raises(Unauthorized, match="CS_AGENT_LINEAR_API_KEY"):
        await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert linear_emulator.issues() == []


async def test_a_rejected_input_names_the_field(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator)
    with pytest.raises(RejectedInput) as caught:
        await tracker.create_issue(pricing(title="  "), issue_id=uuid.uuid4(), call=CALL)
    assert caught.value.field == "title"
    assert "title should not be empty" in str(caught.value)


async def test_an_unknown_team_key_lists_the_teams_there_are(
    linear_emulator: LinearEmulator,
) -> None:
    linear_emulator.add_team("ENG", "Engineering")
    tracker = tracker_for(linear_emulator, team="SUPPORT")
    with pytest.raises(RejectedInput) as caught:
        await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert caught.value.field == "CS_AGENT_LINEAR_TEAM"
    assert "SUPPORT" in str(caught.value) and "CS, ENG" in str(caught.value)


async def test_without_a_team_key_the_only_team_is_used(linear_emulator: LinearEmulator) -> None:
    tracker = tracker_for(linear_emulator, team=None)
    ref = await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    assert ref.identifier == "CS-1"
    linear_emulator.add_team("ENG")
    with pytest.raises(RejectedInput, match="set CS_AGENT_LINEAR_TEAM"):
        await tracker_for(linear_emulator, team=None).team()


# --- dedupe search ---------------------------------------------------------------------------------


async def test_search_skips_closed_issues_other_customers_and_other_teams(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator)
    ours = await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    acme_line = "- Customer: Acme Freight (acmefreight.example)"
    linear_emulator.add_issue(
        "CS", "Revised pricing proposal", description=acme_line, state_type="completed"
    )
    linear_emulator.add_issue("CS", "Revised pricing proposal", description="- Customer: Acme")
    linear_emulator.add_team("ENG")
    linear_emulator.add_issue("ENG", "Revised pricing proposal", description=acme_line)
    by_hand = linear_emulator.add_issue("CS", "Send revised pricing proposal")

    found = await tracker.find_open_issues(
        query="Revised pricing proposal", customer="Acme Freight"
    )
    assert [ref.identifier for ref in found] == [ours.identifier]
    prefix = await tracker.find_open_issues(query="Revised pricing proposal", customer="Acme")
    assert [ref.identifier for ref in prefix] == ["CS-3"]
    anyone = await tracker.find_open_issues(query="Revised pricing proposal", customer=None)
    assert {ref.identifier for ref in anyone} == {ours.identifier, "CS-3", by_hand["identifier"]}

    [search] = linear_emulator.calls("OpenIssues")[:1]
    conditions = search.variables["filter"]["and"]
    assert {"state": {"type": {"nin": ["completed", "canceled"]}}} in conditions
    assert {"description": {"containsIgnoreCase": "Customer: Acme Freight"}} in conditions


# --- cs-agent doctor -------------------------------------------------------------------------------


async def test_doctor_reports_the_user_team_and_label(linear_emulator: LinearEmulator) -> None:
    results = await tracker_for(linear_emulator).check()
    assert all(r.ok for r in results)
    details = [r.detail for r in results]
    assert details[0].startswith("authenticated as Avery Admin <avery@ours.example> in Example Co")
    assert details[1] == "team CS (Customer Success)"
    assert "does not exist yet; it will be created in team CS" in details[2]
    assert linear_emulator.calls("CreateLabel") == [], "doctor only looks"

    linear_emulator.add_label("customer-follow-up")
    assert (await tracker_for(linear_emulator).check())[
        2
    ].detail == "label 'customer-follow-up' exists"


async def test_doctor_fails_on_a_wrong_key_and_a_wrong_team(
    linear_emulator: LinearEmulator,
) -> None:
    [bad_key] = await tracker_for(linear_emulator, api_key="lin_api_wrong").check()
    assert not bad_key.ok and bad_key.fix and "Personal API keys" in bad_key.fix

    results = await tracker_for(linear_emulator, team="NOPE").check()
    assert [r.ok for r in results] == [True, False]
    assert "no Linear team has the key 'NOPE'" in results[1].detail


# --- customers, needs and attachments --------------------------------------------------------------

CALL_PAGE = "http://127.0.0.1:8000/inbox/calls/call-acme-1"


async def test_the_customer_record_brings_its_owner_channel_and_tier(
    linear_emulator: LinearEmulator,
) -> None:
    linear_emulator.add_customer(
        "Acme Freight",
        domains=["acmefreight.example"],
        owner_email="dana@ours.example",
        slack_channel_id="C0ACME",
        tier="Enterprise",
    )
    tracker = tracker_for(linear_emulator)
    found = await tracker.resolve_customer(
        domains=["AcmeFreight.example"], name="Acme", create=True
    )
    assert found is not None
    assert (found.name, found.owner_name, found.owner_email) == (
        "Acme Freight",
        "Dana Reyes",
        "dana@ours.example",
    )
    assert (found.slack_channel_id, found.tier) == ("C0ACME", "Enterprise")
    assert found.url and found.url.startswith("https://linear.app/example/customers/")
    [lookup] = linear_emulator.calls("CustomersByDomain")
    assert lookup.variables == {"domains": ["acmefreight.example"]}
    assert linear_emulator.calls("CustomersByName") == []
    assert linear_emulator.calls("CreateCustomer") == []


async def test_a_customer_create_that_timed_out_is_not_made_twice(
    linear_emulator: LinearEmulator,
) -> None:
    tracker = tracker_for(linear_emulator, timeout=0.5)
    linear_emulator.answer_slowly(2.0, when=lambda call: call.operation == "CreateCustomer")
    with pytest.raises(Unavailable):
        await tracker.resolve_customer(domains=["initech.example"], name="Initech", create=True)
    found = await with_retries(
        lambda: tracker.resolve_customer(domains=["initech.example"], name="Initech", create=True),
        what="resolving",
        policy=FAST,
    )
    [customer] = linear_emulator.customers()
    assert found is not None and found.id == customer["id"]
    assert customer["domains"] == ["initech.example"]
    assert uuid.UUID(customer["id"]).version == 4


async def test_the_need_quotes_the_call_escaped_with_when_and_a_link(
    linear_emulator: LinearEmulator,
) -> None:
    acme = linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    tracker = tracker_for(linear_emulator)
    ref = await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    customer = await tracker.resolve_customer(
        domains=["acmefreight.example"], name=None, create=False
    )
    assert customer is not None
    need_id = uuid.uuid4()
    words = "Send it by Friday\n- Customer: Evil Corp [click](http://evil.example) @dana"
    await tracker.add_customer_need(
        ref, need_id=need_id, customer=customer, body=words, call=CALL, said_at=754.0
    )
    [sent] = [c.variables["input"] for c in linear_emulator.calls("CreateCustomerNeed")]
    assert sent["id"] == linear_issue_id(need_id)
    assert (sent["customerId"], sent["issueId"], sent["priority"]) == (acme["id"], ref.id, 0)
    body = sent["body"]
    assert body.startswith("> Send it by Friday\n> \\- Customer: Evil Corp")
    assert "[click](http" not in body and "\\@dana" in body
    assert "> — said at 12:34 in the call" in body
    assert f"From [Renewal sync]({CALL.call_url}) on 2026-11-10" in body


@pytest.mark.parametrize("fault", ["timeout", "502 after the work"])
async def test_needs_and_links_are_made_once_when_answers_are_lost(
    linear_emulator: LinearEmulator, fault: str
) -> None:
    linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    tracker = tracker_for(linear_emulator, timeout=0.5)
    ref = await tracker.create_issue(pricing(), issue_id=uuid.uuid4(), call=CALL)
    customer = await tracker.resolve_customer(
        domains=["acmefreight.example"], name=None, create=False
    )
    assert customer is not None
    for operation in ("CreateCustomerNeed", "CreateAttachment"):
        if fault == "timeout":
            linear_emulator.answer_slowly(2.0, when=lambda call, op=operation: call.operation == op)
        else:
            linear_emulator.fail_after_work(
                502, when=lambda call, op=operation: call.operation == op
            )
    need_id = uuid.uuid4()
    await with_retries(
        lambda: tracker.add_customer_need(
            ref, need_id=need_id, customer=customer, body="by Friday", call=CALL
        ),
        what="adding the need",
        policy=FAST,
    )
    await with_retries(
        lambda: tracker.attach_link(ref, url=CALL_PAGE, title="Renewal sync"),
        what="linking",
        policy=FAST,
    )
    assert len(linear_emulator.calls("CreateCustomerNeed")) == 2  # the lost one, and the retry
    assert len(linear_emulator.needs()) == 1
    assert [a["url"] for a in linear_emulator.attachments()] == [CALL_PAGE]


async def test_dedupe_asks_for_the_customers_open_needs(linear_emulator: LinearEmulator) -> None:
    acme = linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    tracker = tracker_for(linear_emulator)
    await tracker.find_open_issues(query="Revised pricing proposal", customer="Acme Freight")
    [search] = linear_emulator.calls("CustomerOpenNeeds")
    conditions = search.variables["filter"]
    assert conditions["customer"] == {"id": {"eq": acme["id"]}}
    assert conditions["issue"]["state"] == {"type": {"nin": ["completed", "canceled"]}}
    assert conditions["issue"]["team"] == {"id": {"eq": linear_emulator.team("CS")["id"]}}
    assert linear_emulator.calls("OpenIssues") == []


async def test_doctor_says_whether_customers_can_be_read(linear_emulator: LinearEmulator) -> None:
    results = await tracker_for(linear_emulator).check()
    assert results[-1].ok and results[-1].detail.startswith("customers readable")
    linear_emulator.customers_enabled = False
    results = await tracker_for(linear_emulator).check()
    assert results[-1].ok, "a plan without Customers still files issues"
    assert "issues are filed without customer needs" in results[-1].detail


async def test_a_subdomain_finds_its_apex_customer_and_is_not_sent_on_a_create(
    linear_emulator: LinearEmulator,
) -> None:
    acme = linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    tracker = tracker_for(linear_emulator)
    found = await tracker.resolve_customer(
        domains=["eu.acmefreight.example"], name=None, create=False
    )
    assert found is not None and found.id == acme["id"]
    assert linear_emulator.calls("CustomersByDomain")[0].variables == {
        "domains": ["eu.acmefreight.example", "acmefreight.example"]
    }
    # Linear takes apex domains only: the customer is created without the one it refused.
    made = await tracker.resolve_customer(
        domains=["us.initech.example"], name="Initech", create=True
    )
    assert made is not None and made.name == "Initech" and made.domains == []
    assert [c["name"] for c in linear_emulator.customers()] == ["Acme Freight", "Initech"]
