"""Against the real Linear API. Skipped unless CS_AGENT_LINEAR_API_KEY is set; never run in CI.

Needs CS_AGENT_LINEAR_TEAM too when the key sees more than one team. Files one issue in that
team, checks that filing it again returns the same issue and that the customer search finds
it, then moves it to the trash.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from graphql import parse

from cs_agent.core.domain import ActionItem, Owner
from cs_agent.core.ports import CallContext
from integrations.linear.client import LinearClient, authorization
from integrations.linear.tracker import LinearTaskTracker

# Read at import: the test environment removes CS_AGENT_* variables before each test runs.
API_KEY = os.environ.get("CS_AGENT_LINEAR_API_KEY")
TEAM = os.environ.get("CS_AGENT_LINEAR_TEAM")
API_URL = os.environ.get("CS_AGENT_LINEAR_API_URL", "https://api.linear.app/graphql")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not API_KEY, reason="set CS_AGENT_LINEAR_API_KEY to test against Linear"),
]

ARCHIVE = parse(
    """
    mutation ArchiveIssue($id: String!) {
      issueArchive(id: $id, trash: true) {
        success
      }
    }
    """
)


@pytest.fixture
def tracker() -> LinearTaskTracker:
    client = LinearClient(url=API_URL, authorization=authorization(api_key=API_KEY))
    return LinearTaskTracker(client, team_key=TEAM, label="customer-follow-up")


async def test_doctor_checks_pass(tracker: LinearTaskTracker) -> None:
    results = await tracker.check()
    assert all(result.ok for result in results), results


async def test_file_refile_find_and_trash_one_issue(tracker: LinearTaskTracker) -> None:
    run = uuid.uuid4()
    customer = f"cs-agent live test {run.hex[:8]}"
    item = ActionItem(
        title=f"cs-agent live test: send the revised pricing proposal {run.hex[:8]}",
        description="Filed by the cs-agent live test; it trashes this issue when it ends.",
        owner=Owner(name="Nobody In Particular"),
        due_date=dt.date.today() + dt.timedelta(days=7),
        quote="I'll send over the revised pricing by Friday.",
        quote_time=754.0,
    )
    call = CallContext(call_id=f"call-live-{run.hex[:8]}", customer_name=customer)
    first = await tracker.create_issue(item, issue_id=run, call=call)
    try:
        again = await tracker.create_issue(item, issue_id=run, call=call)
        assert (again.id, again.identifier) == (first.id, first.identifier)
        found = await tracker.find_open_issues(query=item.title, customer=customer)
        assert [ref.id for ref in found] == [first.id]
    finally:
        archiver = LinearClient(
            url=API_URL,
            authorization=authorization(api_key=API_KEY),
            operations={"ArchiveIssue": ARCHIVE},
        )
        await archiver.execute("ArchiveIssue", {"id": first.id})
