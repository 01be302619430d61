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


# --- customers, customer needs and attachments -----------------------------------------------------

CUSTOMERS_BY_DOMAIN = """
query($domains: [String!]!) {
  customers(filter: { domains: { some: { in: $domains } } }) { nodes { id name owner { email } } }
}
"""
CREATE_CUSTOMER = """
mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } } }
"""
CREATE_NEED = """
mutation($input: CustomerNeedCreateInput!) { customerNeedCreate(input: $input) { need { id } } }
"""
CREATE_ATTACHMENT = """
mutation($input: AttachmentCreateInput!) {
  attachmentCreate(input: $input) { attachment { id title } }
}
"""


def _issue(emulator: LinearEmulator) -> dict[str, object]:
    return emulator.add_issue("CS", "Send the revised pricing proposal")


def test_customers_are_found_by_any_of_their_domains(linear_emulator: LinearEmulator) -> None:
    dana = linear_emulator.add_user("Dana Reyes", "dana@ours.example")
    acme = linear_emulator.add_customer(
        "Acme Freight", domains=["acmefreight.example", "acme.example"], owner_email=dana["email"]
    )
    linear_emulator.add_customer("Globex", domains=["globex.example"])
    answer = post(linear_emulator, CUSTOMERS_BY_DOMAIN, domains=["acme.example", "other.example"])
    assert answer.json()["data"]["customers"]["nodes"] == [
        {"id": acme["id"], "name": "Acme Freight", "owner": {"email": "dana@ours.example"}}
    ]
    none = post(linear_emulator, CUSTOMERS_BY_DOMAIN, domains=["initech.example"])
    assert none.json()["data"]["customers"]["nodes"] == []


def test_customer_create_checks_ids_and_domains_as_linear_does(
    linear_emulator: LinearEmulator,
) -> None:
    linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    cases = [
        ({"name": "Gmail folks", "domains": ["gmail.com"]}, "domains"),
        ({"name": "Twice", "domains": ["acmefreight.example"]}, None),
        ({"name": "", "domains": []}, "name"),
        ({"name": "Bad id", "id": "not-a-uuid"}, "id"),
    ]
    for given, field in cases:
        answer = post(linear_emulator, CREATE_CUSTOMER, input=given)
        assert answer.status_code == 400, given
        extensions = answer.json()["errors"][0]["extensions"]
        if field is not None:
            assert extensions["validationErrors"][0]["property"] == field
    customer_id = "2f1b7c1e-9d4a-4c3b-8e2f-6a5d4c3b2a10"
    made = post(linear_emulator, CREATE_CUSTOMER, input={"id": customer_id, "name": "Globex"})
    assert made.json()["data"]["customerCreate"]["customer"]["id"] == customer_id
    again = post(linear_emulator, CREATE_CUSTOMER, input={"id": customer_id, "name": "Globex"})
    assert again.status_code == 400
    assert [c["name"] for c in linear_emulator.customers()] == ["Acme Freight", "Globex"]


def test_a_need_is_created_once_under_its_id_and_needs_an_issue(
    linear_emulator: LinearEmulator,
) -> None:
    acme = linear_emulator.add_customer("Acme Freight", domains=["acmefreight.example"])
    issue = _issue(linear_emulator)
    need_id = "6c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
    need = {"id": need_id, "customerId": acme["id"], "issueId": issue["id"], "body": "> asked"}
    assert post(linear_emulator, CREATE_NEED, input=need).status_code == 200
    assert post(linear_emulator, CREATE_NEED, input=need).status_code == 400
    [stored] = linear_emulator.needs()
    assert stored["customer"]["id"] == acme["id"] and stored["issue"]["id"] == issue["id"]

    refused = [
        {"customerId": acme["id"], "body": "no issue"},
        {"customerId": acme["id"], "customerExternalId": "x", "issueId": issue["id"]},
        {"customerId": acme["id"], "issueId": issue["id"], "priority": 3},
        {"customerId": "f" * 8 + "-0000-4000-8000-" + "0" * 12, "issueId": issue["id"]},
    ]
    for given in refused:
        assert post(linear_emulator, CREATE_NEED, input=given).status_code == 400, given
    assert len(linear_emulator.needs()) == 1


def test_needs_are_filtered_by_customer_and_the_issues_state(
    linear_emulator: LinearEmulator,
) -> None:
    acme = linear_emulator.add_customer("Acme Freight")
    globex = linear_emulator.add_customer("Globex")
    open_issue = _issue(linear_emulator)
    done = linear_emulator.add_issue("CS", "Old pricing", state_type="completed")
    for customer, issue in ((acme, open_issue), (acme, done), (globex, open_issue)):
        post(
            linear_emulator,
            CREATE_NEED,
            input={"customerId": customer["id"], "issueId": issue["id"]},
        )
    query = """
    query($filter: CustomerNeedFilter!) { customerNeeds(filter: $filter) { nodes { issue { id } } } }
    """
    answer = post(
        linear_emulator,
        query,
        filter={
            "customer": {"id": {"eq": acme["id"]}},
            "issue": {"state": {"type": {"nin": ["completed", "canceled"]}}},
        },
    )
    assert answer.json()["data"]["customerNeeds"]["nodes"] == [{"issue": {"id": open_issue["id"]}}]


def test_an_attachment_is_one_per_url_on_an_issue(linear_emulator: LinearEmulator) -> None:
    first, second = _issue(linear_emulator), _issue(linear_emulator)
    url = "https://cs.ours.example/v1/calls/call-1"
    for issue, title in ((first, "Renewal sync"), (first, "Renewal sync (edited)"), (second, "x")):
        answer = post(
            linear_emulator,
            CREATE_ATTACHMENT,
            input={"issueId": issue["id"], "url": url, "title": title},
        )
        assert answer.status_code == 200
    attachments = linear_emulator.attachments()
    assert [(a["issue"]["id"], a["title"]) for a in attachments] == [
        (first["id"], "Renewal sync (edited)"),
        (second["id"], "x"),
    ]
    bad = post(
        linear_emulator,
        CREATE_ATTACHMENT,
        input={"issueId": first["id"], "url": "nope", "title": "t"},
    )
    assert bad.status_code == 400


def test_fail_after_work_applies_the_mutation_then_answers_500(
    linear_emulator: LinearEmulator,
) -> None:
    issue = _issue(linear_emulator)
    linear_emulator.fail_after_work(502)
    url = "https://cs.ours.example/v1/calls/call-1"
    answer = post(
        linear_emulator, CREATE_ATTACHMENT, input={"issueId": issue["id"], "url": url, "title": "t"}
    )
    assert answer.status_code == 502
    assert len(linear_emulator.attachments()) == 1
