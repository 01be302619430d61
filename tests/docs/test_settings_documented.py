"""Every setting is documented where users look: the configuration page and .env.example."""

from __future__ import annotations

import pytest
from pydantic import AliasChoices

from cs_agent.config import Settings

from ..conftest import REPO_ROOT


def env_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.append(str(alias.choices[0]))
        elif isinstance(alias, str):
            names.append(alias)
        else:
            names.append(f"CS_AGENT_{name.upper()}")
    return names


@pytest.mark.parametrize("document", ["docs/configuration.md", ".env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (REPO_ROOT / document).read_text(encoding="utf-8")
    missing = [name for name in env_names() if name not in text]
    assert missing == [], f"{document} does not mention {missing}"


def test_env_example_is_inert_until_edited() -> None:
    # Every setting line is commented out: copying the file changes nothing by itself.
    lines = (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assert all(not line.strip() or line.startswith("#") for line in lines)
