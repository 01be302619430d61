"""``cs-agent drafts edit``: a draft in ``$EDITOR``, checked like the Slack and inbox forms,
saved as the next version (which waits for approval again)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cs_agent.cli.common import CliError, actor, err, out
from cs_agent.cli.draft_file import located, parse_draft_file, render_draft_file
from cs_agent.cli.drafts import DraftId, app, on_draft

if TYPE_CHECKING:
    from cs_agent.bootstrap.runtime import Runtime

Fields = tuple[list[str], list[str], str, str]
"""To, Cc, Subject and body."""


def editor_command() -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else ``vi``, split like a shell would."""
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


@app.command("edit")
def drafts_edit(
    draft_id: DraftId,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="Read the edited draft from this file; no editor."),
    ] = None,
) -> None:
    """Edit a draft in $EDITOR (headers as lines, the body as Markdown); saved as a new version."""
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.approvals import DecisionRefused, edit, validate_email_fields
    from storage import repo
    from storage.db import session_scope

    async def load(runtime: Runtime, full_id: str) -> tuple[str, int, Fields, str]:
        with session_scope(runtime.engine) as session:
            row = repo.get_draft(session, draft_id=full_id)
            assert row is not None
            return (
                full_id,
                row.version,
                (list(row.to), list(row.cc), row.subject, row.body),
                row.status,
            )

    full_id, version, before, status = on_draft(draft_id, load)
    if status not in ("pending", "failed"):
        raise CliError(f"{full_id} is {status}; only a pending or failed draft can be edited")
    original = render_draft_file(to=before[0], cc=before[1], subject=before[2], body=before[3])
    # The editor runs with no runtime open: a person may take their time.
    text, where = _edited_text(original, from_file, full_id)
    file = parse_draft_file(text)
    problems = list(file.errors)
    if not problems:
        fields = validate_email_fields(subject=file.subject, body=file.body, to=file.to, cc=file.cc)
        problems = located(fields, file)
    if problems:
        raise CliError(
            "not saved:\n"
            + "\n".join(f"  {where}: {problem}" for problem in problems)
            + f"\nYour text is kept in {where}."
        )
    if (file.to, file.cc, file.subject, file.body) == before:
        out.print(f"No changes; {full_id} stays at version {version}.")
        return

    async def save(runtime: Runtime, _full_id: str) -> int:
        try:
            decision = await edit(
                runtime,
                draft_id=full_id,
                actor=actor(),
                expected_version=version,
                subject=file.subject,
                body=file.body,
                to=file.to,
                cc=file.cc,
            )
        except DecisionRefused as refused:
            raise CliError(f"not saved: {refused}; your text is kept in {where}") from None
        return decision.draft.version

    saved = on_draft(full_id, save)
    if from_file is None:
        Path(where).unlink(missing_ok=True)
    out.print(
        f"Saved {full_id} as version {saved}; it waits for approval "
        f"(cs-agent drafts approve {full_id}).",
        soft_wrap=True,
    )


def _edited_text(original: str, from_file: Path | None, draft_id: str) -> tuple[str, str]:
    """The edited text, and the file it is in (kept on an error, so no typing is lost)."""
    if from_file is not None:
        try:
            return from_file.read_text(encoding="utf-8"), str(from_file)
        except FileNotFoundError:
            raise CliError(f"{from_file}: no such file", code=2) from None
        except UnicodeDecodeError:
            raise CliError(f"{from_file}: not UTF-8 text", code=2) from None
    handle, name = tempfile.mkstemp(prefix=f"{draft_id}-", suffix=".md")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(original)
    command = [*editor_command(), name]
    try:
        # The person's own editor, named by their own environment, on a file we just wrote.
        finished = subprocess.run(command, check=False)  # noqa: S603
    except FileNotFoundError:
        raise CliError(
            f"cannot start the editor {command[0]!r}: set EDITOR (e.g. EDITOR=nano), or pass "
            "--from FILE"
        ) from None
    if finished.returncode != 0:
        err.print(f"[dim]the editor exited with {finished.returncode}[/dim]")
        raise CliError(f"the editor exited with {finished.returncode}; nothing saved ({name})")
    return Path(name).read_text(encoding="utf-8"), name
