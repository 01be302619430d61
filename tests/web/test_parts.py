"""The inbox's parts on their own: password hashes, throttling, the loopback rule, forms, quotes."""

from __future__ import annotations

import datetime as dt
import io
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from rich.console import Console
from starlette.requests import Request
from typer.testing import CliRunner

from cs_agent.cli.main import app as cli_app
from cs_agent.cli.render import render_next_step
from cs_agent.config import Settings
from cs_agent.core.domain import ApprovalRequest, CallSummary, DraftStatus, FollowUpDraft
from cs_agent.core.ids import inbox_call_url
from cs_agent.core.passwords import hash_password, is_password_hash, verify_password
from cs_agent.services.views import CallView, DraftView
from cs_agent.web.auth import SignInLimiter, session_secret
from cs_agent.web.deps import safe_next
from cs_agent.web.forms import UploadForm, parse_attendees, split_addresses
from cs_agent.web.locality import is_local_request
from cs_agent.web.present import TranscriptLine, describe_event, highlight, locate_quotes
from integrations.local import LocalApprovalChannel
from storage.models import AuditEventRow

# --- passwords ----------------------------------------------------------------------------------


def test_a_password_hash_verifies_only_its_password_and_is_salted() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second  # salted
    assert first.startswith("scrypt:14:8:1:")
    assert verify_password("correct horse", first)
    assert verify_password("correct horse", second)
    assert not verify_password("correct horsE", first)
    assert not verify_password("", first)
    # No ',' (separates users) and exactly the colons of the format.
    assert "," not in first and first.count(":") == 5


@pytest.mark.parametrize(
    "value",
    [
        "hunter2",
        "",
        "scrypt:14:8:1:c2FsdA:a2V5",  # key too short
        "scrypt:40:8:1:" + "A" * 22 + ":" + "A" * 43,  # absurd cost: refused, not attempted
        "bcrypt:14:8:1:" + "A" * 22 + ":" + "A" * 43,
        "scrypt:14:8:1:" + "A" * 22 + ":" + "A" * 42 + "=",
    ],
)
def test_anything_else_is_not_a_password_hash(value: str) -> None:
    assert not is_password_hash(value)
    assert not verify_password("anything", value)


def test_settings_refuse_plain_passwords_and_short_admin_tokens() -> None:
    good = hash_password("a long password")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        web_users=f"dana:{good}, sam:{good}",
        web_approvers="dana",
    )
    assert settings.web_users == {"dana": good, "sam": good}
    assert settings.web_approvers == ["dana"]
    assert settings.web_sign_in_configured

    with pytest.raises(ValidationError, match="sam: expected name:hash with a hash made by"):
        Settings(_env_file=None, web_users=f"dana:{good},sam:hunter2")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(_env_file=None, web_admin_token="short")  # type: ignore[call-arg]
    assert not Settings(_env_file=None).web_sign_in_configured  # type: ignore[call-arg]


def test_settings_read_web_users_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    good = hash_password("a long password")
    monkeypatch.setenv("CS_AGENT_WEB_USERS", f"dana:{good}")
    monkeypatch.setenv("CS_AGENT_WEB_ADMIN_TOKEN", "x" * 24)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.web_users == {"dana": good}
    assert settings.web_admin_token is not None


def test_hash_password_command_prints_a_usable_user_entry() -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["web", "hash-password", "--user", "dana"], input="s3cret-pass\ns3cret-pass\n"
    )
    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[-1]
    name, _, hashed = line.partition(":")
    assert name == "dana"
    assert verify_password("s3cret-pass", hashed)
    assert Settings(_env_file=None, web_users=line).web_users == {"dana": hashed}  # type: ignore[call-arg]

    piped = runner.invoke(cli_app, ["web", "hash-password", "--stdin"], input="another-pass\n")
    assert piped.exit_code == 0
    assert verify_password("another-pass", piped.stdout.strip())

    short = runner.invoke(cli_app, ["web", "hash-password", "--stdin"], input="short\n")
    assert short.exit_code == 2
    assert "at least 8 characters" in short.output
    bad_name = runner.invoke(cli_app, ["web", "hash-password", "-u", "a:b", "--stdin"], input="x\n")
    assert bad_name.exit_code == 2


# --- the session secret -------------------------------------------------------------------------


def test_the_session_secret_is_generated_once_privately_and_reused(settings: Settings) -> None:
    first = session_secret(settings)
    path = settings.data_dir / "web-session-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert session_secret(settings) == first
    configured = settings.model_copy(update={"web_session_secret": SecretStr("from-settings")})
    assert session_secret(configured) == "from-settings"


# --- throttling ---------------------------------------------------------------------------------


