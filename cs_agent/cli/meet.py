"""``cs-agent sources meet subscribe``: the Workspace Events subscription Meet's transcripts
arrive by. Subscriptions expire, so running it again renews the one there is."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated

import typer

from cs_agent.cli.common import CliError, out, start_command
from cs_agent.core.errors import ExternalError


def meet_subscribe(
    target: Annotated[
        str,
        typer.Option(
            help="Whose meetings: a user's id (signedinUser.user, e.g. users/1234 or 1234) or a "
            "meeting space (spaces/abc).",
        ),
    ],
    topic: Annotated[
        str | None,
        typer.Option(
            help="The Pub/Sub topic (projects/P/topics/T); default CS_AGENT_MEET_PUBSUB_TOPIC."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create or renew the subscription to Meet's transcript events; say when it expires."""
    settings = start_command()
    # Imported here for start-up time: the Google client takes ~0.5 s to import.
    from cs_agent.bootstrap.sources import build_meet_subscriptions

    chosen = topic or settings.meet_pubsub_topic
    if not chosen:
        raise CliError("no Pub/Sub topic: pass --topic or set CS_AGENT_MEET_PUBSUB_TOPIC")
    subscriptions = build_meet_subscriptions(settings)
    try:
        made = asyncio.run(subscriptions.subscribe(target=target, topic=chosen))
    except ExternalError as error:
        raise CliError(f"the subscription was not made: {error}") from None
    if as_json:
        out.print_json(json.dumps(made.model_dump(mode="json")))
        return
    verb = "created" if made.created else "renewed"
    out.print(
        f"Subscription {made.name} {verb} for {made.target} ({made.state or 'state unknown'})."
    )
    if made.expire_time is not None:
        left = made.expire_time - dt.datetime.now(dt.UTC)
        out.print(
            f"It expires at {made.expire_time:%Y-%m-%d %H:%M} UTC (in {left.days} days, "
            f"{left.seconds // 3600} hours): run this again before then, e.g. daily from cron."
        )
