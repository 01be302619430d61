"""A Linear GraphQL API on 127.0.0.1, built from Linear's real schema.

``POST /graphql`` parses, validates and executes documents with graphql-core against the same
``schema.graphql`` cs-agent ships, so a document the real API would reject for its
shape is rejected here the same way: HTTP 400 with an ``errors`` array whose extensions say
``GRAPHQL_VALIDATION_FAILED``. Authentication follows Linear's rules (a personal API key as
``Authorization: <key>``, an OAuth token as ``Bearer <token>``; anything else is HTTP 401 with
``AUTHENTICATION_ERROR``). Every answer carries ``X-RateLimit-*`` headers (resets in epoch
milliseconds), and ``rate_limit_next`` answers the way Linear does when a budget runs out:
HTTP 400 with ``extensions.code == "RATELIMITED"``.

Resolvers exist for the operations cs-agent uses (viewer, organization, teams, users,
issueLabels, issueLabelCreate, issueCreate, issueArchive, issue, issues); teams, users,
labels and issues live in memory. Input checks mirror what Linear documents: ``IssueCreateInput.id`` must be a
UUID v4 and unused, referenced teams, users and labels must exist. Linear does not document
the exact wording of every refusal (a reused issue id, for one); the answers here use Linear's
error shape (``type``, ``code``, ``userPresentableMessage``) and cs-agent does not depend on
the wording.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    execute_sync,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.linear.schema import linear_schema

from .base import Emulator, Fault, Oddity, RecordedRequest

API_KEY = "lin_api_emulator0000000000000000000000000000000000"
OAUTH_TOKEN = "lin_oauth_emulator000000000000000000000000000000"
REQUESTS_LIMIT = 2500
COMPLEXITY_LIMIT = 3_000_000


class LinearFailure(Exception):
    """A refusal a resolver raises; becomes one entry of the ``errors`` array."""

    def __init__(
        self,
        message: str,
        *,
        type: str = "invalid input",
        code: str = "INPUT_ERROR",
        status: int = 400,
        presentable: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {
            "type": type,
            "code": code,
            "statusCode": status,
            "userError": status < 500,
            "userPresentableMessage": presentable or message,
            **(extra or {}),
        }
        self.status = status


TITLE_MAX_LENGTH = 255
"""The longest issue title Linear accepts."""

PUBLIC_EMAIL_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com"}
)
"""Domains Linear refuses on a customer (public email providers): a sample."""
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def argument_error(property_name: str, constraint: str, message: str) -> LinearFailure:
    """Linear's refusal of an input value (a class-validator error on one property)."""
    return LinearFailure(
        "Argument Validation Error",
        code="INVALID_INPUT",
        presentable=message,
        extra={
            "validationErrors": [
                {"property": property_name, "constraints": {constraint: message}, "children": []}
            ]
        },
    )


def not_found(entity: str) -> LinearFailure:
    """Linear's answer when an id refers to nothing."""
    return LinearFailure(
        f"Entity not found: {entity}", presentable=f"Could not find referenced {entity}."
    )


@dataclass
class GraphQLCall:
    """One request as the emulator understood it."""

    operation: str | None
    variables: dict[str, Any]
    authorization: str | None


@dataclass
class _Slow:
    when: Callable[[GraphQLCall], bool]
    seconds: float


