"""Choosing and configuring the mailer: clear errors for every wrong setting, nothing silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from cs_agent.bootstrap.adapters import choose_mailer
from cs_agent.config import ConfigurationError, Settings
from integrations.gmail.auth import load_credentials
from integrations.smtp import SmtpServer
from storage.db import make_engine

from ...mailers import SENDER


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://user:pw@mail.example:587", ("mail.example", 587, "starttls", "user", "pw")),
        ("smtp://mail.example", ("mail.example", 587, "starttls", None, None)),
        ("smtps://u%40corp:p%3Aw%2F@mail.example", ("mail.example", 465, "tls", "u@corp", "p:w/")),
        ("smtp://relay.internal:25?tls=off", ("relay.internal", 25, "none", None, None)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    server = SmtpServer.from_url(url)
    assert (server.host, server.port, server.security, server.username, server.password) == expected
    assert "pw" not in server.describe() and "p:w" not in server.describe()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "is not smtp://"),
        ("smtp://", "no host"),
        ("smtp://user:pw@relay:25?tls=off", "password in clear"),
        ("smtps://relay?tls=off", "drop ?tls=off"),
        ("smtp://relay?tls=maybe", "is not on or off"),
        ("smtp://relay:notaport", "CS_AGENT_SMTP_URL"),
    ],
)
def test_bad_smtp_urls_name_the_setting(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match="CS_AGENT_SMTP_URL") as raised:
        SmtpServer.from_url(url)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not JSON (line 1"),
        ('["a"]', "expected a JSON object"),
        ('{"installed": {"client_id": "x"}}', "is the input of `cs-agent auth gmail`"),
        (
            '{"type": "authorized_user", "client_id": "x"}',
            "authorized_user credentials are incomplete",
        ),
    ],
)
def test_bad_gmail_credentials_say_what_is_wrong(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "creds.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigurationError, match="CS_AGENT_GMAIL_CREDENTIALS") as raised:
        load_credentials(path, sender=SENDER)
    assert message in str(raised.value)


def test_gmail_credentials_without_a_sender_refuse_to_start(
    settings: Settings, tmp_path: Path
) -> None:
    token = tmp_path / "token.json"
    token.write_text(json.dumps({"type": "authorized_user"}))
    engine = make_engine(settings.app_database_url)
    with pytest.raises(ConfigurationError, match="CS_AGENT_GMAIL_SENDER is not set"):
        choose_mailer(settings.model_copy(update={"gmail_credentials": token}), engine)


def test_the_mailer_follows_the_settings(settings: Settings, tmp_path: Path) -> None:
    engine = make_engine(settings.app_database_url)
    mailer, choice = choose_mailer(settings, engine)
    assert (mailer.name, choice.local) == ("outbox", True)

    smtp = settings.model_copy(update={"smtp_url": SecretStr("smtp://u:secret@mail.example")})
    mailer, choice = choose_mailer(smtp, engine)
    assert mailer.name == "smtp" and not choice.local
    assert "secret" not in choice.reason and "mail.example:587" in choice.reason
