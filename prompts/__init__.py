"""The agent's instructions and the email templates, as Markdown files loaded by name.

Each prompt's version is the hash of its text, recorded with every analysis, so a change of
wording is visible in the results it produced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Prompt:
    """A prompt's text and the version it is recorded under."""

    name: str
    text: str

    @property
    def version(self) -> str:
        """First 12 hex digits of the SHA-256 of the text."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


@cache
def load_prompt(name: str) -> Prompt:
    """The prompt ``prompts/<name>.md``. Raises ``FileNotFoundError`` naming what exists."""
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROMPTS_DIR.glob("*.md")))
        raise FileNotFoundError(f"no prompt named {name!r} (known: {known})")
    return Prompt(name=name, text=path.read_text(encoding="utf-8"))