@dataclass
class LinearState:
    """What the emulated workspace holds."""

    organization: dict[str, Any]
    viewer_id: str
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, itertools.count[int]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(issue id, url) → attachment: Linear keeps one attachment per URL on an issue."""


def _fresh_state() -> LinearState:
    viewer = {
        "id": str(uuid.uuid4()),
        "name": "Avery Admin",
        "displayName": "avery",
        "email": "avery@ours.example",
        "active": True,
    }
    state = LinearState(
        organization={"id": str(uuid.uuid4()), "name": "Example Co", "urlKey": "example"},
        viewer_id=viewer["id"],
    )
    state.users[viewer["id"]] = viewer
    return state


class LinearEmulator(Emulator):
    """Linear's GraphQL API, in memory. Seed it with ``add_team``/``add_user``/``add_label``."""

    name = "linear"

    def __init__(self) -> None:
        super().__init__()
        self.schema: GraphQLSchema = linear_schema()
        self._documents: dict[str, tuple[DocumentNode, list[GraphQLError]]] = {}
        self.api_keys = {API_KEY}
        self.oauth_tokens = {OAUTH_TOKEN}
        self.state = _fresh_state()
        self._state_lock = threading.RLock()
        self._slow: list[_Slow] = []
        self._after_work: list[tuple[Callable[[GraphQLCall], bool], int]] = []
        self.customers_enabled = True
        """False: a workspace without Linear's Customers feature (customer fields are refused)."""
        self._sync_ids = itertools.count(1000)
        self._used = 0

    def routes(self) -> list[Any]:
        return [Route("/graphql", self._graphql, methods=["POST"])]

    @property
    def graphql_url(self) -> str:
        """Where a client sends its documents."""
        return f"{self.url}/graphql"

    # --- seeding ----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: state, recorded requests, faults and slow answers."""
        self.clear_faults()
        with self._state_lock:
            self.state = _fresh_state()
            self._slow.clear()
            self._after_work.clear()
            self.customers_enabled = True
            self._used = 0
        with self._lock:
            self.requests.clear()
            self.faulted.clear()

    def add_team(self, key: str, name: str | None = None) -> dict[str, Any]:
        """A team with Linear's default workflow states."""
        team_id = str(uuid.uuid4())
        team = {"id": team_id, "key": key, "name": name or key, "states": []}
        for state_name, state_type in [
            ("Backlog", "backlog"),
            ("Todo", "unstarted"),
            ("In Progress", "started"),
            ("Done", "completed"),
            ("Canceled", "canceled"),
        ]:
            team["states"].append({"id": str(uuid.uuid4()), "name": state_name, "type": state_type})
        with self._state_lock:
            self.state.teams[team_id] = team
            self.state.numbers[team_id] = itertools.count(1)
        return team

    def add_user(self, name: str, email: str, *, active: bool = True) -> dict[str, Any]:
        """A member of the workspace."""
        user = {
            "id": str(uuid.uuid4()),
            "name": name,
            "displayName": name.split()[0].lower(),
            "email": email,
            "active": active,
        }
        with self._state_lock:
            self.state.users[user["id"]] = user
        return user

    def add_label(self, name: str, *, team_key: str | None = None) -> dict[str, Any]:
        """A label of a team, or of the workspace when ``team_key`` is None."""
        team = self.team(team_key) if team_key else None
        label = {"id": str(uuid.uuid4()), "name": name, "color": "#bec2c8", "team": team}
        with self._state_lock:
            self.state.labels[label["id"]] = label
        return label

    def remove_label(self, label_id: str) -> None:
        """Delete a label, as a person tidying up would."""
        with self._state_lock:
            del self.state.labels[label_id]

    def add_issue(
        self,
        team_key: str,
        title: str,
        *,
        description: str = "",
        state_type: str = "unstarted",
    ) -> dict[str, Any]:
        """An issue someone filed by hand (or earlier), in the first state of ``state_type``."""
        team = self.team(team_key)
        with self._state_lock:
            issue = self._new_issue(
                team=team, issue_id=str(uuid.uuid4()), title=title, description=description
            )
            issue["state"] = _public_state(
                next(s for s in team["states"] if s["type"] == state_type)
            )
        return issue

    def add_customer(
        self,
        name: str,
        *,
        domains: Iterable[str] = (),
        owner_email: str | None = None,
        slack_channel_id: str | None = None,
        tier: str | None = None,
    ) -> dict[str, Any]:
        """A customer someone created in Linear (owner by a member's email)."""
        with self._state_lock:
            owner = None
            if owner_email is not None:
                owner = next(u for u in self.state.users.values() if u["email"] == owner_email)
            return self._new_customer(
                customer_id=str(uuid.uuid4()),
                name=name,
                domains=[d.lower() for d in domains],
                owner=owner,
                slack_channel_id=slack_channel_id,
                tier=tier,
            )

    def add_need(self, customer_id: str, issue_id: str, *, body: str = "") -> dict[str, Any]:
        """A customer need someone recorded by hand (or an intake integration did)."""
        with self._state_lock:
            need: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "body": body,
                "priority": 0.0,
                "customer": self.state.customers[customer_id],
                "issue": self.state.issues[issue_id],
                "attachment": None,
                "url": None,
                "createdAt": dt.datetime.now(dt.UTC).isoformat(),
                "updatedAt": dt.datetime.now(dt.UTC).isoformat(),
                "archivedAt": None,
            }
            self.state.needs[need["id"]] = need
            return need

    def move_issue(self, issue_id: str, state_type: str) -> dict[str, Any]:
        """Move an issue to its team's first state of ``state_type`` (what a person does in
        Linear), touching ``updatedAt``. Returns the issue as it now is."""
        with self._state_lock:
            issue = self.state.issues[issue_id]
            team = self.state.teams[issue["team"]["id"]]
            issue["state"] = _public_state(
                next(s for s in team["states"] if s["type"] == state_type)
            )
            issue["updatedAt"] = dt.datetime.now(dt.UTC).isoformat()
            return dict(issue)

    # --- faults -----------------------------------------------------------------------------------
    def rate_limit_next(
        self,
        count: int = 1,
        *,
        reset_in: float = 0.2,
        status: int = 400,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Answer the next ``count`` requests as Linear does when the request budget is spent."""
        reset_ms = int((time.time() + reset_in) * 1000)
        body = {
            "errors": [
                {
                    "message": "Rate limit exceeded",
                    "extensions": {
                        "type": "ratelimited",
                        "code": "RATELIMITED",
                        "statusCode": 429,
                        "userError": True,
                        "userPresentableMessage": "Too many requests. Please try again later.",
                    },
                }
            ]
        }
        headers = {
            "X-RateLimit-Requests-Limit": str(REQUESTS_LIMIT),
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": str(reset_ms),
            "X-RateLimit-Complexity-Limit": str(COMPLEXITY_LIMIT),
            "X-RateLimit-Complexity-Remaining": str(COMPLEXITY_LIMIT),
            "X-RateLimit-Complexity-Reset": str(int(time.time() * 1000) + 3_600_000),
        }
        self.fail_next(count, Fault(status=status, body=body, headers=headers), when=when)

    def answer_slowly(
        self,
        seconds: float,
        *,
        count: int = 1,
        when: Callable[[GraphQLCall], bool] | None = None,
    ) -> None:
        """Do the work of the next ``count`` matching requests, then wait before answering.

        Unlike a ``Fault`` hang, the work is done: a client that times out has, in fact,
        created the issue.
        """
        with self._state_lock:
            for _ in range(count):
                self._slow.append(_Slow(when or (lambda _call: True), seconds))

    def answer_oddly(
        self, operation: str, path: str, shape: str = "missing", *, count: int = 1
    ) -> None:
        """Do the next ``count`` ``operation`` requests, then answer them bent at ``path``.

        ``path`` is inside ``data`` (``issueCreate.issue.identifier``; ``*`` for each node);
        ``shape`` is ``missing``, ``null``, ``wrong_type`` or ``not_object`` (see ``Oddity``).
        """
        self.answer_oddly_next(
            Oddity(f"data.{path}", shape), count=count, when=operation_is(operation)
        )

    def fail_after_work(
        self,
        status: int = 500,
        *,
        count: int = 1,
        when: Callable[[GraphQLCall], bool] | None = None,
    ) -> None:
        """Do the work of the next ``count`` matching requests, then answer ``status`` anyway.

        A proxy or Linear itself failing after the mutation was applied: the client sees a
        5xx for something that happened.
        """
        with self._state_lock:
            for _ in range(count):
                self._after_work.append((when or (lambda _call: True), status))

    # --- reading the record -----------------------------------------------------------------------
    def calls(self, operation: str | None = None, *, faulted: bool = False) -> list[GraphQLCall]:
        """GraphQL requests received (answered normally, or with a fault), optionally by name."""
        with self._lock:
            requests = list(self.faulted if faulted else self.requests)
        found = [_call_of(request) for request in requests if request.path == "/graphql"]
        return [call for call in found if operation is None or call.operation == operation]

    def team(self, key: str) -> dict[str, Any]:
        """The team with ``key``."""
        with self._state_lock:
            return next(t for t in self.state.teams.values() if t["key"] == key)

    def issues(self) -> list[dict[str, Any]]:
        """Every issue, in creation order."""
        with self._state_lock:
            return list(self.state.issues.values())

    def issue(self, issue_id: str) -> dict[str, Any] | None:
        """The issue with this id or identifier."""
        with self._state_lock:
            return self._find_issue(issue_id)

    def labels(self) -> list[dict[str, Any]]:
        """Every label."""
        with self._state_lock:
            return list(self.state.labels.values())

    def customers(self) -> list[dict[str, Any]]:
        """Every customer, in creation order."""
        with self._state_lock:
            return list(self.state.customers.values())

    def needs(self) -> list[dict[str, Any]]:
        """Every customer need, in creation order."""
        with self._state_lock:
            return list(self.state.needs.values())

    def attachments(self) -> list[dict[str, Any]]:
        """Every attachment, in creation order."""
        with self._state_lock:
            return list(self.state.attachments.values())

    # --- HTTP -------------------------------------------------------------------------------------
    async def _graphql(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._errors(400, [_graphql_error("Body must be JSON", "BAD_REQUEST")])
        call = GraphQLCall(
            operation=body.get("operationName"),
            variables=body.get("variables") or {},
            authorization=request.headers.get("authorization"),
        )
        if not self._authorized(call.authorization):
            return self._errors(
                401,
                [
                    {
                        "message": "Authentication required, not authenticated",
                        "extensions": {
                            "type": "authentication error",
                            "code": "AUTHENTICATION_ERROR",
                            "statusCode": 401,
                            "userError": True,
                            "userPresentableMessage": (
                                "You need to authenticate to access this operation."
                            ),
                            "meta": {},
                            "http": {"status": 401},
                        },
                    }
                ],
            )
        try:
            document, problems = self._checked(body.get("query") or "")
        except GraphQLSyntaxError as error:
            return self._errors(400, [_graphql_error(error, "GRAPHQL_PARSE_FAILED")])
        if problems:
            return self._errors(
                400, [_graphql_error(problem, "GRAPHQL_VALIDATION_FAILED") for problem in problems]
            )
        slow = self._take_slow(call)
        with self._state_lock:
            result = execute_sync(
                self.schema,
                document,
                root_value=_Root(self).fields(),
                variable_values=call.variables,
                operation_name=call.operation,
            )
        if slow:
            await asyncio.sleep(slow)
        after = self._take_after_work(call)
        if after:
            return self._json(after, {"errors": [{"message": "Internal server error"}]})
        errors = list(result.errors or [])
        if not errors:
            return self._json(200, {"data": result.data})
        status = 400
        rendered = []
        for error in errors:
            original = error.original_error
            if isinstance(original, LinearFailure):
                status = max(status, original.status)
                rendered.append(
                    {
                        "message": original.message,
                        "path": error.path,
                        "locations": _locations(error),
                        "extensions": original.extensions,
                    }
                )
            elif error.path is None:  # variables that do not fit their types
                rendered.append(_graphql_error(error, "BAD_USER_INPUT", type="invalid input"))
            else:  # a resolver bug, reported like Linear's 500s
                status = 500
                rendered.append(
                    _graphql_error(error, "INTERNAL_SERVER_ERROR", type="internal error")
                )
        return self._json(status, {"errors": rendered, "data": result.data})

    def _checked(self, query: str) -> tuple[DocumentNode, list[GraphQLError]]:
        """Parse and validate a document, once per distinct text (clients repeat the same few)."""
        cached = self._documents.get(query)
        if cached is None:
            document = parse(query)
            cached = (document, list(validate(self.schema, document)))
            self._documents[query] = cached
        return cached

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ") in self.oauth_tokens
        return header in self.api_keys

    def _take_slow(self, call: GraphQLCall) -> float:
        with self._state_lock:
            for index, slow in enumerate(self._slow):
                if slow.when(call):
                    del self._slow[index]
                    return slow.seconds
        return 0.0

    def _take_after_work(self, call: GraphQLCall) -> int:
        with self._state_lock:
            for index, (when, status) in enumerate(self._after_work):
                if when(call):
                    del self._after_work[index]
                    return status
        return 0

    def _headers(self) -> dict[str, str]:
        now_ms = int(time.time() * 1000)
        with self._state_lock:
            self._used += 1
            remaining = max(REQUESTS_LIMIT - self._used, 0)
        return {
            "X-RateLimit-Requests-Limit": str(REQUESTS_LIMIT),
            "X-RateLimit-Requests-Remaining": str(remaining),
            "X-RateLimit-Requests-Reset": str(now_ms + 3_600_000),
            "X-RateLimit-Complexity-Limit": str(COMPLEXITY_LIMIT),
            "X-RateLimit-Complexity-Remaining": str(COMPLEXITY_LIMIT - 10 * self._used),
            "X-RateLimit-Complexity-Reset": str(now_ms + 3_600_000),
            "X-Complexity": "10",
        }

    def _json(self, status: int, payload: Any) -> Response:
        return JSONResponse(payload, status_code=status, headers=self._headers())

    def _errors(self, status: int, errors: list[dict[str, Any]]) -> Response:
        return self._json(status, {"errors": errors})

    # --- the workspace, for the resolvers (called with the state lock held) ------------------------
    def _next_sync_id(self) -> float:
        return float(next(self._sync_ids))

    def _find_issue(self, key: str) -> dict[str, Any] | None:
        found = self.state.issues.get(key)
        if found is not None:
            return found
        return next((i for i in self.state.issues.values() if i["identifier"] == key), None)

    def _new_customer(
        self,
        *,
        customer_id: str,
        name: str,
        domains: list[str],
        owner: dict[str, Any] | None = None,
        slack_channel_id: str | None = None,
        tier: str | None = None,
    ) -> dict[str, Any]:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "customer"
        now = dt.datetime.now(dt.UTC).isoformat()
        customer: dict[str, Any] = {
            "id": customer_id,
            "name": name,
            "domains": domains,
            "externalIds": [],
            "slugId": slug,
            "url": f"https://linear.app/{self.state.organization['urlKey']}/customers/{slug}",
            "slackChannelId": slack_channel_id,
            "owner": owner,
            "tier": (
                {"id": str(uuid.uuid4()), "name": tier, "displayName": tier} if tier else None
            ),
            "approximateNeedCount": 0.0,
            "createdAt": now,
            "updatedAt": now,
            "archivedAt": None,
        }
        self.state.customers[customer_id] = customer
        return customer

    def _new_issue(
        self, *, team: dict[str, Any], issue_id: str, title: str, description: str = ""
    ) -> dict[str, Any]:
        number = next(self.state.numbers[team["id"]])
        identifier = f"{team['key']}-{number}"
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        issue: dict[str, Any] = {
            "id": issue_id,
            "identifier": identifier,
            "number": number,
            "title": title,
            "description": description,
            "priority": 0,
            "dueDate": None,
            "url": f"https://linear.app/{self.state.organization['urlKey']}/issue/{identifier}/{slug}",
            "team": _public_team(team),
            "state": _public_state(next(s for s in team["states"] if s["type"] == "unstarted")),
            "assignee": None,
            "labels": {"nodes": []},
            "createdAt": dt.datetime.now(dt.UTC).isoformat(),
            "updatedAt": dt.datetime.now(dt.UTC).isoformat(),
            "archivedAt": None,
            "trashed": False,
        }
        self.state.issues[issue_id] = issue
        return issue


class _Root:
    """The root query and mutation fields: graphql-core calls ``fields()[name](info, **args)``."""

    def __init__(self, emulator: LinearEmulator) -> None:
        self.emulator = emulator
        self.state = emulator.state

    def fields(self) -> dict[str, Callable[..., Any]]:
        return {
            "viewer": lambda _info: self.state.users[self.state.viewer_id],
            "organization": lambda _info: self.state.organization,
            "teams": self.teams,
            "users": self.users,
            "issueLabels": self.issue_labels,
            "issue": self.issue,
            "issues": self.issues,
            "issueLabelCreate": self.issue_label_create,
            "issueCreate": self.issue_create,
            "issueArchive": self.issue_archive,
            "customers": self._customers_feature(self.customers),
            "customer": self._customers_feature(self.customer),
            "customerCreate": self._customers_feature(self.customer_create),
            "customerNeed": self._customers_feature(self.customer_need),
            "customerNeeds": self._customers_feature(self.customer_needs),
            "customerNeedCreate": self._customers_feature(self.customer_need_create),
            "attachmentCreate": self.attachment_create,
        }

    # --- queries ----------------------------------------------------------------------------------
    def teams(self, _info: Any, **args: Any) -> dict[str, Any]:
        check_filter(args.get("filter"))
        teams = [_public_team(t) for t in self.state.teams.values()]
        return _connection([t for t in teams if matches(t, args.get("filter"))], args.get("first"))

    def users(self, _info: Any, **args: Any) -> dict[str, Any]:
        check_filter(args.get("filter"))
        found = [
            user
            for user in self.state.users.values()
            if (args.get("includeDisabled") or user["active"]) and matches(user, args.get("filter"))
        ]
        return _connection(found, args.get("first"))

    def issue_labels(self, _info: Any, **args: Any) -> dict[str, Any]:
        check_filter(args.get("filter"))
        found = [
            label for label in self.state.labels.values() if matches(label, args.get("filter"))
        ]
        return _connection(found, args.get("first"))

    def issue(self, _info: Any, **args: Any) -> dict[str, Any]:
        found = self.emulator._find_issue(args["id"])
        if found is None:
            raise not_found("Issue")
        return found

    def issues(self, _info: Any, **args: Any) -> dict[str, Any]:
        check_filter(args.get("filter"))
        found = [
            issue
            for issue in self.state.issues.values()
            if (args.get("includeArchived") or issue["archivedAt"] is None)
            and matches(issue, args.get("filter"))
        ]
        return _connection(found, args.get("first"))

    # --- mutations --------------------------------------------------------------------------------
    def issue_label_create(self, _info: Any, **args: Any) -> dict[str, Any]:
        data: Mapping[str, Any] = args["input"]
        name = str(data.get("name") or "").strip()
        if not name:
            raise argument_error("name", "isNotEmpty", "name should not be empty")
        team = None
        if data.get("teamId"):
            team = self.state.teams.get(data["teamId"])
            if team is None:
                raise not_found("Team")
        for label in self.state.labels.values():
            same_scope = label["team"] is None or team is None or label["team"]["id"] == team["id"]
            if same_scope and label["name"].casefold() == name.casefold():
                raise LinearFailure(
                    "duplicate label name", presentable=f"A label named {name} already exists."
                )
        label = {
            "id": data.get("id") or str(uuid.uuid4()),
            "name": name,
            "color": data.get("color") or "#bec2c8",
            "team": _public_team(team) if team else None,
        }
        self.state.labels[label["id"]] = label
        return {"success": True, "issueLabel": label, "lastSyncId": self.emulator._next_sync_id()}

    def issue_create(self, _info: Any, **args: Any) -> dict[str, Any]:
        data: Mapping[str, Any] = args["input"]
        team = self.state.teams.get(data["teamId"])
        if team is None:
            raise not_found("Team")
        issue_id = data.get("id")
        if issue_id is not None:
            if not _is_uuid4(issue_id):
                raise argument_error("id", "isUuid", "id must be a UUID")
            if issue_id in self.state.issues:
                raise LinearFailure(
                    "Issue with this id already exists",
                    presentable="An issue with this id already exists.",
                )
        title = str(data.get("title") or "").strip()
        if not title:
            raise argument_error("title", "isNotEmpty", "title should not be empty")
        if len(title.encode("utf-16-le")) // 2 > TITLE_MAX_LENGTH:
            # Linear counts JavaScript string length (UTF-16 units) and refuses longer titles.
            raise argument_error(
                "title",
                "maxLength",
                f"title must be shorter than or equal to {TITLE_MAX_LENGTH} characters",
            )
        priority = data.get("priority") or 0
        if not 0 <= priority <= 4:
            raise argument_error("priority", "max", "priority must not be greater than 4")
        due = data.get("dueDate")
        if due is not None and not _is_date(due):
            raise argument_error("dueDate", "isTimelessDate", "dueDate must be a valid date")
        assignee = None
        if data.get("assigneeId"):
            assignee = self.state.users.get(data["assigneeId"])
            if assignee is None:
                raise not_found("User")
        labels = [self._label_for(team, label_id) for label_id in data.get("labelIds") or []]
        issue = self.emulator._new_issue(
            team=team,
            issue_id=issue_id or str(uuid.uuid4()),
            title=title,
            description=data.get("description") or "",
        )
        issue.update(
            {
                "priority": priority,
                "dueDate": due,
                "assignee": assignee,
                "labels": {"nodes": labels},
            }
        )
        return {"success": True, "issue": issue, "lastSyncId": self.emulator._next_sync_id()}

    def issue_archive(self, _info: Any, **args: Any) -> dict[str, Any]:
        issue = self.emulator._find_issue(args["id"])
        if issue is None:
            raise not_found("Issue")
        issue["archivedAt"] = dt.datetime.now(dt.UTC).isoformat()
        issue["trashed"] = bool(args.get("trash"))
        return {"success": True, "entity": issue, "lastSyncId": self.emulator._next_sync_id()}

    # --- customers, customer needs and attachments -------------------------------------------------
    def _customers_feature(self, resolver: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(info: Any, **args: Any) -> Any:
            if not self.emulator.customers_enabled:
                raise LinearFailure(
                    "Customers are not enabled for this workspace",
                    type="forbidden",
                    code="FORBIDDEN",
                    status=403,
                )
            return resolver(info, **args)

        return guarded

    def customers(self, _info: Any, **args: Any) -> dict[str, Any]:
        check_filter(args.get("filter"))
        found = [
            customer
            for customer in self.state.customers.values()
            if customer["archivedAt"] is None and matches(customer, args.get("filter"))
        ]
        return _connection(found, args.get("first"))

    def customer(self, _info: Any, **args: Any) -> dict[str, Any]:
        key = args["id"]
        for customer in self.state.customers.values():
            if key in (customer["id"], customer["slugId"]):
                return customer
        raise not_found("Customer")

    def customer_create(self, _info: Any, **args: Any) -> dict[str, Any]:
        data: Mapping[str, Any] = args["input"]
        customer_id = data.get("id")
        if customer_id is not None:
            if not _is_uuid4(customer_id):
                raise argument_error("id", "isUuid", "id must be a UUID")
            if customer_id in self.state.customers:
                raise LinearFailure(
                    "Customer with this id already exists",
                    presentable="A customer with this id already exists.",
                )
        name = str(data.get("name") or "").strip()
        if not name:
            raise argument_error("name", "isNotEmpty", "name should not be empty")
        domains = [str(d).strip().lower() for d in data.get("domains") or []]
        for domain in domains:
            if domain in PUBLIC_EMAIL_DOMAINS:
                raise argument_error(
                    "domains", "isNotPublicDomain", f"{domain} is a public email domain"
                )
            if not _DOMAIN.fullmatch(domain):
                raise argument_error("domains", "isFQDN", f"{domain} is not a domain")
            if domain.count(".") > 1:
                # Linear takes apex domains only; two labels is this emulator's rule for one.
                raise argument_error("domains", "isApexDomain", f"{domain} is not an apex domain")
            taken = next((c for c in self.state.customers.values() if domain in c["domains"]), None)
            if taken is not None:
                raise LinearFailure(
                    "domain already in use",
                    presentable=f"The domain {domain} already belongs to {taken['name']}.",
                )
        owner = None
        if data.get("ownerId"):
            owner = self.state.users.get(data["ownerId"])
            if owner is None:
                raise not_found("User")
        customer = self.emulator._new_customer(
            customer_id=customer_id or str(uuid.uuid4()),
            name=name,
            domains=list(dict.fromkeys(domains)),
            owner=owner,
            slack_channel_id=data.get("slackChannelId"),
        )
        return {"success": True, "customer": customer, "lastSyncId": self.emulator._next_sync_id()}

    def customer_need(self, _info: Any, **args: Any) -> dict[str, Any]:
        need = self.state.needs.get(args.get("id") or "")
        if need is None:
            raise not_found("CustomerNeed")
        return need

    def customer_needs(self, _info: Any, **args: Any) -> dict[str, Any]:
        check_filter(args.get("filter"))
        found = [
            need
            for need in self.state.needs.values()
            if need["archivedAt"] is None and matches(need, args.get("filter"))
        ]
        return _connection(found, args.get("first"))

    def customer_need_create(self, _info: Any, **args: Any) -> dict[str, Any]:
        data: Mapping[str, Any] = args["input"]
        need_id = data.get("id")
        if need_id is not None:
            if not _is_uuid4(need_id):
                raise argument_error("id", "isUuid", "id must be a UUID")
            if need_id in self.state.needs:
                raise LinearFailure(
                    "Customer need with this id already exists",
                    presentable="A customer need with this id already exists.",
                )
        if data.get("customerId") and data.get("customerExternalId"):
            raise argument_error(
                "customerId",
                "conflictsWith",
                "customerId cannot be used together with customerExternalId",
            )
        if data.get("body") is not None and data.get("bodyData") is not None:
            raise argument_error("body", "conflictsWith", "body cannot be used with bodyData")
        customer = None
        if data.get("customerId"):
            customer = self.state.customers.get(data["customerId"])
            if customer is None:
                raise not_found("Customer")
        elif data.get("customerExternalId"):
            external = data["customerExternalId"]
            customer = next(
                (c for c in self.state.customers.values() if external in c["externalIds"]), None
            )
            if customer is None:
                raise not_found("Customer")
        if not data.get("issueId") and not data.get("projectId"):
            raise argument_error(
                "issueId", "isDefined", "either issueId or projectId must be provided"
            )
        issue = self.emulator._find_issue(data["issueId"]) if data.get("issueId") else None
        if data.get("issueId") and issue is None:
            raise not_found("Issue")
        priority = data.get("priority") or 0
        if priority not in (0, 1):
            raise argument_error("priority", "isIn", "priority must be 0 or 1")
        attachment = None
        if data.get("attachmentUrl") and issue is not None:
            attachment = self._attach(issue, url=data["attachmentUrl"], title=data["attachmentUrl"])
        now = dt.datetime.now(dt.UTC).isoformat()
        need_id = need_id or str(uuid.uuid4())
        need: dict[str, Any] = {
            "id": need_id,
            "body": data.get("body"),
            "priority": float(priority),
            "customer": customer,
            "issue": issue,
            "attachment": attachment,
            "url": attachment["url"] if attachment else None,
            "createdAt": now,
            "updatedAt": now,
            "archivedAt": None,
        }
        self.state.needs[need_id] = need
        if customer is not None:
            customer["approximateNeedCount"] += 1
        return {"success": True, "need": need, "lastSyncId": self.emulator._next_sync_id()}

    def attachment_create(self, _info: Any, **args: Any) -> dict[str, Any]:
        data: Mapping[str, Any] = args["input"]
        issue = self.emulator._find_issue(data["issueId"])
        if issue is None:
            raise not_found("Issue")
        url = str(data.get("url") or "").strip()
        if not _URL.fullmatch(url):
            raise argument_error("url", "isUrl", "url must be a URL address")
        title = str(data.get("title") or "").strip()
        if not title:
            raise argument_error("title", "isNotEmpty", "title should not be empty")
        attachment = self._attach(issue, url=url, title=title, subtitle=data.get("subtitle"))
        return {
            "success": True,
            "attachment": attachment,
            "lastSyncId": self.emulator._next_sync_id(),
        }

    def _attach(
        self, issue: dict[str, Any], *, url: str, title: str, subtitle: str | None = None
    ) -> dict[str, Any]:
        """Linear's rule: one attachment per URL on an issue; a second create updates it."""
        now = dt.datetime.now(dt.UTC).isoformat()
        key = (issue["id"], url)
        attachment = self.state.attachments.get(key)
        if attachment is None:
            attachment = {
                "id": str(uuid.uuid4()),
                "url": url,
                "issue": issue,
                "metadata": {},
                "groupBySource": False,
                "createdAt": now,
                "archivedAt": None,
            }
            self.state.attachments[key] = attachment
        attachment.update({"title": title, "subtitle": subtitle, "updatedAt": now})
        return attachment

    def _label_for(self, team: Mapping[str, Any], label_id: str) -> dict[str, Any]:
        label = self.state.labels.get(label_id)
        if label is None:
            raise not_found("IssueLabel")
        if label["team"] is not None and label["team"]["id"] != team["id"]:
            raise LinearFailure(
                "label belongs to another team",
                presentable=f"The label {label['name']} belongs to another team.",
            )
        return label


# --- filters (the subset of Linear's filter language the resolvers need) ----------------------------

_STRING_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda v, x: v == x,
    "neq": lambda v, x: v != x,
    "in": lambda v, x: v in x,
    "nin": lambda v, x: v not in x,
    "eqIgnoreCase": lambda v, x: _fold(v) == _fold(x),
    "neqIgnoreCase": lambda v, x: _fold(v) != _fold(x),
    "contains": lambda v, x: v is not None and x in v,
    "notContains": lambda v, x: v is None or x not in v,
    "containsIgnoreCase": lambda v, x: v is not None and _fold(x) in _fold(v),
    "containsIgnoreCaseAndAccent": lambda v, x: v is not None and _fold(x) in _fold(v),
    "notContainsIgnoreCase": lambda v, x: v is None or _fold(x) not in _fold(v),
    "startsWith": lambda v, x: v is not None and v.startswith(x),
    "startsWithIgnoreCase": lambda v, x: v is not None and _fold(v).startswith(_fold(x)),
    "notStartsWith": lambda v, x: v is None or not v.startswith(x),
    "endsWith": lambda v, x: v is not None and v.endswith(x),
    "notEndsWith": lambda v, x: v is None or not v.endswith(x),
    "null": lambda v, x: (v is None) == bool(x),
    "lt": lambda v, x: v is not None and v < x,
    "lte": lambda v, x: v is not None and v <= x,
    "gt": lambda v, x: v is not None and v > x,
    "gte": lambda v, x: v is not None and v >= x,
}


