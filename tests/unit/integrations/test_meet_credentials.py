"""Google Meet credentials: the two kinds accepted, and clear refusals naming the setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cs_agent.config import ConfigurationError
from integrations.google_meet.auth import SCOPES, load_meet_credentials


def service_account_key(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "cs-agent",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "cs-agent@cs-agent.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info))
    return path


def test_a_service_account_acts_as_the_meet_user_with_the_meet_scopes(tmp_path: Path) -> None:
    identity = load_meet_credentials(
        service_account_key(tmp_path / "key.json"),
        user="olivia.brandt@brightwave.example",
        token_url="http://127.0.0.1:9/token",
    )
    assert identity.kind == "service_account"
    assert identity.credentials._subject == "olivia.brandt@brightwave.example"
    assert tuple(identity.credentials._scopes) == SCOPES
    assert identity.credentials._token_uri == "http://127.0.0.1:9/token"
    assert "1234567890" in identity.fix() and "meetings.space.readonly" in identity.fix()


def test_a_service_account_without_a_user_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CS_AGENT_MEET_USER"):
        load_meet_credentials(service_account_key(tmp_path / "key.json"), user=None, token_url=None)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("not json", "cannot read it as JSON"),
        ('{"type": "installed"}', 'expected "service_account"'),
        ('{"type": "authorized_user"}', "incomplete"),
        (
            '{"type": "authorized_user", "client_id": "c", "client_secret": "s", '
            '"refresh_token": "r", "scopes": ["openid"]}',
            "meetings.space.readonly",
        ),
    ],
    ids=["missing", "not-json", "client-secret", "incomplete", "no-meet-scope"],
)
def test_unusable_credentials_are_refused_naming_the_setting(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "meet.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigurationError, match="CS_AGENT_MEET_CREDENTIALS") as raised:
        load_meet_credentials(path, user=None, token_url=None)
    assert problem in str(raised.value)
