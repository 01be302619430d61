"""Linear's refusals, as Linear words them, land in the right kind of the error taxonomy.

The bodies are Linear's own (an unauthenticated ``viewer`` query, an unknown field, an unknown
issue, the free plan's issue limit) or follow its documented shape (rate limits).
"""

from __future__ import annotations

from typing import Any

import pytest

from cs_agent.core.errors import RateLimited, RejectedInput, Unauthorized, Unavailable
from integrations.linear.errors import error_from_graphql, error_from_status, field_of, retry_after

NOW = 1_790_000_000.0  # seconds since the epoch; Linear's resets are in milliseconds

AUTH = {
    "message": "Authentication required, not authenticated",
    "extensions": {
        "type": "authentication error",
        "code": "AUTHENTICATION_ERROR",
        "statusCode": 401,
        "userError": True,
        "userPresentableMessage": "You need to authenticate to access this operation.",
        "meta": {},
        "http": {"status": 401},
    },
}
UNKNOWN_FIELD = {
    "message": 'Cannot query field "nosuchfield" on type "Issue".',
    "locations": [{"line": 1, "column": 16}],
    "extensions": {
        "http": {"status": 400, "headers": {}},
        "code": "GRAPHQL_VALIDATION_FAILED",
        "type": "graphql error",
        "userError": True,
    },
}
NOT_FOUND = {
    "message": "Entity not found: Team",
    "path": ["issueCreate"],
    "extensions": {
        "type": "invalid input",
        "code": "INPUT_ERROR",
        "statusCode": 400,
        "userError": True,
        "userPresentableMessage": "Could not find referenced Team.",
    },
}
USAGE_LIMIT = {
    "message": "usage limit exceeded",
    "extensions": {
        "code": "USAGE_LIMIT_EXCEEDED",
        "userError": True,
        "userPresentableMessage": "You've exceeded the free issue limit for this workspace.",
        "meta": {"usageMetric": "activeIssueCount"},
    },
}
RATE = {
    "message": "Rate limit exceeded",
    "extensions": {"type": "ratelimited", "code": "RATELIMITED", "statusCode": 429},
}
INTERNAL = {
    "message": "Something went wrong",
    "extensions": {"type": "internal error", "code": "INTERNAL_ERROR"},
}
VALIDATION = {
    "message": "Argument Validation Error",
    "extensions": {
        "type": "invalid input",
        "code": "INVALID_INPUT",
        "userPresentableMessage": "dueDate must be a valid date",
        "validationErrors": [{"property": "dueDate", "constraints": {"isDate": "..."}}],
    },
}


@pytest.mark.parametrize(
    ("error", "status", "kind", "field"),
    [
        (AUTH, 401, Unauthorized, None),
        (UNKNOWN_FIELD, 400, RejectedInput, None),
        (NOT_FOUND, 400, RejectedInput, "teamId"),
        (USAGE_LIMIT, 400, RejectedInput, None),
        (RATE, 400, RateLimited, None),
        (RATE, 429, RateLimited, None),
        (INTERNAL, 500, Unavailable, None),
        (INTERNAL, 200, Unavailable, None),
        (VALIDATION, 400, RejectedInput, "dueDate"),
        ({"message": "Forbidden", "extensions": {"type": "forbidden"}}, 403, Unauthorized, None),
        ({"message": "no extensions at all"}, 503, Unavailable, None),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_each_answer_maps_to_its_kind(
    error: dict[str, Any], status: int, kind: type, field: str | None
) -> None:
    mapped = error_from_graphql([error], status=status, headers={}, operation="CreateIssue")
    assert type(mapped) is kind
    assert mapped.system == "linear"
    assert mapped.message.startswith("CreateIssue: ")
    assert mapped.field == field


def test_linears_own_words_for_people_come_first() -> None:
    mapped = error_from_graphql([USAGE_LIMIT], status=400, headers={}, operation="CreateIssue")
    assert "exceeded the free issue limit" in str(mapped)
    auth = error_from_graphql([AUTH], status=401, headers={}, operation="Viewer")
    assert "CS_AGENT_LINEAR_API_KEY" in str(auth)


def test_rate_limit_wait_comes_from_the_exhausted_budgets_reset() -> None:
    headers = {
        "X-RateLimit-Requests-Remaining": "0",
        "X-RateLimit-Requests-Reset": str(int((NOW + 42) * 1000)),
        "X-RateLimit-Complexity-Remaining": "2999000",
        "X-RateLimit-Complexity-Reset": str(int((NOW + 3600) * 1000)),
    }
    mapped = error_from_graphql([RATE], status=400, headers=headers, operation="X", now=NOW)
    assert isinstance(mapped, RateLimited)
    assert mapped.retry_after == pytest.approx(42.0)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "3"}, 3.0),
        (
            {
                "x-ratelimit-complexity-remaining": "0",
                "x-ratelimit-complexity-reset": str(int((NOW + 9) * 1000)),
            },
            9.0,
        ),
        (
            {
                "X-RateLimit-Endpoint-Requests-Remaining": "0",
                "X-RateLimit-Endpoint-Requests-Reset": str(int(NOW + 5)),
            },
            5.0,
        ),
        ({"X-RateLimit-Requests-Reset": str(int((NOW - 5) * 1000))}, 0.0),
        ({}, None),
    ],
)
def test_retry_after_reads_every_form_linear_uses(
    headers: dict[str, str], wait: float | None
) -> None:
    assert retry_after(headers, now=NOW) == (pytest.approx(wait) if wait is not None else None)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, RateLimited),
        (401, Unauthorized),
        (403, Unauthorized),
        (502, Unavailable),
        (None, Unavailable),
        (404, RejectedInput),
    ],
)
def test_answers_without_a_graphql_body(status: int | None, kind: type) -> None:
    assert type(error_from_status(status, headers={}, operation="X")) is kind


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            'Variable "$input" got invalid value "x" at "input.dueDate"; Expected type "TimelessDate".',
            "input.dueDate",
        ),
        (
            "Variable '$input' has invalid value at .priority: Int cannot represent non-integer value: 'hi'",
            "priority",
        ),
        (
            "Variable '$input' has invalid value: Expected value of type 'IssueCreateInput' not to include unknown field 'due'",
            "due",
        ),
        ("title must be shorter than or equal to 255 characters", "title"),
        ("something else entirely", None),
    ],
)
def test_the_field_is_named_when_the_answer_allows(message: str, field: str | None) -> None:
    assert field_of({"message": message}, sent_fields={"title", "dueDate"}) == field
