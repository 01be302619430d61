"""The Linear emulator answers the way Linear does: the checks the adapter tests rely on."""

from __future__ import annotations

import time

import httpx
import pytest

from ..emulators.linear import API_KEY, OAUTH_TOKEN, LinearEmulator


def post(
    emulator: LinearEmulator, query: str, *, auth: str | None = API_KEY, **variables: object
) -> httpx.Response:
    headers = {"Authorization": auth} if auth else {}
    return httpx.post(
        emulator.graphql_url, json={"query": query, "variables": variables}, headers=headers
    )


def test_a_document_that_does_not_fit_the_schema_is_a_400(linear_emulator: LinearEmulator) -> None:
    answer = post(linear_emulator, 'query { issue(id: "x") { id nosuchfield } }')
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["message"] == 'Cannot query field "nosuchfield" on type "Issue".'
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["locations"] == [{"line": 1, "column": 29}]


def test_a_document_that_does_not_parse_is_a_400(linear_emulator: LinearEmulator) -> None:
    answer = post(linear_emulator, "query { viewer { id }")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.parametrize("auth", [None, "lin_api_wrong", f"Bearer {API_KEY}", OAUTH_TOKEN])
def test_without_valid_credentials_it_is_a_401(
    linear_emulator: LinearEmulator, auth: str | None
) -> None:
    answer = post(linear_emulator, "query { viewer { id } }", auth=auth)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"


def test_a_good_request_gets_data_and_rate_limit_headers(linear_emulator: LinearEmulator) -> None:
    answer = post(linear_emulator, "query { viewer { name } }", auth=f"Bearer {OAUTH_TOKEN}")
    assert answer.status_code == 200
    assert answer.json() == {"data": {"viewer": {"name": "Avery Admin"}}}
    reset_ms = int(answer.headers["X-RateLimit-Requests-Reset"])
    assert reset_ms > time.time() * 1000
    assert int(answer.headers["X-RateLimit-Requests-Remaining"]) < 2500


def test_rate_limited_answers_are_400_with_ratelimited(linear_emulator: LinearEmulator) -> None:
    linear_emulator.rate_limit_next(1, reset_in=30)
    answer = post(linear_emulator, "query { viewer { id } }")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert answer.headers["X-RateLimit-Requests-Remaining"] == "0"
    assert post(linear_emulator, "query { viewer { id } }").status_code == 200


def test_refused_input_is_a_400_with_linears_error_shape(linear_emulator: LinearEmulator) -> None:
    team = linear_emulator.team("CS")
    create = "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success } }"
    answer = post(
        linear_emulator, create, input={"teamId": team["id"], "title": "x", "id": "not-a-uuid"}
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["data"] is None
    extensions = body["errors"][0]["extensions"]
    assert extensions["type"] == "invalid input" and extensions["userError"] is True
    assert extensions["validationErrors"][0]["property"] == "id"
    wrong_type = post(linear_emulator, create, input={"teamId": team["id"], "priority": "high"})
    assert wrong_type.status_code == 400
    assert "priority" in wrong_type.json()["errors"][0]["message"]


def test_an_over_long_title_is_refused_counted_as_linear_counts(
    linear_emulator: LinearEmulator,
) -> None:
    team = linear_emulator.team("CS")
    create = "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success } }"
    longest = post(linear_emulator, create, input={"teamId": team["id"], "title": "x" * 255})
    assert longest.status_code == 200
    too_long = post(linear_emulator, create, input={"teamId": team["id"], "title": "x" * 256})
    assert too_long.status_code == 400
    errors = too_long.json()["errors"][0]["extensions"]["validationErrors"]
    assert errors[0]["property"] == "title" and "maxLength" in errors[0]["constraints"]
    # 128 emoji are 256 UTF-16 units: over the limit for Linear although 128 code points.
    emoji = post(linear_emulator, create, input={"teamId": team["id"], "title": "🎉" * 128})
    assert emoji.status_code == 400


def test_an_unsupported_filter_fails_loudly(linear_emulator: LinearEmulator) -> None:
    answer = post(
        linear_emulator,
        'query { issues(filter: { title: { startsWithIgnoreCase: "a" }, estimate: { eq: 1 } }) { nodes { id } } }',
    )
    assert answer.status_code == 400
    assert "does not implement" in answer.json()["errors"][0]["message"]