def test_the_limiter_counts_failures_in_a_window_per_client() -> None:
    limiter = SignInLimiter(max_failures=3, window=60)
    for t in (0.0, 10.0, 20.0):
        assert limiter.retry_after("a", now=t) == 0
        limiter.failed("a", now=t)
    assert limiter.retry_after("a", now=21.0) == 39  # until the first failure leaves the window
    assert limiter.retry_after("b", now=21.0) == 0
    assert limiter.retry_after("a", now=60.5) == 0  # one failure fell out of the window
    limiter.failed("a", now=61.0)
    assert limiter.retry_after("a", now=61.0) == 9
    limiter.succeeded("a")
    assert limiter.retry_after("a", now=61.0) == 0


def test_the_limiter_keeps_a_bounded_memory() -> None:
    limiter = SignInLimiter(max_failures=3, window=60, max_clients=100)
    for n in range(1000):
        limiter.failed(f"10.0.{n // 250}.{n % 250}", now=float(n))
    assert len(limiter._failures) <= 100


# --- the loopback rule --------------------------------------------------------------------------


def _request(client: str, host: str, *extra: tuple[bytes, bytes]) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"host", host.encode()), *extra],
            "client": (client, 1234),
        }
    )


@pytest.mark.parametrize(
    "header",
    [
        (b"x-forwarded-for", b"203.0.113.9"),
        (b"forwarded", b"for=203.0.113.9"),
        (b"x-real-ip", b"203.0.113.9"),
    ],
)
def test_a_request_through_a_proxy_is_never_local(header: tuple[bytes, bytes]) -> None:
    # A same-host proxy connects from 127.0.0.1 and may well send Host: 127.0.0.1.
    assert is_local_request(_request("127.0.0.1", "127.0.0.1:8000", header)) is False


