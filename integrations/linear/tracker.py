"""Action items as Linear issues: filed exactly once, assigned, labelled, found again.

Exactly once: the workflow passes each item's ``issue_id`` (a UUID derived from the call and
the item); the issue is created under that id, so a retry after a timeout cannot make a second
issue. Linear refuses a second create with the same id; the refusal is followed by reading the
issue back by id, and if it is there, that is the answer.

Customers: a filed issue gets a customer need of the call's Linear customer (see
``integrations.linear.customers``), and the search for a customer's open issues reads that
customer's needs. A customer Linear does not know is found by the ``- Customer: NAME`` line
the description still carries (see ``integrations.linear.description``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from cs_agent.core.domain import ActionItem, IssueRef, IssueState, Owner, Side, TrackerCustomer
from cs_agent.core.errors import ExternalError, RejectedInput, Unauthorized, UnexpectedAnswer
from cs_agent.core.ports import CallContext, CheckResult
from integrations.linear import answers
from integrations.linear.client import LinearClient
from integrations.linear.customers import LinearCustomers
from integrations.linear.description import (
    customer_text,
    issue_description,
    issue_title,
    same_customer,
)
from integrations.linear.errors import AUTH_FIX, SYSTEM
from integrations.linear.states import fetch_issue_states
from integrations.title_match import title_similarity, title_tokens

log = logging.getLogger(__name__)

CLOSED_STATE_TYPES = ("completed", "canceled")
TEAM_SETTING = "CS_AGENT_LINEAR_TEAM"
LABEL_COLOR = "#4EA7FC"
_MISS_TTL = 600.0  # seconds before an email no Linear user had is looked up again


def linear_issue_id(issue_id: uuid.UUID) -> str:
    """The id an issue gets in Linear: ``issue_id`` stamped as a version-4 UUID.

    Linear documents ``IssueCreateInput.id`` as "UUID v4"; ours are derived (version 5). Setting
    the version and variant bits keeps the mapping deterministic and the other 122 bits intact.
    """
    return str(uuid.UUID(bytes=issue_id.bytes, version=4))


@dataclass(frozen=True)
class Team:
    """The Linear team issues are filed in."""

    id: str
    key: str
    name: str


class LinearTaskTracker:
    """The ``TaskTracker`` port on Linear's GraphQL API."""

    name = "linear"

    def __init__(
        self,
        client: LinearClient,
        *,
        team_key: str | None,
        label: str,
        assignees: Mapping[str, str] | None = None,
        match_threshold: float = 0.6,
        search_limit: int = 50,
    ) -> None:
        self._client = client
        self._team_key = team_key.strip() if team_key else None
        self._label = label.strip()
        self._assignees = {name.casefold(): email for name, email in (assignees or {}).items()}
        self._match_threshold = match_threshold
        self._search_limit = search_limit
        # Looked up once per process: they change rarely and every issue needs them.
        self._team: Team | None = None
        self._label_id: str | None = None
        self._user_ids: dict[str, str] = {}
        self._missing: dict[str, float] = {}  # email → when no user had it (monotonic)
        self._customers = LinearCustomers(client)

    # --- TaskTracker ------------------------------------------------------------------------------
    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        """Create the issue under ``issue_id``; a repeat returns the issue the first call made."""
        linear_id = linear_issue_id(issue_id)
        for attempt in (1, 2):
            issue_input = await self._issue_input(item, linear_id=linear_id, call=call)
            try:
                data = await self._client.execute("CreateIssue", {"input": issue_input})
            except RejectedInput as error:
                # The usual reason after a retry: an earlier attempt created it.
                existing = await self._issue_by_id(linear_id)
                if existing is not None:
                    log.info("Linear issue %s already exists; using it", existing.identifier)
                    return self._ref(existing)
                if attempt == 1 and self._forget(error.field):
                    continue  # a cached team, label or user went away: look it up again
                raise
            try:
                payload = answers.read(answers.CreateIssue, data, operation="CreateIssue")
            except UnexpectedAnswer as odd:
                # The issue may well exist (it has our id): read it back before giving up.
                log.warning("%s; reading the issue back by id", odd)
                issue = await self._issue_by_id(linear_id)
                if issue is None:
                    raise odd from None
                return self._ref(issue)
            issue = payload.issueCreate.issue
            if not payload.issueCreate.success or issue is None:
                issue = await self._issue_by_id(linear_id)
                if issue is None:
                    raise RejectedInput(SYSTEM, f"issueCreate did not create {item.title!r}")
            return self._ref(issue)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _issue_input(
        self, item: ActionItem, *, linear_id: str, call: CallContext
    ) -> dict[str, Any]:
        team = await self.team()
        label_id = (
            await self._optional(self.label_id(team), "without the label") if self._label else None
        )
        assignee_id = await self._optional(self.assignee_id(item.owner), "unassigned")
        issue_input: dict[str, Any] = {
            "id": linear_id,
            "teamId": team.id,
            "title": issue_title(item),
            "description": issue_description(item, call, assigned=assignee_id is not None),
            "priority": int(item.priority),
        }
        if item.due_date is not None:
            issue_input["dueDate"] = item.due_date.isoformat()
        if assignee_id is not None:
            issue_input["assigneeId"] = assignee_id
        if label_id is not None:
            issue_input["labelIds"] = [label_id]
        return issue_input

    def _forget(self, field: str | None) -> bool:
        """Drop the cached lookup a rejection was about; True if there was one to drop."""
        if field == "teamId" and self._team is not None:
            self._team = None
        elif field == "labelIds" and self._label_id is not None:
            self._label_id = None
        elif field == "assigneeId" and self._user_ids:
            self._user_ids.clear()
            self._missing.clear()
        else:
            return False
        return True

    async def find_open_issues(
        self, *, query: str, customer: str | None, limit: int = 5
    ) -> list[IssueRef]:
        """Open issues in the team whose titles share most of their words with ``query``.

        Linear narrows the candidates (team, open states, the customer line, any title word);
        the titles are then scored here the same way the local task list scores them.
        """
        tokens = sorted(title_tokens(query))
        if not tokens:
            return []
        team = await self.team()
        known = await self._known_customer(customer) if customer else None
        if known is not None:
            candidates = await self._customers.open_need_issues(
                known, team_id=team.id, tokens=tokens, first=self._search_limit
            )
            return self._best(query, candidates, limit=limit)
        conditions: list[dict[str, Any]] = [
            {"team": {"id": {"eq": team.id}}},
            {"state": {"type": {"nin": list(CLOSED_STATE_TYPES)}}},
            {"or": [{"title": {"containsIgnoreCase": token}} for token in tokens]},
        ]
        if customer:
            conditions.append({"description": {"containsIgnoreCase": customer_text(customer)}})
        data = await self._client.execute(
            "OpenIssues", {"filter": {"and": conditions}, "first": self._search_limit}
        )
        scored = []
        for node in answers.read(answers.OpenIssues, data, operation="OpenIssues").issues.nodes:
            if node.state is not None and node.state.type in CLOSED_STATE_TYPES:
                continue
            if customer and not same_customer(node.description, customer):
                continue
            score = title_similarity(query, node.title)
            if score >= self._match_threshold:
                scored.append((score, node))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return [self._ref(node, existing=True) for _score, node in scored[:limit]]

    # --- customers, needs and links ---------------------------------------------------------------
    async def resolve_customer(
        self, *, domains: list[str], name: str | None, create: bool
    ) -> TrackerCustomer | None:
        """The Linear customer with one of ``domains``, else named ``name``; created if asked."""
        return await self._customers.resolve(domains=domains, name=name, create=create)

    async def add_customer_need(
        self,
        issue: IssueRef,
        *,
        need_id: uuid.UUID,
        customer: TrackerCustomer,
        body: str,
        call: CallContext | None = None,
        said_at: float | None = None,
    ) -> None:
        """A customer need on ``issue`` under ``need_id`` (exactly one, whatever the retries).

        ``body`` is the words from the call (plain text); the need's Markdown quotes them with
        when they were said (``said_at``) and a link to ``call``.
        """
        await self._customers.add_need(
            issue, need_id=need_id, customer=customer, words=body, call=call, said_at=said_at
        )

    async def attach_link(
        self, issue: IssueRef, *, url: str, title: str, subtitle: str | None = None
    ) -> None:
        """An attachment on ``issue`` linking ``url``; Linear keeps one per (issue, URL)."""
        await self._customers.attach(issue, url=url, title=title, subtitle=subtitle)

    async def _known_customer(self, name: str) -> TrackerCustomer | None:
        """The Linear customer named ``name``, or None (unknown, or no Customers on this plan)."""
        try:
            return await self._customers.by_name(name)
        except (RejectedInput, Unauthorized) as error:
            log.warning("cannot look up Linear customers (%s); searching descriptions", error)
            return None

    def _best(self, query: str, issues: list[answers.Issue], *, limit: int) -> list[IssueRef]:
        scored = []
        for node in issues:
            if node.state is not None and node.state.type in CLOSED_STATE_TYPES:
                continue
            score = title_similarity(query, node.title)
            if score >= self._match_threshold:
                scored.append((score, node))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return [self._ref(node, existing=True) for _score, node in scored[:limit]]

    async def issue_states(
        self, issue_ids: list[str], *, updated_since: dt.datetime | None = None
    ) -> list[IssueState]:
        """Where each issue stands (those changed since ``updated_since`` when given). A read."""
        if not issue_ids:
            return []
        return await fetch_issue_states(self._client, issue_ids, updated_since=updated_since)

    # --- lookups (cached) -------------------------------------------------------------------------
    async def team(self) -> Team:
        """The configured team (by key), or the only team the key can see."""
        if self._team is not None:
            return self._team
        if self._team_key:
            data = await self._client.execute("TeamByKey", {"key": self._team_key})
            nodes = answers.read(answers.Teams, data, operation="TeamByKey").teams.nodes
            if not nodes:
                raise RejectedInput(
                    SYSTEM,
                    f"no Linear team has the key {self._team_key!r}; "
                    f"teams this key can see: {await self._team_keys()}",
                    field=TEAM_SETTING,
                )
        else:
            data = await self._client.execute("Teams")
            nodes = answers.read(answers.Teams, data, operation="Teams").teams.nodes
            if len(nodes) != 1:
                raise RejectedInput(
                    SYSTEM,
                    f"set {TEAM_SETTING} to the key of the team to file issues in "
                    f"(teams this key can see: {_keys(nodes)})",
                    field=TEAM_SETTING,
                )
        node = nodes[0]
        self._team = Team(id=node.id, key=node.key, name=node.name)
        return self._team

    async def label_id(self, team: Team) -> str:
        """The id of the follow-up label (a workspace label or the team's), created if missing."""
        if self._label_id is not None:
            return self._label_id
        found = await self._find_label(team)
        if found is None:
            try:
                data = await self._client.execute(
                    "CreateLabel",
                    {"input": {"name": self._label, "teamId": team.id, "color": LABEL_COLOR}},
                )
                created = answers.read(answers.CreateLabel, data, operation="CreateLabel")
                found = created.issueLabelCreate.issueLabel.id
                log.info("created the Linear label %r in team %s", self._label, team.key)
            except RejectedInput:
                # Another worker may have created it a moment ago.
                found = await self._find_label(team)
                if found is None:
                    raise
        self._label_id = found
        return found

    async def assignee_id(self, owner: Owner | None) -> str | None:
        """The Linear user for ``owner``: by their email, else by the settings' name map.

        Owners on the customer's side are not looked up: they are not members of our workspace.
        """
        if owner is None or owner.side == Side.CUSTOMER:
            return None
        emails = [owner.email] if owner.email else []
        mapped = self._assignees.get(owner.name.strip().casefold())
        if mapped and mapped not in emails:
            emails.append(mapped)
        now = time.monotonic()
        for email in emails:
            key = email.strip().casefold()
            if key in self._user_ids:
                return self._user_ids[key]
            if now - self._missing.get(key, -_MISS_TTL) < _MISS_TTL:
                continue
            data = await self._client.execute("UserByEmail", {"email": email.strip()})
            found = answers.read(answers.UserByEmail, data, operation="UserByEmail").users.nodes
            users = [user for user in found if user.active]
            if users:
                user_id = users[0].id
                self._user_ids[key] = user_id
                return user_id
            self._missing[key] = now
        return None

    # --- cs-agent doctor --------------------------------------------------------------------------
    async def check(self) -> list[CheckResult]:
        """Is the key good, does the team exist, the label (or will it be made), customers?"""
        results = await self._check_basics()
        if results and all(result.ok for result in results):
            results.append(await self._check_customers())
        return results

    async def _check_customers(self) -> CheckResult:
        # Not every plan has Customers: without them issues are filed as before, so this is
        # said, not failed.
        try:
            await self._client.execute("CustomersProbe")
        except ExternalError as error:
            return self._result(
                True,
                f"Linear customers cannot be read ({error}); issues are filed without customer "
                "needs (turn Customers on in Linear and give the key Write access to add them)",
            )
        return self._result(True, "customers readable: each filed issue gets a customer need")

    async def _check_basics(self) -> list[CheckResult]:
        results: list[CheckResult] = []
        try:
            data = await self._client.execute("Viewer")
        except Unauthorized as error:
            reason = error.message.removesuffix(f"; {AUTH_FIX}").removeprefix("Viewer: ")
            return [self._result(False, f"Linear refused the credentials: {reason}", AUTH_FIX)]
        except ExternalError as error:
            return [
                self._result(
                    False,
                    f"could not reach Linear at {self._client.url}: {error}",
                    "check CS_AGENT_LINEAR_API_URL (https://api.linear.app/graphql unless a "
                    "proxy sits in between) and that this host can reach it",
                )
            ]
        try:
            who = answers.read(answers.Viewer, data, operation="Viewer")
        except UnexpectedAnswer as error:
            return [self._result(False, str(error), "check CS_AGENT_LINEAR_API_URL")]
        viewer, org = who.viewer, who.organization
        results.append(
            self._result(
                True,
                f"authenticated as {viewer.name} <{viewer.email}> "
                f"in {org.name} (linear.app/{org.urlKey}) at {self._client.url}",
            )
        )
        try:
            team = await self.team()
        except ExternalError as error:
            results.append(
                self._result(False, str(error), f"set {TEAM_SETTING} to one of the keys listed")
            )
            return results
        how = "" if self._team_key else f" ({TEAM_SETTING} not set: the only team)"
        results.append(self._result(True, f"team {team.key} ({team.name}){how}"))
        if not self._label:
            results.append(self._result(True, "no label configured: issues are not labelled"))
            return results
        try:
            label = await self._find_label(team)
        except ExternalError as error:
            results.append(
                self._result(
                    False,
                    f"could not look up labels: {error}",
                    f"give the key read access to team {team.key}, or set CS_AGENT_LINEAR_LABEL= "
                    "(empty) to file without a label",
                )
            )
            return results
        if label is None:
            detail = (
                f"label {self._label!r} does not exist yet; "
                f"it will be created in team {team.key} with the first issue"
            )
        else:
            detail = f"label {self._label!r} exists"
        results.append(self._result(True, detail))
        return results

    # --- helpers ----------------------------------------------------------------------------------
    async def _find_label(self, team: Team) -> str | None:
        data = await self._client.execute("LabelsByName", {"name": self._label})
        for node in answers.read(
            answers.LabelsByName, data, operation="LabelsByName"
        ).issueLabels.nodes:
            if node.team is None or node.team.id is None or node.team.id == team.id:
                return node.id
        return None

    async def _optional(self, lookup: Awaitable[str | None], without: str) -> str | None:
        """A label or assignee lookup; an odd answer files the issue ``without`` it, noted."""
        try:
            return await lookup
        except UnexpectedAnswer as odd:
            log.warning("%s; filing the issue %s", odd, without)
            return None

    async def _issue_by_id(self, linear_id: str) -> answers.Issue | None:
        try:
            data = await self._client.execute("IssueById", {"id": linear_id})
        except RejectedInput:
            return None  # "Entity not found"
        return answers.read(answers.IssueById, data, operation="IssueById").issue

    async def _team_keys(self) -> str:
        try:
            data = await self._client.execute("Teams")
            return _keys(answers.read(answers.Teams, data, operation="Teams").teams.nodes)
        except ExternalError:
            return "(could not list them)"

    def _ref(self, issue: answers.Issue, *, existing: bool = False) -> IssueRef:
        return IssueRef(
            tracker=self.name,
            id=issue.id,
            identifier=issue.identifier,
            title=issue.title,
            url=issue.url,
            existing=existing,
        )

    def _result(self, ok: bool, detail: str, fix: str | None = None) -> CheckResult:
        return CheckResult(port="tracker", adapter=self.name, ok=ok, detail=detail, fix=fix)


def _keys(nodes: list[answers.TeamNode]) -> str:
    return ", ".join(sorted(node.key for node in nodes)) or "none"
