"""``cs-agent web …``: helpers for setting up the web inbox's sign-in."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cs_agent.core.passwords import hash_password

app = typer.Typer(help="Set up the web inbox.", no_args_is_help=True)


@app.command("hash-password")
def hash_password_command(
    user: Annotated[
        str | None,
        typer.Option("--user", "-u", help="Print NAME:HASH, ready for CS_AGENT_WEB_USERS."),
    ] = None,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input (one line).")
    ] = False,
) -> None:
    """Hash a password for CS_AGENT_WEB_USERS (scrypt; the password itself is never stored)."""
    if user is not None and (not user.strip() or any(c in user for c in ":,")):
        typer.echo("error: a user name cannot be empty or contain ':' or ','", err=True)
        raise typer.Exit(2)
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        typer.echo("error: use at least 8 characters", err=True)
        raise typer.Exit(2)
    hashed = hash_password(password)
    typer.echo(f"{user.strip()}:{hashed}" if user is not None else hashed)
    if user is None:
        typer.echo("Add it as CS_AGENT_WEB_USERS=name:<hash>[,name2:<hash2>…]", err=True)
