"""Credentials in URLs are masked in every log line, from every logger, whatever the settings."""

from __future__ import annotations

import io
import json
import logging
import string
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.logs import access_log_handler, configure_logging, mask_credentials

SECRET = "s3cr3t-Value_42"


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            f'HTTP Request: GET https://zoom.us/rec/download/f1?access_token={SECRET} "HTTP/1.1 200"',
            'HTTP Request: GET https://zoom.us/rec/download/f1?access_token=*** "HTTP/1.1 200"',
        ),
        (f"GET /x?a=1&TOKEN={SECRET}&b=2#top", "GET /x?a=1&TOKEN=***&b=2#top"),
        (f"/cb?code={SECRET};state=ok", "/cb?code=***;state=ok"),
        (
            f"?key={SECRET}&api_key={SECRET}&Signature={SECRET}&sig={SECRET}",
            "?key=***&api_key=***&Signature=***&sig=***",
        ),
        (
            f"?password={SECRET}&secret={SECRET}&client_secret={SECRET}",
            "?password=***&secret=***&client_secret=***",
        ),
        (
            f"?download_token={SECRET}&X-Amz-Signature={SECRET}",
            "?download_token=***&X-Amz-Signature=***",
        ),
        (f"postgresql://cs:{SECRET}@db.example:5432/cs", "postgresql://***@db.example:5432/cs"),
        (f"https://user:{SECRET}@host.example/p?x=1", "https://***@host.example/p?x=1"),
        (f"https://{SECRET}@host.example", "https://***@host.example"),
        (f"Authorization: Bearer {SECRET}", "Authorization: Bearer ***"),
    ],
)
def test_credentials_in_urls_are_masked(line: str, masked: str) -> None:
    assert mask_credentials(line) == masked
    assert SECRET not in mask_credentials(line)


@pytest.mark.parametrize(
    "line",
    [
        "GET /v1/calls?page=2&status=pending HTTP/1.1",
        "https://zoom.us/rec/download/f1 answered 302",
        "wrote to p***@acme.example; see https://example.com/a@b",
        "key=value outside a query, zipcode=12345",
        "?zipcode=123&monkey=1&tokens_used=9",
    ],
)
def test_everything_else_is_left_alone(line: str) -> None:
    assert mask_credentials(line) == line


_VALUE = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%+/", min_size=1, max_size=40)
# A user name has no slash; a password may have anything a URL's user information can hold.
_USER = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%+", min_size=1, max_size=20)
_NAME = st.sampled_from(
    ["access_token", "Token", "KEY", "api_key", "signature", "sig", "password", "secret", "code"]
)


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=40),
    name=_NAME,
    value=_VALUE,
    after=st.sampled_from(["", " ", "&page=2", "#frag", '"', ";x=1"]),
)
def test_a_secret_parameter_never_survives(before: str, name: str, value: str, after: str) -> None:
    line = f"{before} https://zoom.us/rec/x?a=1&{name}={value}{after}"
    masked = mask_credentials(line)
    assert f"{name}={value}" not in masked
    assert f"{name}=***" in masked


@settings(max_examples=200, deadline=None)
@given(user=_USER, password=_VALUE, tail=st.text(max_size=30))
def test_userinfo_never_survives(user: str, password: str, tail: str) -> None:
    masked = mask_credentials(f"connecting to postgresql://{user}:{password}@db.example/x {tail}")
    assert f"{user}:{password}@" not in masked
    assert "postgresql://***@db.example/x" in masked


LOGGERS = (
    "httpx",
    "httpcore.http11",
    "dbos",
    "dbos._core",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    # Servers started by earlier tests (uvicorn's dictConfig) disable, quieten or detach these
    # loggers: start from how a fresh process has them, and put them back afterwards.
    loggers = [logging.getLogger(name) for name in LOGGERS]
    state = [(log.level, log.disabled, log.propagate, log.handlers[:]) for log in loggers]
    for log in loggers:
        log.setLevel(logging.NOTSET)
        log.disabled, log.propagate, log.handlers = False, True, []
    buffer = io.StringIO()
    yield buffer
    logging.getLogger().handlers.clear()
    logging.getLogger("dbos").handlers.clear()
    for log, (level, disabled, propagate, handlers) in zip(loggers, state, strict=True):
        log.setLevel(level)
        log.disabled, log.propagate, log.handlers = disabled, propagate, handlers


@pytest.mark.parametrize("mask_pii", [True, False])
def test_every_logger_is_masked_even_with_pii_masking_off(
    stream: io.StringIO, mask_pii: bool
) -> None:
    configure_logging(level=logging.INFO, fmt="json", mask=mask_pii, stream=stream)
    url = f"https://zoom.us/rec/download/f1?access_token={SECRET}"
    # Third-party loggers and their children: the filter is on the handler, not the logger.
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "GET", url, "HTTP/1.1 200 OK")
    logging.getLogger("httpcore.http11").info("send_request_headers %s", url)
    logging.getLogger("dbos._core").info("connecting to postgresql://cs:%s@db/cs", SECRET)
    logging.getLogger("uvicorn.error").warning("oops", extra={"url": url})
    try:
        raise RuntimeError(f"could not fetch {url}")
    except RuntimeError:
        logging.getLogger("cs_agent.x").exception("download failed")
    text = stream.getvalue()
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 5, [line["logger"] for line in lines]
    assert lines[0]["message"] == (
        'HTTP Request: GET https://zoom.us/rec/download/f1?access_token=*** "HTTP/1.1 200 OK"'
    )
    assert lines[2]["message"] == "connecting to postgresql://***@db/cs"
    assert lines[3]["url"].endswith("?access_token=***")
    assert "access_token=***" in lines[4]["exception"]


def test_the_access_log_is_masked(stream: io.StringIO) -> None:
    main = configure_logging(level=logging.INFO, fmt="text", mask=False, stream=io.StringIO())
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [access_log_handler(main, stream)], False
    try:
        # uvicorn's own call shape: the request line arrives as an argument.
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            f"/webhooks/zoom?token={SECRET}",
            "1.1",
            200,
        )
    finally:
        access.handlers, access.propagate = [], True
    assert SECRET not in stream.getvalue()
    assert '"GET /webhooks/zoom?token=*** HTTP/1.1" 200' in stream.getvalue()
