"""``cs-agent process``: one transcript file through the whole pipeline, waiting for the draft."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from cs_agent.cli.common import CliError, err, out, run_with_runtime, start_command
from cs_agent.config import Settings
from cs_agent.core.domain import (
    Attendee,
    CallMetadata,
    Customer,
    Side,
    Transcript,
    TranscriptFormat,
)
from cs_agent.core.ports import AdapterChoice
from cs_agent.core.transcripts import TranscriptError, format_for_filename, parse_transcript
from cs_agent.services import queues

if TYPE_CHECKING:
    # Annotations only; the command imports these when it runs, for start-up time.
    from cs_agent.bootstrap.runtime import Runtime
    from cs_agent.services.views import CallView

JSON_ITEM_FIELDS = (
    "title",
    "description",
    "owner",
    "due_date",
    "priority",
    "quote",
    "quote_time",
    "issue",
)
"""What ``--json`` shows of each action item."""


def process(
    file: Annotated[Path, typer.Argument(help="Transcript file: .vtt, .srt, .txt or .json")],
    format: Annotated[
        TranscriptFormat | None, typer.Option("--format", "-f", help="Skip detection.")
    ] = None,
    call_date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; due dates like 'Friday' resolve against it.")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Customer account name.")] = None,
    customer_domain: Annotated[
        str | None, typer.Option(help="Customer email domain, e.g. acme.com.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Call title.")] = None,
    attendee: Annotated[
        list[str] | None,
        typer.Option(help='"Name <email>", repeatable. Side is inferred from the domain.'),
    ] = None,
    metadata: Annotated[
        Path | None,
        typer.Option(help="JSON file with title, call_date, customer, attendees, source_id."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Process one call end to end and wait for the draft: items filed, email drafted."""
    settings = start_command(verbose)
    transcript = read_transcript(file, format)
    meta = call_metadata(
        settings,
        metadata_file=metadata,
        call_date=call_date,
        customer=customer,
        customer_domain=customer_domain,
        title=title,
        attendees=attendee or [],
    )
    view, choices, created = run_with_runtime(
        settings, lambda runtime: submit_and_wait(runtime, transcript, meta)
    )
    if as_json:
        out.print_json(json.dumps(json_result(view)))
        return
    # Imported here for start-up time: the renderers load the services (~0.3 s).
    from cs_agent.cli.render import render_adapters, render_call

    render_adapters(err, choices)
    if not created:
        err.print(
            f"[dim]This call was processed before ({view.call_id}); showing the stored result.[/dim]"
        )
    render_call(out, view)
    if view.status == "failed":
        raise typer.Exit(1)


async def submit_and_wait(
    runtime: Runtime, transcript: Transcript, meta: CallMetadata
) -> tuple[CallView, list[AdapterChoice], bool]:
    """Submit the call, wait for its workflow; the call, the adapters used, and whether it is new."""
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.intake import IdempotencyConflict, submit_call
    from cs_agent.services.views import load_call_view

    try:
        submission = await submit_call(runtime, transcript=transcript, metadata=meta, source="cli")
    except IdempotencyConflict as conflict:
        raise CliError(
            f"source_id {meta.source_id!r} was already used for a different transcript "
            f"(call {conflict.call_id})"
        ) from None
    await queues.wait_for(submission.workflow_id)
    view = load_call_view(runtime, submission.call_id)
    assert view is not None
    return view, runtime.adapters.choices, submission.created


def read_transcript(file: Path, format: TranscriptFormat | None) -> Transcript:
    """Parse ``file``; an unreadable or malformed one is a one-line error (exit 2)."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{file}: no such file", code=2) from None
    except IsADirectoryError:
        raise CliError(f"{file}: is a directory, expected a transcript file", code=2) from None
    except PermissionError:
        raise CliError(f"{file}: permission denied", code=2) from None
    try:
        return parse_transcript(data, format=format or format_for_filename(file.name))
    except TranscriptError as error:
        raise CliError(f"{file}: {error}", code=2) from None


def call_metadata(
    settings: Settings,
    *,
    metadata_file: Path | None,
    call_date: str | None,
    customer: str | None,
    customer_domain: str | None,
    title: str | None,
    attendees: list[str],
) -> CallMetadata:
    """The call's metadata: the ``--metadata`` file, then each option given over it."""
    base: dict[str, Any] = {}
    if metadata_file is not None:
        try:
            base = json.loads(metadata_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CliError(f"{metadata_file}: no such file", code=2) from None
        except json.JSONDecodeError as error:
            raise CliError(
                f"{metadata_file}:{error.lineno}: not valid JSON ({error.msg})", code=2
            ) from None
        if not isinstance(base, dict):
            raise CliError(f"{metadata_file}: expected a JSON object", code=2)
    try:
        meta = CallMetadata.model_validate(base)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CliError(f"{metadata_file}: field {field}: {first['msg']}", code=2) from None
    if call_date:
        try:
            meta.call_date = dt.date.fromisoformat(call_date)
        except ValueError:
            raise CliError(f"--call-date {call_date!r}: expected YYYY-MM-DD", code=2) from None
    if customer or customer_domain:
        current = meta.customer or Customer(name=customer or customer_domain or "")
        meta.customer = Customer(
            name=customer or current.name, domain=customer_domain or current.domain
        )
    if title:
        meta.title = title
    if attendees:
        meta.attendees = [attendee_from(a, meta, settings) for a in attendees]
    return meta


def attendee_from(value: str, meta: CallMetadata, settings: Settings) -> Attendee:
    """An ``--attendee "Name <email>"``; the side follows from the customer's or our domain."""
    name, email = parseaddr(value)
    if not email or "@" not in email:
        return Attendee(name=value.strip())
    domain = email.rpartition("@")[2].lower()
    side = None
    if meta.customer and meta.customer.domain and domain == meta.customer.domain.lower():
        side = Side.CUSTOMER
    elif domain == settings.sender_email.rpartition("@")[2].lower():
        side = Side.US
    return Attendee(name=name or email, email=email, side=side)


def json_result(view: CallView) -> dict[str, Any]:
    """The ``--json`` object: the call's outcome, without the internals of the stored view."""
    data: dict[str, Any] = view.model_dump(mode="json")
    return {
        "call_id": data["call_id"],
        "status": data["status"],
        "analyzer": data["analyzer"],
        "analysis_notes": data["analysis_notes"],
        "summary": data["summary"],
        "action_items": [
            {key: item[key] for key in JSON_ITEM_FIELDS} for item in data["action_items"]
        ],
        "draft": data["draft"],
        "approval": data["approval"],
        "usage": data["usage"],
        "cost_usd": data["cost_usd"],
        "failure_reason": data["failure_reason"],
        "policy": data["policy"],
        "no_followup_reason": data["no_followup_reason"],
    }