_STRING_OP_NAMES = frozenset(_STRING_OPS)

# Fields the emulator keeps for teams, users, labels, issues and workflow states.
_FILTERABLE = {
    "id",
    "key",
    "name",
    "displayName",
    "email",
    "active",
    "title",
    "description",
    "team",
    "state",
    "type",
    "labels",
    "assignee",
    "priority",
    "dueDate",
    "number",
    "domains",
    "externalIds",
    "customer",
    "issue",
    "slackChannelId",
    "updatedAt",
}


def check_filter(condition: Any, where: str = "filter") -> None:
    """Refuse, up front, a filter this emulator would not evaluate faithfully."""
    if isinstance(condition, list):
        for part in condition:
            check_filter(part, where)
        return
    if not isinstance(condition, Mapping):
        return
    for key, value in condition.items():
        if key in ("and", "or"):
            check_filter(value, where)
        elif key in _STRING_OPS or key in ("some", "every"):
            if isinstance(value, Mapping):
                check_filter(value, f"{where}.{key}")
        elif key in _FILTERABLE:
            check_filter(value, f"{where}.{key}")
        else:
            raise _unsupported(f"filter field or comparator {where}.{key}")


def matches(item: Mapping[str, Any] | None, condition: Mapping[str, Any] | None) -> bool:
    """Whether ``item`` passes a Linear filter (``and``/``or``, nested objects, comparators)."""
    if not condition:
        return True
    if item is not None and not isinstance(item, dict):
        # An element of a list of strings (``domains: {some: {in: [...]}}``).
        return all(_STRING_OPS[op](item, operand) for op, operand in condition.items())
    for key, wanted in condition.items():
        if key == "and":
            # Plain conditions before "or" groups: same answer, and the selective ones (team,
            # customer) usually settle it before a dozen title words are tried.
            ordered = sorted(wanted, key=lambda part: "or" in part)
            ok = all(matches(item, part) for part in ordered)
        elif key == "or":
            ok = any(matches(item, part) for part in wanted)
        elif key == "null":
            ok = (item is None) == bool(wanted)
        elif item is None:
            ok = False
        else:
            ok = _matches_field(item.get(key), wanted, key)
        if not ok:
            return False
    return True


