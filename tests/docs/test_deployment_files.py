"""compose.yaml and the Dockerfile keep their deployment promises."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_workers_have_their_own_healthcheck_not_the_api_port() -> None:
    """A worker checks its metrics port, not the API's :8000 it does not serve."""
    worker = _compose()["services"]["worker"]
    test = " ".join(worker["healthcheck"]["test"])
    assert ":8000" not in test
    assert "9464" in test and "9464" in " ".join(worker["command"])


def test_api_and_workers_share_one_data_volume() -> None:
    """The outbox and the data dir live in a named volume every cs-agent container mounts."""
    compose = _compose()
    for name in ("api", "worker"):
        volumes = compose["services"][name]["volumes"]
        assert "cs-agent-data:/home/csagent/data" in volumes
    assert "cs-agent-data" in compose["volumes"]


def test_postgres_password_is_not_written_in_the_file() -> None:
    """The password comes from the environment, and compose refuses to start without it."""
    text = (ROOT / "compose.yaml").read_text()
    compose = _compose()
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == (
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    )
    assert "cs_agent:cs_agent@" not in text
    assert "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres" in text


def test_dockerfile_healthcheck_is_exec_form_and_user_is_numeric() -> None:
    """hadolint DL3025 (exec-form HEALTHCHECK CMD) and DL3066 (numeric USER)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    health = re.search(r"^HEALTHCHECK .*?CMD (.+)$", text, re.MULTILINE)
    assert health is not None
    assert isinstance(json.loads(health.group(1)), list)
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and all(re.fullmatch(r"\d+(:\d+)?", user) for user in users)
