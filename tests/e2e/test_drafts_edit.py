"""``cs-agent drafts edit`` as a person uses it: their $EDITOR on the draft, checked, saved."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..conftest import EXAMPLES
from .test_cli import cs_agent

EDITOR = """
import pathlib, sys
path = pathlib.Path(sys.argv[-1])
lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
lines = [{replace} if line.startswith({prefix!r}) else line for line in lines]
path.write_text("".join(lines), encoding="utf-8")
"""


def editor(tmp_path: Path, prefix: str, replacement: str) -> str:
    script = tmp_path / f"editor-{len(list(tmp_path.glob('editor-*')))}.py"
    script.write_text(EDITOR.format(prefix=prefix, replace=repr(replacement)), encoding="utf-8")
    return f"{sys.executable} {script}"


def drafted(tmp_path: Path) -> str:
    result = cs_agent(
        "process",
        str(EXAMPLES / "acme-renewal.vtt"),
        "--metadata",
        str(EXAMPLES / "acme-renewal.meta.json"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["draft"]["id"])


def test_a_bad_address_is_refused_naming_its_line_then_a_good_edit_is_saved(
    isolated_environment: Path, tmp_path: Path, monkeypatch: object
) -> None:
    draft_id = drafted(tmp_path)

    monkeypatch.setenv(
        "EDITOR", editor(tmp_path, "To:", "To: priya@acme.example, not-an-address\n")
    )  # type: ignore[attr-defined]
    refused = cs_agent("drafts", "edit", draft_id)
    assert refused.returncode == 1
    assert "line 3 (To): not an email address: not-an-address" in refused.stderr
    assert "Your text is kept in" in refused.stderr

    monkeypatch.setenv("EDITOR", editor(tmp_path, "Subject:", "Subject: Renewal: the next steps\n"))  # type: ignore[attr-defined]
    saved = cs_agent("drafts", "edit", draft_id[:14])
    assert saved.returncode == 0, saved.stderr
    assert f"Saved {draft_id} as version 2" in saved.stdout
    shown = cs_agent("drafts", "show", draft_id)
    assert "Renewal: the next steps" in shown.stdout and "v2" in shown.stdout


def test_a_header_line_it_cannot_read_is_named(isolated_environment: Path, tmp_path: Path) -> None:
    draft_id = drafted(tmp_path)
    edited = tmp_path / "edited.md"
    edited.write_text("To: priya@acme.example\nBcc: boss@ours.example\nSubject: Hi\n\nBody\n")
    result = cs_agent("drafts", "edit", draft_id, "--from", str(edited))
    assert result.returncode == 1
    assert "line 2: expected a header line To:, Cc: or Subject:, got 'Bcc: boss@ours.example'" in (
        result.stderr
    )