def _matches_field(value: Any, wanted: Mapping[str, Any], key: str) -> bool:
    # Stored objects are plain dicts: ``dict`` checks are much cheaper than ``Mapping`` ones.
    if isinstance(value, dict) and "nodes" in value:
        value = value["nodes"]
    if isinstance(value, list):
        if set(wanted) - {"some", "every"}:
            raise _unsupported(f"collection filter {sorted(wanted)} on {key}")
        some = wanted.get("some")
        every = wanted.get("every")
        return (some is None or any(matches(v, some) for v in value)) and (
            every is None or all(matches(v, every) for v in value)
        )
    if isinstance(value, dict) or (value is None and not set(wanted) <= _STRING_OP_NAMES):
        return matches(value, wanted)
    for op, operand in wanted.items():
        if op not in _STRING_OPS:
            raise _unsupported(f"comparator {op} on {key}")
        if not _STRING_OPS[op](value, operand):
            return False
    return True


def _unsupported(what: str) -> LinearFailure:
    return LinearFailure(f"the Linear emulator does not implement the {what}", code="EMULATOR")


def _fold(value: Any) -> str:
    return _fold_text(str(value or ""))


@functools.lru_cache(maxsize=1 << 16)
def _fold_text(text: str) -> str:
    # Searches compare the same titles and descriptions again and again (every dedupe search
    # scans every issue); folding each once keeps a busy emulator from becoming the bottleneck.
    return text.casefold()


