"""compose.yaml and the Dockerfile: what a deployment gets from them, read from the files."""

from __future__ import annotations

import json
import re

import yaml

from ..conftest import REPO_ROOT as ROOT

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SECRET_REF = re.compile(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}")


def _instructions(name: str) -> list[str]:
    """The Dockerfile's ``name`` instructions, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith(name + " ")]


def test_workers_have_a_healthcheck_of_their_own() -> None:
    services = COMPOSE["services"]
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    assert ":8000" not in worker_check, "a worker serves no API on 8000"
    assert "9464" in worker_check and "9464" in " ".join(services["worker"]["command"])
    assert ":8000" in " ".join(services["api"]["healthcheck"]["test"])


def test_the_api_and_every_worker_share_one_data_volume() -> None:
    services = COMPOSE["services"]
    data_dir = services["api"]["environment"]["CS_AGENT_DATA_DIR"]
    for name in ("api", "worker"):
        assert f"cs-agent-data:{data_dir}" in services[name]["volumes"], name
    assert "cs-agent-data" in COMPOSE["volumes"]


def test_no_password_is_written_in_the_compose_file() -> None:
    services = COMPOSE["services"]
    assert SECRET_REF.fullmatch(services["postgres"]["environment"]["POSTGRES_PASSWORD"])
    url = services["api"]["environment"]["CS_AGENT_DATABASE_URL"]
    user_info = url.split("://", 1)[1].split("@", 1)[0]
    assert SECRET_REF.fullmatch(user_info.split(":", 1)[1]), url


def test_dockerfile_healthcheck_is_exec_form_and_user_is_numeric() -> None:
    (healthcheck,) = _instructions("HEALTHCHECK")
    command = healthcheck.split(" CMD ", 1)[1].strip()
    assert isinstance(json.loads(command), list), "exec form (hadolint DL3025)"
    (user,) = _instructions("USER")
    assert re.fullmatch(r"USER \d+:\d+", user), "numeric user and group (hadolint DL3066)"
    assert "install -d -m 0700 -o 10001 -g 10001 /home/csagent/data" in DOCKERFILE
