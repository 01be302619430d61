"""The README's "What you see" block is what `make demo` really prints.

The demo runs as the Makefile runs it (the example call, company name Brightwave), in a fresh
data directory and home, with no credentials from the developer's shell, 100 columns wide.
The README shows an excerpt: a line that is just ``…``, or starts with ``…   (`` (after any
indent), marks a cut. Between cuts, the README's lines must be consecutive lines of the real
output, in order (trailing whitespace aside).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ..conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
MARKER = "<!-- demo-output: kept true by tests/docs/test_readme_demo.py -->"
COLUMNS = 100
DEMO = [
    "-m",
    "cs_agent",
    "process",
    "examples/acme-renewal.vtt",
    "--metadata",
    "examples/acme-renewal.meta.json",
]
REFRESH = (
    "If the output changed on purpose, refresh the README's block from "
    f"`COLUMNS={COLUMNS} make demo` (in a fresh data directory: "
    f"`CS_AGENT_DATA_DIR=$(mktemp -d) COLUMNS={COLUMNS} make demo`), keeping the cuts."
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def readme_block() -> list[tuple[int, str]]:
    """The fenced block after the marker: (line number in README.md, line) pairs."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert MARKER in lines, f"README.md has no line {MARKER!r} before the demo output"
    opening = lines.index(MARKER) + 1
    assert opening < len(lines) and lines[opening].startswith("```"), (
        "the marker in README.md must be followed by a ``` block"
    )
    closing = next((i for i in range(opening + 1, len(lines)) if lines[i].startswith("```")), None)
    assert closing is not None, "the demo output block in README.md is not closed"
    return [(i + 1, lines[i].rstrip()) for i in range(opening + 1, closing)]


def is_cut(line: str) -> bool:
    return line.strip() == "…" or line.lstrip().startswith("…   (")


def excerpts(block: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """The block split at its cuts: runs of lines that the real output has together."""
    runs: list[list[tuple[int, str]]] = [[]]
    for number, line in block:
        if is_cut(line):
            runs.append([])
        else:
            runs[-1].append((number, line))
    return [run for run in runs if run]


def run_demo(tmp_path: Path) -> list[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CS_AGENT_", "ANTHROPIC_", "SLACK_", "CLAUDE_"))
        and name not in {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "XDG_DATA_HOME"}
    }
    home = tmp_path / "home"
    home.mkdir()
    env.update(
        HOME=str(home),
        CS_AGENT_DATA_DIR=str(tmp_path / "data"),
        CS_AGENT_COMPANY_NAME="Brightwave",
        COLUMNS=str(COLUMNS),
        NO_COLOR="1",
    )
    result = subprocess.run(
        [sys.executable, *DEMO],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"the demo failed ({result.returncode}):\n{result.stderr}"
    return [ANSI.sub("", line).rstrip() for line in result.stdout.splitlines()]


def best_fit(run: list[str], output: list[str], start: int) -> tuple[int, int]:
    """Where ``run`` fits best in ``output`` from ``start``: (position, lines that matched)."""
    best = (start, 0)
    for position in range(start, len(output)):
        matched = 0
        while (
            matched < len(run)
            and position + matched < len(output)
            and output[position + matched] == run[matched]
        ):
            matched += 1
        if matched == len(run):
            return position, matched
        if matched > best[1]:
            best = (position, matched)
    return best


def test_readme_shows_the_real_demo_output(tmp_path: Path) -> None:
    block = readme_block()
    assert block, "the demo output block in README.md is empty"
    output = run_demo(tmp_path)
    position = 0
    for run in excerpts(block):
        lines = [line for _, line in run]
        found, matched = best_fit(lines, output, position)
        if matched < len(run):
            number, missing = run[matched]
            where = (
                "at the start of an excerpt"
                if matched == 0
                else (f"right after README.md line {run[matched - 1][0]}")
            )
            dotenv = REPO_ROOT / ".env"
            note = f"\n(Note: {dotenv} exists, and the demo reads it.)" if dotenv.exists() else ""
            raise AssertionError(
                f"README.md line {number} is not in the output of `make demo` ({where}, "
                f"after the excerpts before it):\n  {missing!r}\n{REFRESH}{note}\n\n"
                "The real output:\n" + "\n".join(output)
            )
        position = found + matched
    assert not (tmp_path / "home" / ".local").exists(), "the demo wrote to its HOME"
