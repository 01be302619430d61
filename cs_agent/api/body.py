"""Reading request bodies within a size limit, and saying clearly what is wrong with them.

The limit is checked against ``Content-Length`` before anything is read, and again while the
body streams in (a chunked body has no length, and a length can lie), so no more than the
limit is ever held in memory.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request
from starlette.requests import ClientDisconnect

from cs_agent.api.deps import api_error
from cs_agent.core.text import first_unstorable, unstorable

JSON_TYPE = "application/json"
MULTIPART_TYPE = "multipart/form-data"


def media_type(request: Request) -> tuple[str, dict[str, str]]:
    """The request's media type (lower case, no parameters) and its parameters."""
    raw = request.headers.get("content-type", "")
    main, *params = raw.split(";")
    parameters = {}
    for param in params:
        key, sep, value = param.partition("=")
        if sep:
            parameters[key.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), parameters


def require_media_type(request: Request, accepted: tuple[str, ...]) -> str:
    """The media type, if it is one of ``accepted`` (JSON only as UTF-8); else a 415."""
    kind, params = media_type(request)
    if kind not in accepted:
        found = request.headers.get("content-type")
        raise api_error(
            415,
            "unsupported_media_type",
            f"Content-Type {found!r} is not read here; send {' or '.join(accepted)}"
            if found
            else f"the request has no Content-Type; send {' or '.join(accepted)}",
        )
    charset = params.get("charset", "utf-8").lower()
    if kind == JSON_TYPE and charset not in ("utf-8", "utf8"):
        raise api_error(
            415,
            "unsupported_charset",
            f"JSON is read as UTF-8 only; the request says charset={params['charset']}: "
            "send the body as UTF-8",
        )
    return kind


def _too_large(limit: int, size: int | None) -> HTTPException:
    sent = f"the body is {size} bytes" if size is not None else "the body is larger than that"
    return api_error(
        413,
        "too_large",
        f"{sent}; the limit is {limit} bytes (CS_AGENT_MAX_TRANSCRIPT_BYTES). Send a smaller "
        "transcript, or raise the limit on the server",
    )


async def read_body(request: Request, *, limit: int) -> bytes:
    """The raw body, refusing (413) one larger than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise api_error(
                400, "bad_content_length", f"Content-Length {declared!r} is not a number"
            )
        if int(declared) > limit:
            raise _too_large(limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, None)
            chunks.append(chunk)
    except ClientDisconnect:
        raise api_error(
            400, "client_disconnected", "the body ended before it was complete"
        ) from None
    return b"".join(chunks)


def decode_json_object(body: bytes, *, example: str, what: str = "the body") -> dict[str, Any]:
    """Parse a UTF-8 JSON object; 400 for an empty, non-UTF-8 or malformed one.

    ``what`` names it in messages (``the body``, ``the metadata part``).
    """
    if not body.strip():
        raise api_error(
            400, "empty_body", f"{what} is empty; expected a JSON object like {example}"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise api_error(
            400,
            "not_utf8",
            f"{what} is not UTF-8: byte 0x{body[error.start]:02x} at offset {error.start} "
            "cannot start a UTF-8 character; send JSON as UTF-8",
        ) from None
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise api_error(
            400,
            "malformed_json",
            f"{what} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
        ) from None
    except RecursionError:
        raise api_error(400, "malformed_json", "the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise api_error(
            422, "invalid_request", f"{what} is {kind}; expected a JSON object like {example}"
        )
    return data


def require_storable(data: dict[str, Any], *, skip: tuple[str, ...] = ()) -> None:
    """422 naming the field when a string in ``data`` (outside ``skip``) cannot be stored."""
    problem = unstorable_text({key: value for key, value in data.items() if key not in skip})
    if problem is not None:
        path, what = problem
        raise api_error(422, "invalid_request", f"field {path}: {what}", field=path)


def unstorable_text(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first string in ``value`` no database can store (a NUL, an unpaired surrogate).

    Returns its dotted path and the problem, or None. JSON escapes can produce both.
    """
    if isinstance(value, str):
        # The same check as the metadata models' `StorableStr`, here over the whole object
        # (unknown keys too) so the first bad string is named before any other check.
        problem = unstorable(value)
        if problem is None:
            return None
        return path or "body", (
            f"contains {problem} at character {first_unstorable(value)}; it cannot be "
            "stored: remove it (or fix the sender's JSON encoder)"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_text(key, path) or unstorable_text(
                item, f"{path}.{key}" if path else str(key)
            )
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None
