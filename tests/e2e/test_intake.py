"""``POST /v1/transcripts`` on a secured server: who may post, what is refused and how, and that
what is accepted is stored for good before the answer."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings

from ..conftest import EXAMPLES
from .intake_helpers import LIMIT, SECRET, TOKEN, aclient, asgi_post, bearer, signed

VTT = (EXAMPLES / "acme-renewal.vtt").read_text(encoding="utf-8")
META = json.loads((EXAMPLES / "acme-renewal.meta.json").read_text(encoding="utf-8"))


@pytest.fixture
def secure_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_secret": SecretStr(SECRET),
            "api_token": SecretStr(TOKEN),
            "max_transcript_bytes": LIMIT,
        }
    )


@pytest.fixture
async def api_runtime(secure_settings: Settings) -> AsyncIterator[Runtime]:
    """An accepting-only runtime: workflows are enqueued, no worker runs them."""
    runtime = Runtime(secure_settings)
    await runtime.start(run_workflows=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def client(api_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(api_runtime.settings, runtime=api_runtime)):
        yield c


def body_of(**fields: Any) -> bytes:
    return json.dumps({"transcript": VTT, **fields}).encode()


def stored(data_dir: Path) -> tuple[set[str], dict[str, str]]:
    """Call ids and workflow statuses as committed, read through fresh connections."""
    app = sqlite3.connect(data_dir / "cs-agent.db")
    system = sqlite3.connect(data_dir / "workflows.db")
    try:
        calls = {row[0] for row in app.execute("SELECT id FROM calls")}
        flows = dict(system.execute("SELECT workflow_uuid, status FROM workflow_status"))
    finally:
        app.close()
        system.close()
    return calls, flows


# --- authentication ----------------------------------------------------------------------------


async def test_a_signed_request_is_accepted_and_committed_before_the_answer(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    body = body_of(**{**META, "source_id": "signed-1"})
    response = await client.post("/v1/transcripts", content=body, headers=signed(body))
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "received" and accepted["duplicate"] is False
    assert response.headers["location"] == accepted["status_url"]
    # Already committed when the answer arrived: other connections see the row and the job.
    calls, flows = stored(api_runtime.settings.data_dir)
    assert accepted["call_id"] in calls
    assert flows[f"process-call:{accepted['call_id']}"] == "ENQUEUED"
    status = await client.get(accepted["status_url"], headers=bearer())
    assert status.json()["status"] == "received"
    assert status.json()["customer"] == "Acme Freight"


@pytest.mark.parametrize(
    ("headers_for", "code"),
    [
        (lambda body: {"content-type": "application/json"}, "missing_credentials"),
        (lambda body: signed(body, secret="not-the-secret"), "bad_signature"),
        (lambda body: signed(body + b" "), "bad_signature"),
        (lambda body: signed(body, at=int(time.time()) - 301), "stale_signature"),
        (lambda body: signed(body, at=int(time.time()) + 301), "stale_signature"),
        (
            lambda body: {"content-type": "application/json", "x-cs-agent-signature": "v2=abc"},
            "malformed_signature",
        ),
        (
            lambda body: {
                "content-type": "application/json",
                "x-cs-agent-signature": f"t={int(time.time())},v1={'a' * 64}",
            },
            "unsupported_signature",
        ),
        (lambda body: signed(body, path="/v1/calls"), "bad_signature"),
        (lambda body: {"content-type": "application/json", **bearer("wrong")}, "bad_token"),
        (
            lambda body: {"content-type": "application/json", "authorization": f"Basic {TOKEN}"},
            "bad_token",
        ),
    ],
    ids=[
        "missing",
        "wrong-secret",
        "body-tampered",
        "stale",
        "future",
        "malformed",
        "old-v1-form",
        "signed-for-another-path",
        "wrong-token",
        "not-bearer",
    ],
)
async def test_unauthenticated_requests_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, api_runtime: Runtime, headers_for: Any, code: str
) -> None:
    body = body_of(source_id="refused")
    response = await client.post("/v1/transcripts", content=body, headers=headers_for(body))
    assert response.status_code == 401
    assert response.json()["error"] == code
    assert "Bearer" in response.headers["www-authenticate"]
    assert stored(api_runtime.settings.data_dir)[0] == set()


async def test_a_bearer_token_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/transcripts", json={"transcript": VTT}, headers=bearer())
    assert response.status_code == 202, response.text


async def test_an_exact_replay_is_the_same_call_even_with_another_idempotency_key(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    body = body_of()  # no source id: the identity comes from the key, or the content
    headers = {**signed(body), "idempotency-key": "first"}
    first = await client.post("/v1/transcripts", content=body, headers=headers)
    replay = await client.post("/v1/transcripts", content=body, headers=headers)
    rekeyed = await client.post(
        "/v1/transcripts", content=body, headers={**headers, "idempotency-key": "second"}
    )
    assert first.status_code == 202
    assert (replay.status_code, rekeyed.status_code) == (200, 200)
    assert first.json()["call_id"] == replay.json()["call_id"] == rekeyed.json()["call_id"]
    assert rekeyed.json()["duplicate"] is True
    calls, flows = stored(api_runtime.settings.data_dir)
    assert calls == {first.json()["call_id"]}
    assert len(flows) == 1


async def test_a_retry_signature_replayed_with_a_new_idempotency_key_is_refused(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    body = body_of()
    first = await client.post(
        "/v1/transcripts", content=body, headers={**signed(body), "idempotency-key": "k1"}
    )
    # The sender's retry, signed a second later: the same call, and its signature is used up.
    retry_headers = {**signed(body, at=int(time.time()) + 1), "idempotency-key": "k1"}
    retry = await client.post("/v1/transcripts", content=body, headers=retry_headers)
    replay = await client.post(
        "/v1/transcripts", content=body, headers={**retry_headers, "idempotency-key": "k2"}
    )
    assert (first.status_code, retry.status_code) == (202, 200)
    assert replay.status_code == 409, replay.text
    assert replay.json()["error"] == "replayed_signature"
    calls, flows = stored(api_runtime.settings.data_dir)
    assert calls == {first.json()["call_id"]}
    assert len(flows) == 1


async def test_a_signed_read_is_accepted_once_and_only_for_its_own_route(
    client: httpx.AsyncClient,
) -> None:
    posted = body_of(source_id="read-me")
    created = await client.post("/v1/transcripts", content=posted, headers=signed(posted))
    assert created.status_code == 202
    # The intake signature authorises nothing on the list, even with the same body.
    stolen = await client.request("GET", "/v1/calls", content=posted, headers=signed(posted))
    assert stolen.status_code == 401 and stolen.json()["error"] == "bad_signature"
    read = signed(b"", method="GET", path="/v1/calls", query="limit=5")
    first = await client.get("/v1/calls?limit=5", headers=read)
    again = await client.get("/v1/calls?limit=5", headers=read)
    other_query = await client.get("/v1/calls?limit=6", headers=read)
    assert first.status_code == 200, first.text
    assert first.json()["total"] == 1
    assert again.status_code == 409 and again.json()["error"] == "replayed_signature"
    assert other_query.status_code == 401


async def test_an_open_server_takes_unauthenticated_posts_and_refuses_signatures(
    runtime: Runtime,
) -> None:
    async for c in aclient(create_app(runtime.settings, runtime=runtime)):
        open_post = await c.post("/v1/transcripts", json={"transcript": VTT})
        assert open_post.status_code == 202
        body = body_of(source_id="x")
        refused = await c.post("/v1/transcripts", content=body, headers=signed(body))
        assert refused.status_code == 401
        assert refused.json()["error"] == "signatures_not_enabled"


# --- idempotency -------------------------------------------------------------------------------


async def test_idempotency_key_and_source_id(client: httpx.AsyncClient) -> None:
    keyed = {**bearer(), "idempotency-key": "upload-7"}
    first = await client.post("/v1/transcripts", json={"transcript": VTT}, headers=keyed)
    again = await client.post("/v1/transcripts", json={"transcript": VTT}, headers=keyed)
    other = await client.post("/v1/transcripts", json={"transcript": "Ann: hi"}, headers=keyed)
    assert (first.status_code, again.status_code, other.status_code) == (202, 200, 409)
    assert again.json()["call_id"] == first.json()["call_id"]
    assert other.json()["error"] == "idempotency_conflict"
    assert "upload-7" in other.json()["detail"]

    by_source = {"transcript": VTT, "source_id": "rec-1"}
    one = await client.post("/v1/transcripts", json=by_source, headers=bearer())
    two = await client.post("/v1/transcripts", json=by_source, headers=bearer())
    clash = await client.post(
        "/v1/transcripts", json={"transcript": "Ann: hi", "source_id": "rec-1"}, headers=bearer()
    )
    assert (one.status_code, two.status_code, clash.status_code) == (202, 200, 409)
    assert "rec-1" in clash.json()["detail"]


@pytest.mark.parametrize("key", ["", " leading-space", "x" * 256, "tab\there"])
async def test_a_bad_idempotency_key_is_refused_naming_the_header(
    client: httpx.AsyncClient, key: str
) -> None:
    response = await client.post(
        "/v1/transcripts", json={"transcript": VTT}, headers={**bearer(), "idempotency-key": key}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


# --- size --------------------------------------------------------------------------------------


async def test_a_declared_oversize_body_is_refused_before_it_is_read(api_runtime: Runtime) -> None:
    app = create_app(api_runtime.settings, runtime=api_runtime)
    chunks = [b"x" * 65536] * 10
    status, body, pulled = await asgi_post(
        app,
        "/v1/transcripts",
        {**bearer(), "content-type": "application/json", "content-length": str(65536 * 10)},
        chunks,
    )
    assert status == 413
    assert body["error"] == "too_large" and str(LIMIT) in body["detail"]
    assert pulled == 0


@pytest.mark.parametrize("declared", ["100", None], ids=["lying-length", "chunked"])
async def test_an_oversize_body_is_refused_while_it_streams(
    api_runtime: Runtime, declared: str | None
) -> None:
    app = create_app(api_runtime.settings, runtime=api_runtime)
    chunks = [b"x" * 65536] * 100  # 6.5 MB on offer
    headers = {**bearer(), "content-type": "application/json"}
    if declared is not None:
        headers["content-length"] = declared
    status, body, pulled = await asgi_post(app, "/v1/transcripts", headers, chunks)
    assert status == 413 and body["error"] == "too_large"
    # Reading stopped at the limit: never more than the limit and one chunk was asked for.
    assert pulled * 65536 <= LIMIT + 65536
    assert stored(api_runtime.settings.data_dir)[0] == set()


async def test_a_body_at_the_limit_is_read(client: httpx.AsyncClient) -> None:
    padding = LIMIT - len(json.dumps({"transcript": VTT, "title": ""}).encode())
    body = json.dumps({"transcript": VTT, "title": "t" * min(padding, 500)}).encode()
    body += b" " * (LIMIT - len(body))
    assert len(body) == LIMIT
    response = await client.post("/v1/transcripts", content=body, headers=signed(body))
    assert response.status_code == 202, response.text


# --- content type and encoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status", "code"),
    [
        (None, 415, "unsupported_media_type"),
        ("text/plain", 415, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("application/json; charset=latin-1", 415, "unsupported_charset"),
        ("application/json; charset=UTF-8", 202, None),
    ],
)
async def test_content_types(
    client: httpx.AsyncClient, content_type: str | None, status: int, code: str | None
) -> None:
    headers = bearer()
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.post("/v1/transcripts", content=body_of(), headers=headers)
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"] == code
        detail = response.json()["detail"]
        assert "application/json" in detail or "UTF-8" in detail


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        (b"", 400, "empty_body", "empty"),
        (b"  \n", 400, "empty_body", "empty"),
        ('{"transcript": "Ann: café"}'.encode("latin-1"), 400, "not_utf8", "byte 0xe9"),
        (b'{"transcript": "Ann: hi",}', 400, "malformed_json", "line 1, column"),
        (b'{"transcript":\n "Ann: hi"\n', 400, "malformed_json", "line 3"),
        (b"[" * 100_000, 400, "malformed_json", "nested"),
        (b'["Ann: hi"]', 422, "invalid_request", "a list"),
        (b'"Ann: hi"', 422, "invalid_request", "a str"),
        ("\ufeff".encode() + b'{"transcript": "Ann: hi"}', 202, None, ""),
    ],
    ids=[
        "empty",
        "blank",
        "latin-1",
        "trailing-comma",
        "unterminated",
        "deep",
        "list",
        "string",
        "bom",
    ],
)
async def test_bodies_that_are_not_a_json_object(
    client: httpx.AsyncClient, body: bytes, status: int, code: str | None, says: str
) -> None:
    response = await client.post(
        "/v1/transcripts", content=body, headers={**bearer(), "content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"] == code
        assert says in response.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "transcript"),
        ({"transcript": VTT, "custmer": {"name": "Acme"}}, "custmer"),
        ({"transcript": VTT, "customer": {"domain": "acme.example"}}, "customer.name"),
        ({"transcript": VTT, "call_date": "next Tuesday"}, "call_date"),
        ({"transcript": VTT, "attendees": [{"name": "Ann", "side": "them"}]}, "attendees.0.side"),
        ({"transcript": VTT, "format": "docx"}, "format"),
        ({"transcript": VTT, "title": "x" * 501}, "title"),
        ({"transcript": VTT, "source_id": ""}, "source_id"),
        ({"transcript": VTT, "title": "a\u0000b"}, "title"),
        ({"transcript": VTT, "customer": {"name": "\ud800"}}, "customer.name"),
        ({"transcript": "Ann: hello\nBob: \ud800\n"}, "transcript"),
        (
            {
                "transcript": VTT,
                "attendees": [
                    {"name": "Ann", "email": "ann@acme.example"},
                    {"name": "Tom", "email": "tom@acme.example\r\nBcc: hidden@evil.example"},
                ],
            },
            "attendees.1.email",
        ),
        (
            {
                "transcript": VTT,
                "attendees": [{"name": "Lena", "email": "lena@acme.example,hidden2@evil.example"}],
            },
            "attendees.0.email",
        ),
    ],
    ids=[
        "missing",
        "misspelt",
        "nested",
        "date",
        "enum-in-list",
        "format",
        "long",
        "empty-id",
        "nul",
        "surrogate",
        "surrogate-in-transcript",
        "email-with-header",
        "email-list",
    ],
)
async def test_invalid_fields_are_named(
    client: httpx.AsyncClient, fields: dict[str, Any], field: str
) -> None:
    # json.dumps escapes what httpx would refuse to encode (an unpaired surrogate).
    response = await client.post(
        "/v1/transcripts",
        content=json.dumps(fields).encode(),
        headers={**bearer(), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["field"] == field
    assert field in body["detail"]


# --- transcripts that do not parse -------------------------------------------------------------


BAD_TRANSCRIPTS = [
    ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhello\n", None, 3, "cue timing"),
    ("00:00:01.000 --> 00:00:02.000\nhello\n", "vtt", 1, "WEBVTT"),
    ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nAnn: hi\n", None, 3, "ends before it starts"),
    ("WEBVTT\n\nNOTE x\n\n00:00:01.000 --> 00:00:02.000\n<i></i>\n", None, None, "no utterances"),
    ("WEBVTT\n\n1\n2\n00:00:01.000 --> 00:00:02.000\nhi\n", None, 4, "cue timing"),
    (
        "1\n00:00:01,000 --> 00:00:02,000\nhi\n\nx\n00:00:03,000 --> 00:00:04,000\nyo\n",
        None,
        5,
        "cue number",
    ),
    ("just some words\nand more words\n", "text", 1, "names a speaker"),
    ("[12:75] Ann: hello\n", "text", 1, "a time like"),
    ('[{"speaker": "Ann", "text": "hi"}', "json", 1, "valid JSON"),
    ('[\n  {"text": "hi"}\n]', "json", 2, "speaker"),
    ('[{"speaker": "Ann", "text": "hi", "start": "soon"}]', None, 1, "start"),
    ('{"segments": 3}', None, None, "list of utterances"),
    ("   \n\t\n", None, None, "empty"),
    ("Ann: hello\nBob: hi\u0000\n", None, 2, "NUL"),
]


@pytest.mark.parametrize(("transcript", "fmt", "line", "says"), BAD_TRANSCRIPTS)
async def test_transcripts_that_do_not_parse_are_refused_naming_the_line(
    client: httpx.AsyncClient, transcript: str, fmt: str | None, line: int | None, says: str
) -> None:
    payload: dict[str, Any] = {"transcript": transcript}
    if fmt:
        payload["format"] = fmt
    response = await client.post(
        "/v1/transcripts",
        content=json.dumps(payload).encode(),
        headers={**bearer(), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "unparseable_transcript"
    assert body.get("line") == line
    if line is not None:
        assert f"line {line}" in body["detail"]
    assert says in body["detail"]


# --- multipart ---------------------------------------------------------------------------------


async def test_multipart_upload_with_metadata(client: httpx.AsyncClient) -> None:
    meta = {**META, "source_id": "upload-multipart"}
    response = await client.post(
        "/v1/transcripts",
        files={
            "file": ("call.vtt", VTT.encode(), "text/vtt"),
            "metadata": ("call.meta.json", json.dumps(meta).encode(), "application/json"),
        },
        headers=bearer(),
    )
    assert response.status_code == 202, response.text
    call = (await client.get(response.json()["status_url"], headers=bearer())).json()
    assert call["title"] == META["title"]
    assert call["customer"] == "Acme Freight"


async def test_a_signed_multipart_upload_and_a_format_from_the_file_name(
    client: httpx.AsyncClient,
) -> None:
    srt = (EXAMPLES / "globex-onboarding.srt").read_bytes()
    request = client.build_request(
        "POST",
        "/v1/transcripts",
        files={"file": ("globex.srt", srt, "application/octet-stream")},
        data={"metadata": json.dumps({"title": "Globex onboarding"})},
    )
    body = request.read()
    request.headers.update({"x-cs-agent-signature": signed(body)["x-cs-agent-signature"]})
    response = await client.send(request)
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        ("Ann: café\nBob: ok\n".encode("latin-1"), 1, "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), None, "PNG image"),
        ("Ann: hello\n".encode("utf-16-le"), None, "NUL bytes"),
    ],
    ids=["latin-1", "png", "utf-16-without-bom"],
)
async def test_uploaded_files_in_the_wrong_encoding(
    client: httpx.AsyncClient, content: bytes, line: int | None, says: str
) -> None:
    response = await client.post(
        "/v1/transcripts", files={"file": ("call.txt", content, "text/plain")}, headers=bearer()
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "unparseable_transcript"
    assert response.json().get("line") == line
    assert says in response.json()["detail"]


async def test_a_utf16_upload_with_a_byte_order_mark_is_read(client: httpx.AsyncClient) -> None:
    content = "Ann: hello there\nBob: hi\n".encode("utf-16")
    response = await client.post(
        "/v1/transcripts", files={"file": ("call.txt", content)}, headers=bearer()
    )
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("files", "data", "status", "field_or_code"),
    [
        (None, {"metadata": "{}"}, 422, "file"),
        ({"file": ("a.vtt", VTT.encode())}, {"notes": "hi"}, 422, "notes"),
        ({"file": ("a.vtt", VTT.encode())}, {"metadata": "{not json"}, 400, "malformed_json"),
        (
            {"file": ("a.vtt", VTT.encode())},
            {"metadata": '{"custmer": {}}'},
            422,
            "metadata.custmer",
        ),
    ],
    ids=["no-file", "unknown-field", "metadata-not-json", "metadata-unknown-field"],
)
async def test_multipart_mistakes(
    client: httpx.AsyncClient,
    files: dict[str, Any] | None,
    data: dict[str, str],
    status: int,
    field_or_code: str,
) -> None:
    if files is None:  # a multipart body with no file part
        files = {"placeholder": ("x", b"")}
        data = {**data}
    response = await client.post("/v1/transcripts", files=files, data=data, headers=bearer())
    if "placeholder" in files:
        assert response.status_code == 422
        assert response.json()["field"] == "placeholder"
        return
    assert response.status_code == status, response.text
    body = response.json()
    assert field_or_code in (body.get("field"), body["error"])


async def test_multipart_without_a_boundary_is_malformed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/transcripts",
        content=b"--x\r\n",
        headers={**bearer(), "content-type": "multipart/form-data"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_multipart"


# --- reading calls -----------------------------------------------------------------------------


async def test_reading_calls_needs_credentials_and_pages_with_a_next_link(
    client: httpx.AsyncClient,
) -> None:
    for n in range(3):
        posted = await client.post(
            "/v1/transcripts", json={"transcript": VTT, "source_id": f"page-{n}"}, headers=bearer()
        )
        assert posted.status_code == 202
    assert (await client.get("/v1/calls")).status_code == 401
    first = (await client.get("/v1/calls", params={"limit": 2}, headers=bearer())).json()
    assert first["total"] == 3 and len(first["calls"]) == 2
    assert first["next"] == "/v1/calls?limit=2&offset=2"
    second = (await client.get(first["next"], headers=bearer())).json()
    assert len(second["calls"]) == 1 and second["next"] is None
    seen = {c["call_id"] for c in first["calls"]} | {c["call_id"] for c in second["calls"]}
    assert len(seen) == 3
    received = (await client.get("/v1/calls?status=received", headers=bearer())).json()
    assert received["total"] == 3
    signed_get = await client.get(
        "/v1/calls",
        headers={
            "x-cs-agent-signature": signed(b"", method="GET", path="/v1/calls")[
                "x-cs-agent-signature"
            ]
        },
    )
    assert signed_get.status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/v1/calls?limit=0", 422, "limit"),
        ("/v1/calls?limit=many", 422, "limit"),
        ("/v1/calls?status=lost", 422, "status"),
        ("/v1/calls?offset=-1", 422, "offset"),
        ("/v1/calls/call-nope", 404, None),
        ("/v1/nothing-here", 404, None),
    ],
)
async def test_errors_of_the_framework_have_the_same_shape(
    client: httpx.AsyncClient, path: str, status: int, field: str | None
) -> None:
    response = await client.get(path, headers=bearer())
    assert response.status_code == status
    body = response.json()
    assert set(body) <= {"error", "detail", "line", "field"} and body["detail"]
    assert body.get("field") == field


async def test_a_wrong_method_has_the_same_shape(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/transcripts", headers=bearer())
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert "POST" in response.json()["detail"]


# --- storage failures --------------------------------------------------------------------------


async def test_a_database_that_cannot_store_gets_503_and_nothing_is_accepted(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    database = sqlite3.connect(api_runtime.settings.data_dir / "cs-agent.db")
    try:
        database.execute("ALTER TABLE calls RENAME TO calls_elsewhere")
        database.commit()
        response = await client.post("/v1/transcripts", json={"transcript": VTT}, headers=bearer())
        assert response.status_code == 503
        assert response.json()["error"] == "storage_unavailable"
        assert response.headers["retry-after"] == "5"
        system = sqlite3.connect(api_runtime.settings.data_dir / "workflows.db")
        try:  # no workflow either
            assert system.execute("SELECT count(*) FROM workflow_status").fetchone() == (0,)
        finally:
            system.close()
    finally:
        database.execute("ALTER TABLE calls_elsewhere RENAME TO calls")
        database.commit()
        database.close()
    retried = await client.post("/v1/transcripts", json={"transcript": VTT}, headers=bearer())
    assert retried.status_code == 202


async def test_one_bad_row_does_not_fail_the_calls_it_was_batched_with(
    api_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    from cs_agent.core.domain import CallMetadata
    from cs_agent.services.intake import check_transcript, submit_call
    from cs_agent.services.intake_writer import NewCall

    transcript = check_transcript(VTT)
    good = [
        submit_call(
            api_runtime,
            transcript=transcript,
            metadata=CallMetadata(source_id=f"batch-{n}"),
            source="api",
        )
        for n in range(5)
    ]
    writer = api_runtime.intake_writer()
    bad = writer.submit(NewCall(values={"id": "call-bad", "request_hash": "x", "source": None}))
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert all(not isinstance(r, BaseException) and r.created for r in results[:5]), results
    assert isinstance(results[5], Exception)
    assert "6 calls together failed" in caplog.text
    calls, flows = stored(api_runtime.settings.data_dir)
    assert len(calls) == 5 and len(flows) == 5
