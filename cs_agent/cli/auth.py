"""``cs-agent auth …``: let cs-agent act for a person in an outside service (Gmail)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cs_agent.cli.common import CliError, out, start_command

app = typer.Typer(help="Let cs-agent act for you in an outside service.", no_args_is_help=True)


@app.command("gmail")
def auth_gmail(
    client_secret: Annotated[
        Path, typer.Argument(help="The OAuth client (Desktop app) JSON from Google Cloud console.")
    ],
    token_out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the token. Default: CS_AGENT_GMAIL_CREDENTIALS if set, "
            "else gmail-token.json in the data directory.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing token file.")] = False,
    port: Annotated[
        int, typer.Option(help="Local port for Google's redirect (0: any free port).")
    ] = 0,
    browser: Annotated[
        bool, typer.Option(help="Open the sign-in page in a browser on this machine.")
    ] = True,
) -> None:
    """Sign in with Google and save a token cs-agent sends follow-ups with (gmail.send and
    gmail.readonly; gmail.compose too when a follow-up policy is gmail-draft)."""
    settings = start_command()
    target = token_out or settings.gmail_credentials or settings.data_dir / "gmail-token.json"
    if target.exists() and not force:
        raise CliError(f"{target} already exists; pass --force to replace it, or --out elsewhere")
    # Imported here for start-up time: the Google API client takes ~0.25 s to import.
    from cs_agent.bootstrap import gmail_setup

    try:
        credentials = gmail_setup.sign_in(
            client_secret,
            port=port,
            open_browser=browser,
            drafts=settings.places_mailbox_drafts,
        )
        address = asyncio.run(gmail_setup.account_address(settings, credentials, target))
    except gmail_setup.GmailSignInError as error:
        raise CliError(str(error)) from None
    gmail_setup.save_token(credentials, target, account=address, force=force)
    out.print(f"Signed in as [bold]{address}[/bold]; token written to {target} (owner-only).")
    out.print("Send follow-ups with it by setting:", highlight=False)
    out.print(f"  CS_AGENT_GMAIL_CREDENTIALS={target}", highlight=False, soft_wrap=True)
    out.print(f"  CS_AGENT_GMAIL_SENDER={address}", highlight=False, soft_wrap=True)
