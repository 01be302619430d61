"""The Gmail commands as a user runs them: `cs-agent auth gmail` (the test is the browser),
`cs-agent doctor`, and what a wrong setting prints."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from integrations.gmail.auth import DRAFT_SCOPES, SCOPES, load_credentials

from ..conftest import REPO_ROOT
from ..emulators.gmail import GmailEmulator
from ..mailers import SENDER, GmailSetup, outgoing


@pytest.fixture
def emulator() -> Iterator[GmailEmulator]:
    emulator = GmailEmulator().start()
    emulator.consenting_user = SENDER
    try:
        yield emulator
    finally:
        emulator.stop()


def run_auth(
    emulator: GmailEmulator, secret: Path, token: Path, *extra: str
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CS_AGENT_GMAIL_API_URL": emulator.url + "/",
        "PYTHONUNBUFFERED": "1",
        # The emulator's token endpoint is plain http; oauthlib insists on https otherwise.
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cs_agent",
            "auth",
            "gmail",
            str(secret),
            "--out",
            str(token),
            "--no-browser",
            *extra,
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sign_in_url(child: subprocess.Popen[str], timeout: float = 60) -> str:
    """The address the command asks the person to open."""
    assert child.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.startswith("http"):
            return line.strip()
        if not line and child.poll() is not None:
            break
    child.kill()
    raise AssertionError(f"no sign-in URL; stderr: {child.stderr.read() if child.stderr else ''}")


async def test_signing_in_writes_a_private_token_that_sends(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    secret = emulator.client_secret_file(tmp_path / "client_secret.json")
    token = tmp_path / "gmail-token.json"
    child = run_auth(emulator, secret, token)
    url = sign_in_url(child)

    # The person's browser: Google's consent page redirects to the command's local server.
    landing = httpx.get(url, follow_redirects=True, timeout=30)
    stdout, stderr = child.communicate(timeout=60)

    assert child.returncode == 0, stderr
    assert landing.status_code == 200 and "close this tab" in landing.text
    assert f"Signed in as {SENDER}" in stdout
    assert f"CS_AGENT_GMAIL_SENDER={SENDER}" in stdout
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    identity = load_credentials(token, sender=SENDER, token_url=emulator.url + "/token")
    assert identity.kind == "authorized_user" and identity.account == SENDER
    consent = httpx.URL(url).params
    assert set(consent["scope"].split()) == set(SCOPES)
    assert consent["access_type"] == "offline" and consent["code_challenge_method"] == "S256"

    # The token works: refreshed at the token endpoint, used to send.
    await GmailSetup(emulator, token).mailer().send(outgoing())
    assert len(emulator.sent(SENDER)) == 1


def test_an_existing_token_is_not_replaced_without_force(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    secret = emulator.client_secret_file(tmp_path / "client_secret.json")
    token = tmp_path / "gmail-token.json"
    token.write_text("{}")
    child = run_auth(emulator, secret, token)
    _stdout, stderr = child.communicate(timeout=60)

    assert child.returncode == 1
    assert "already exists; pass --force" in stderr
    assert token.read_text() == "{}"
    assert emulator.requests == [], "refused before any sign-in started"


def test_doctor_checks_gmail(emulator: GmailEmulator, tmp_path: Path) -> None:
    setup = GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "t.json", SENDER))
    result = subprocess.run(
        [sys.executable, "-m", "cs_agent", "doctor"],
        cwd=REPO_ROOT,
        env={**os.environ, **setup.env(), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"signed in to Gmail as {SENDER}" in result.stdout
    assert any(r.path.endswith("/profile") for r in emulator.requests)


def test_a_missing_credentials_file_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cs_agent", "drafts", "approve", "draft-x"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "CS_AGENT_GMAIL_CREDENTIALS": str(tmp_path / "missing.json"),
            "CS_AGENT_GMAIL_SENDER": SENDER,
            "COLUMNS": "250",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"CS_AGENT_GMAIL_CREDENTIALS={tmp_path / 'missing.json'}: no such file" in result.stderr


async def test_a_gmail_draft_policy_asks_for_the_compose_scope_too(
    emulator: GmailEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CS_AGENT_FOLLOWUP_POLICY", "gmail-draft")
    secret = emulator.client_secret_file(tmp_path / "client_secret.json")
    token = tmp_path / "gmail-token.json"
    child = run_auth(emulator, secret, token)
    url = sign_in_url(child)
    httpx.get(url, follow_redirects=True, timeout=30)
    _stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert set(httpx.URL(url).params["scope"].split()) == set(DRAFT_SCOPES)
    identity = load_credentials(
        token, sender=SENDER, token_url=emulator.url + "/token", scopes=DRAFT_SCOPES
    )
    assert identity.scopes == DRAFT_SCOPES
