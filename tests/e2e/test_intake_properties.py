"""``POST /v1/transcripts`` through the real app with arbitrary bodies, formats and content
types: never a 5xx, and every 422 names the line or the field at fault."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings

from .intake_helpers import LIMIT, SECRET, TOKEN, aclient, bearer

FORMATS = st.sampled_from([None, "vtt", "srt", "text", "json", "docx", ""])
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/octet-stream",
        "multipart/form-data",
        "",
    ]
)
# Text a transcript or metadata could hold, with what databases refuse mixed in.
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=12),
        st.sampled_from(["\x00", "\ud800", "\udfff", "\n", "\r", "-->", ":", "{", '"', "\ufeff"]),
    ),
    max_size=8,
).map("".join)
TRANSCRIPT_TEXT = st.one_of(
    HOSTILE_TEXT,
    st.builds(
        lambda a, b: f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{a}\n\n{b}",
        HOSTILE_TEXT,
        HOSTILE_TEXT,
    ),
    st.builds(lambda a, b: f"Ann: {a}\nBob: {b}\n", HOSTILE_TEXT, HOSTILE_TEXT),
    st.builds(
        lambda a, b: json.dumps({"utterances": [{"speaker": a, "text": b}]}),
        HOSTILE_TEXT,
        HOSTILE_TEXT,
    ),
)
METADATA = st.fixed_dictionaries(
    {},
    optional={
        "title": HOSTILE_TEXT,
        "customer": st.fixed_dictionaries(
            {"name": HOSTILE_TEXT}, optional={"domain": HOSTILE_TEXT}
        ),
        "attendees": st.lists(
            st.fixed_dictionaries({"name": HOSTILE_TEXT}, optional={"email": HOSTILE_TEXT}),
            max_size=3,
        ),
        "source_id": HOSTILE_TEXT,
        "call_date": st.one_of(HOSTILE_TEXT, st.just("2026-11-10")),
    },
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A description and the keyword arguments of one ``client.post``."""
    kind = draw(st.sampled_from(["json", "multipart", "raw"]))
    fmt = draw(FORMATS)
    if kind == "json":
        fields: dict[str, Any] = {"transcript": draw(TRANSCRIPT_TEXT), **draw(METADATA)}
        if fmt is not None:
            fields["format"] = fmt
        # json.dumps writes a NUL or a lone surrogate as an escape, as a sender's encoder would.
        return kind, {
            "content": json.dumps(fields).encode(),
            "headers": {"content-type": "application/json"},
        }
    if kind == "multipart":
        data = draw(
            st.one_of(
                st.binary(max_size=200),
                TRANSCRIPT_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
            )
        )
        name = draw(st.sampled_from(["call.vtt", "call.srt", "call.txt", "call.json", "call"]))
        files: dict[str, Any] = {"file": (name, data, "application/octet-stream")}
        if draw(st.booleans()):
            files["metadata"] = (
                "meta.json",
                json.dumps(draw(METADATA)).encode(),
                "application/json",
            )
        extra = {"format": fmt} if fmt is not None else {}
        return kind, {"files": files, "data": extra}
    body = draw(
        st.one_of(
            st.binary(max_size=300), HOSTILE_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
        )
    )
    return kind, {"content": body, "headers": {"content-type": draw(CONTENT_TYPES)}}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    secured = settings.model_copy(
        update={
            "webhook_secret": SecretStr(SECRET),
            "api_token": SecretStr(TOKEN),
            "max_transcript_bytes": LIMIT,
        }
    )
    runtime = Runtime(secured)
    await runtime.start(run_workflows=False)
    try:
        async for c in aclient(create_app(secured, runtime=runtime)):
            yield c
    finally:
        await runtime.stop()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
async def test_intake_never_answers_5xx_and_every_422_names_where(
    client: httpx.AsyncClient, request: tuple[str, dict[str, Any]]
) -> None:
    kind, kwargs = request
    headers = {**bearer(), **kwargs.pop("headers", {})}
    response = await client.post("/v1/transcripts", headers=headers, **kwargs)
    assert response.status_code < 500, (kind, response.status_code, response.text[:500])
    answer = response.json()
    assert set(answer) >= {"error", "detail"} or response.status_code in (200, 202), answer
    if response.status_code == 422:
        named = answer.get("line") is not None or answer.get("field")
        assert named, (kind, answer)
        if answer["error"] == "unparseable_transcript":
            assert answer["field"] in ("transcript", "file"), answer
            if answer.get("line") is not None:
                assert f"line {answer['line']}" in answer["detail"], answer
            return
        where = f"{answer['field']}"
        assert where in answer["detail"], answer