def _is_uuid4(value: str) -> bool:
    try:
        parsed = uuid.UUID(value)
    except (TypeError, ValueError):
        return False
    return parsed.version == 4 and str(parsed) == value.lower()


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


# --- shapes -------------------------------------------------------------------------------------


def _connection(nodes: list[dict[str, Any]], first: int | None) -> dict[str, Any]:
    page = nodes[: first or 50]
    return {
        "nodes": page,
        "pageInfo": {
            "hasNextPage": len(nodes) > len(page),
            "hasPreviousPage": False,
            "startCursor": page[0]["id"] if page else None,
            "endCursor": page[-1]["id"] if page else None,
        },
    }


def _public_team(team: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": team["id"], "key": team["key"], "name": team["name"]}


def _public_state(state: Mapping[str, Any]) -> dict[str, Any]:
    return dict(state)


def _locations(error: GraphQLError) -> list[dict[str, int]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


_SINGLE_QUOTED = re.compile(r"'([^'\s]*)'")


def _graphql_error(
    error: GraphQLError | str, code: str, *, type: str = "graphql error"
) -> dict[str, Any]:
    # graphql-core quotes names with ' where graphql-js, which Linear runs, uses ".
    message = _SINGLE_QUOTED.sub(r'"\1"', error if isinstance(error, str) else error.message)
    rendered: dict[str, Any] = {
        "message": message,
        "extensions": {
            "http": {"status": 400, "headers": {}},
            "code": code,
            "type": type,
            "userError": True,
        },
    }
    if isinstance(error, GraphQLError):
        locations = _locations(error)
        if locations:
            rendered["locations"] = locations
    return rendered


def _call_of(request: RecordedRequest) -> GraphQLCall:
    try:
        body = request.json()
    except ValueError:
        body = {}
    operation = body.get("operationName")
    if operation is None and body.get("query"):
        try:
            definitions = parse(body["query"]).definitions
            named = [
                d.name.value
                for d in definitions
                if isinstance(d, OperationDefinitionNode) and d.name is not None
            ]
            operation = named[0] if len(named) == 1 else None
        except GraphQLError:
            operation = None
    return GraphQLCall(
        operation=operation,
        variables=body.get("variables") or {},
        authorization=request.headers.get("authorization"),
    )


def operation_is(name: str) -> Callable[[RecordedRequest], bool]:
    """A ``when=`` for faults: requests for the operation called ``name``."""

    def check(request: RecordedRequest) -> bool:
        return _call_of(request).operation == name

    return check


def seed(
    emulator: LinearEmulator, *, team: str = "CS", people: Iterable[tuple[str, str]] = ()
) -> None:
    """A workspace with team ``team`` and ``people`` (name, email) as members."""
    emulator.add_team(team, "Customer Success")
    for name, email in people:
        emulator.add_user(name, email)