@pytest.mark.parametrize(
    ("client", "host", "local"),
    [
        ("127.0.0.1", "127.0.0.1:8000", True),
        ("127.0.0.1", "localhost", True),
        ("127.8.9.1", "127.0.0.1", True),
        ("::1", "[::1]:8000", True),
        ("127.0.0.1", "cs.example.com", False),  # DNS rebinding
        ("127.0.0.1", "127.0.0.1.nip.io:8000", False),
        ("192.168.1.20", "127.0.0.1:8000", False),
        ("10.0.0.5", "localhost", False),
        ("testclient", "localhost", False),
    ],
)
def test_local_means_a_loopback_client_asking_for_a_loopback_name(
    client: str, host: str, local: bool
) -> None:
    assert is_local_request(_request(client, host)) is local


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/inbox/calls/x?y=1", "/inbox/calls/x?y=1"),
        ("", "/home"),
        ("https://evil.example/", "/home"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("inbox", "/home"),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(value: str, expected: str) -> None:
    assert safe_next(value, "/home") == expected


# --- forms --------------------------------------------------------------------------------------


def test_addresses_split_on_commas_and_lines_keeping_quoted_names_and_bad_entries() -> None:
    assert split_addresses(
        '"Natarajan, Priya" <priya@acme.example>, tom@acme.example\n\n lena@acme.example ,bad@'
    ) == [
        '"Natarajan, Priya" <priya@acme.example>',
        "tom@acme.example",
        "lena@acme.example",
        "bad@",
    ]
    assert split_addresses("  ,\n ") == []


def test_attendees_get_their_side_from_their_domain() -> None:
    errors: dict[str, str] = {}
    attendees = parse_attendees(
        "Priya Natarajan <priya@acme.example>\n\nDana <dana@brightwave.example>\nsomeone@else.example\nJust A Name",
        customer_domain="acme.example",
        our_domain="brightwave.example",
        errors=errors,
    )
    assert errors == {}
    assert [(a.name, a.email, a.side) for a in attendees] == [
        ("Priya Natarajan", "priya@acme.example", "customer"),
        ("Dana", "dana@brightwave.example", "us"),
        ("someone@else.example", "someone@else.example", None),
        ("Just A Name", None, None),
    ]
    parse_attendees(
        "ok@acme.example\nPriya <priya@>", customer_domain="", our_domain="", errors=errors
    )
    assert errors == {
        "attendees": "line 2: 'Priya <priya@>' is not \"Name <email>\", an email address, or a name"
    }


def test_an_upload_error_excerpt_shows_the_lines_around_the_bad_one() -> None:
    form = UploadForm(transcript="one\ntwo\nthree\nfour\nfive\nsix", error_line=2)
    assert form.excerpt() == [(1, "one"), (2, "two"), (3, "three"), (4, "four")]
    assert UploadForm(transcript="x").excerpt() == []


# --- presenting a call --------------------------------------------------------------------------


def _lines(*texts: tuple[float | None, str]) -> list[TranscriptLine]:
    return [
        TranscriptLine(index=i, anchor=f"t-{i}", start=start, stamp="", speaker="S", text=text)
        for i, (start, text) in enumerate(texts)
    ]


def test_a_quote_is_found_by_its_words_then_by_its_time() -> None:
    lines = _lines(
        (0.0, "Hello everyone."),
        (10.0, "I'll send the deck by Friday, promise."),
        (20.0, "Great. Also — I'll send the deck by Friday to Tom."),
        (30.0, "We should check the SSO setup; it's been flaky."),
        (40.0, "Bye."),
    )
    found = locate_quotes(
        lines,
        [
            ("I'll send the deck by Friday", 21.0),  # two matches: the nearer in time
            ("I'll send the deck by Friday", None),  # no time: the first
            ("we should CHECK the sso setup", None),  # case and punctuation do not matter
            ("We should check the SSO setup; it's been flaky. Bye. And more words here", 30.0),
            ("words that were never said", 35.0),  # only the time: the utterance under way
            ("words that were never said", None),
            ("", 5.0),
        ],
    )
    assert found == [2, 1, 3, 3, 3, None, 0]


def test_quotes_are_marked_in_their_utterance_and_the_rest_is_escaped() -> None:
    text = "Sure <b>. I'll send the deck by Friday & the notes too."
    marked = highlight(text, ["i'll send the deck by friday", "“the notes”", "never said"])
    assert str(marked) == (
        "Sure &lt;b&gt;. <mark>I&#39;ll send the deck by Friday</mark> &amp; "
        "<mark>the notes</mark> too."
    )
    assert str(highlight("a b c", ["a b", "b c"])) == "<mark>a b</mark> c"


@pytest.mark.parametrize(
    ("action", "detail", "expected"),
    [
        ("received", {"words": 4069, "format": "vtt"}, "4069 words, vtt transcript"),
        ("analyzed", {"action_items": 3, "cost_usd": 0.0}, "3 action items, no model cost"),
        ("analyzed", {"action_items": 3, "cost_usd": 0.0123}, "3 action items, $0.0123"),
        (
            "issue_filed",
            {"issue": "ENG-7", "tracker": "linear", "item": "Send"},
            "ENG-7 in linear: Send",
        ),
        (
            "edited",
            {
                "from_version": 1,
                "to_version": 2,
                "before": {"subject": "a", "body": "b"},
                "after": {"subject": "a", "body": "c"},
            },
            "v1 → v2 (changed body)",
        ),
        ("rejected", {"version": 2, "reason": "wrong price"}, "v2: wrong price"),
        ("email_sent", {"version": 1, "message_id": "<m@x>"}, "v1 as <m@x>"),
        ("something_new", {"a": 1, "b": {"nested": True}}, "a: 1"),
    ],
)
def test_audit_events_read_as_sentences(
    action: str, detail: dict[str, object], expected: str
) -> None:
    event = AuditEventRow(actor="x", action=action, detail=detail, at=dt.datetime.now(dt.UTC))
    assert describe_event(event) == expected


# --- where to approve ---------------------------------------------------------------------------


async def test_the_local_approval_channel_points_at_the_inbox() -> None:
    channel = LocalApprovalChannel(public_url="https://cs.example.com/")
    draft = FollowUpDraft(
        id="draft-1",
        call_id="call-1",
        version=1,
        status=DraftStatus.PENDING,
        subject="s",
        body="b",
        to=[],
        cc=[],
    )
    ref = await channel.request_approval(
        ApprovalRequest(
            draft=draft,
            call_id="call-1",
            call_title=None,
            call_date=None,
            customer=None,
            summary=CallSummary(text=""),
            action_items=[],
            issues=[],
            analyzer="x",
        )
    )
    assert ref["inbox_url"] == "https://cs.example.com/inbox/calls/call-1#draft"
    assert ref["inbox_url"] == inbox_call_url("https://cs.example.com", "call-1")
    assert ref["approve"] == "cs-agent drafts approve draft-1"


def test_the_next_step_names_the_inbox_url() -> None:
    view = CallView(
        call_id="call-1",
        status="awaiting_approval",
        failure_reason=None,
        created_at=dt.datetime.now(dt.UTC),
        title=None,
        call_date=None,
        customer=None,
        analyzer="x",
        analysis_notes=[],
        summary=None,
        action_items=[],
        draft=DraftView(
            id="draft-1", version=1, status="pending", subject="s", to=[], cc=[], body="b"
        ),
        approval={
            "channel": "local",
            "inbox_url": "http://127.0.0.1:8000/inbox/calls/call-1#draft",
        },
        usage=None,
        cost_usd=0.0,
        words=0,
    )
    buffer = io.StringIO()
    render_next_step(Console(file=buffer, width=140), view)
    out = buffer.getvalue()
    assert "cs-agent drafts approve draft-1" in out
    assert "or open:  http://127.0.0.1:8000/inbox/calls/call-1#draft" in out


def test_templates_and_static_files_ship_with_the_package() -> None:
    root = Path(__file__).resolve().parents[2]
    pyproject = (root / "pyproject.toml").read_text()
    assert 'cs_agent = ["web/templates/*.html", "web/static/*"]' in pyproject
    web = root / "cs_agent" / "web"
    assert sorted(p.name for p in (web / "static").iterdir()) == [
        "favicon.svg",
        "inbox.css",
        "inbox.js",
    ]
    assert {"base.html", "calls.html", "call.html", "upload.html", "signin.html", "error.html"} <= {
        p.name for p in (web / "templates").iterdir()
    }
