"""``cs-agent sources meet subscribe``: the Workspace Events subscription Meet's transcripts
arrive by (they expire, so this also renews one)."""

from __future__ import annotations

from cs_agent.cli.common import CliError, out, start_command


def meet_subscribe() -> None:
    """Create or renew the subscription to Meet's transcript events; say when it expires."""
    start_command()
    out.print("")
    raise CliError("Google Meet is not configured: see docs/google-meet.md")
