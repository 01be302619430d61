"""Operations: metrics after a known sequence of calls, costs, retention, and doctor.

The business numbers in ``/metrics`` come from the database, the process numbers (latencies,
API errors) from the process that did the work; both are read back in Prometheus's text format
with Prometheus's own parser.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import update
from typer.testing import CliRunner

from cs_agent.api.app import create_app
from cs_agent.bootstrap.doctor import diagnose
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.cli.main import app as cli_app
from cs_agent.config import Settings
from cs_agent.core import errors, ids
from cs_agent.core.domain import ActionItem
from cs_agent.core.ports import CallContext
from cs_agent.services import approvals, queues
from cs_agent.services.intake import submit_call
from storage import repo
from storage.db import make_engine, session_scope
from storage.models import CallRow

from ..conftest import REPO_ROOT
from ..emulators.anthropic import AnthropicEmulator, Text, is_messages, turn, unauthorized
from ..emulators.linear import API_KEY, LinearEmulator
from ..emulators.scripted_calls import ExampleCall, example, extraction_turns
from ..emulators.slack import SlackEmulator
from ..mailers import GmailSetup
from ..slack_env import slack_env

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def submit(runtime: Runtime, call: ExampleCall) -> str:
    submission = await submit_call(
        runtime, transcript=call.transcript, metadata=call.metadata, source="test"
    )
    with contextlib.suppress(errors.WorkflowFailure):
        await queues.wait_for(submission.workflow_id, timeout=120)
    return submission.call_id


# --- metrics and costs ----------------------------------------------------------------------------


async def test_metrics_and_costs_after_a_known_sequence_of_calls(
    isolated_environment: Path, model: AnthropicEmulator
) -> None:
    """One call analysed by the agent (one item linked to an open issue), sent; one call whose
    analysis the model API refuses; then /metrics, `cs-agent costs` and the inbox's costs page."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=isolated_environment,
        analyzer="claude",
        anthropic_api_key=SecretStr("sk-ant-emulated"),
        anthropic_base_url=model.url,
        company_name="Brightwave",
        sender_email="cs@brightwave.example",
    )
    acme, initech = example("acme-renewal"), example("initech-escalation")
    tracked = acme.expected[6]
    earlier_issue = uuid.UUID("0b9f6c1e-3d1a-4f55-9a53-2f0c1de0a001")
    model.script(
        extraction_turns(
            acme, search=tracked["title"], links={tracked["title"]: str(earlier_issue)}
        )
    )
    runtime = Runtime(settings)
    await runtime.start()
    try:
        app = create_app(settings, runtime=runtime)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
        ) as client:
            before = parse_metrics((await client.get("/metrics")).text)
            await runtime.adapters.tracker.create_issue(
                ActionItem(title=tracked["title"], quote=tracked["quote"]),
                issue_id=earlier_issue,
                call=CallContext(call_id="call-earlier", customer_name="Acme Freight"),
            )
            acme_id = await submit(runtime, acme)
            model.fail_next(1, unauthorized(), when=is_messages)
            initech_id = await submit(runtime, initech)
            draft_id = ids.draft_id_for(acme_id)
            decision = await approvals.approve(runtime, draft_id=draft_id, actor="test:dana")
            await queues.wait_for(decision.workflow_id or "", timeout=60)

            response = await client.get("/metrics")
            costs_page = await client.get("/inbox/costs", params={"period": "all"})
        with session_scope(runtime.engine) as session:
            acme_row = repo.get_call(session, call_id=acme_id)
            initech_row = repo.get_call(session, call_id=initech_id)
    finally:
        await runtime.stop()

    assert acme_row is not None and initech_row is not None
    assert acme_row.status == "completed" and initech_row.status == "failed"
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = parse_metrics(response.text)
    items = len(acme.expected)
    tokens_in = sum(u["input_tokens"] for u in model.answered_usage)
    tokens_out = sum(u["output_tokens"] for u in model.answered_usage)
    assert acme_row.cost_usd > 0

    # Business numbers: from the database, exact.
    assert value(after, "cs_agent_calls_received_total") == 2
    assert value(after, "cs_agent_calls_analyzed_total") == 1
    assert value(after, "cs_agent_call_failures_total") == 1
    assert value(after, "cs_agent_calls", status="completed") == 1
    assert value(after, "cs_agent_calls", status="failed") == 1
    assert value(after, "cs_agent_action_items_total", outcome="filed") == items - 1
    assert value(after, "cs_agent_action_items_total", outcome="linked") == 1
    assert value(after, "cs_agent_drafts", status="sent") == 1
    assert value(after, "cs_agent_emails_sent_total") == 1
    assert value(after, "cs_agent_reminders_sent_total") == 0
    assert value(after, "cs_agent_oldest_pending_draft_age_seconds") == 0
    assert value(after, "cs_agent_model_tokens_total", kind="input") == tokens_in > 0
    assert value(after, "cs_agent_model_tokens_total", kind="output") == tokens_out > 0
    assert value(after, "cs_agent_model_cost_usd_total") == pytest.approx(acme_row.cost_usd)

    # Process numbers: what this process did, as deltas (the registry lives as long as it).
    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("cs_agent_external_errors_total", system="claude", kind="unauthorized") == 1
    step = "cs_agent_step_duration_seconds_count"
    assert delta(step, step="analyze_call", outcome="ok") == 1
    assert delta(step, step="analyze_call", outcome="error") == 1
    assert delta(step, step="file_action_item", outcome="ok") == items
    assert delta(step, step="deliver_email", outcome="ok") == 1
    assert delta("cs_agent_step_duration_seconds_sum", step="analyze_call", outcome="ok") > 0

    # The same money in `cs-agent costs` (per customer and per call) and the inbox.
    result = CliRunner().invoke(cli_app, ["costs", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    acme_line = next(line for line in report["lines"] if line["customer"] == "Acme Freight")
    assert acme_line["calls"] == 1 and acme_line["input_tokens"] == tokens_in
    assert acme_line["cost_usd"] == pytest.approx(acme_row.cost_usd, abs=1e-6)
    assert report["total"]["calls"] == 2
    assert report["total"]["cost_usd"] == pytest.approx(acme_row.cost_usd, abs=1e-6)
    per_call = CliRunner().invoke(cli_app, ["costs", "--by", "call", "--since", "1d", "--json"])
    assert per_call.exit_code == 0, per_call.output
    calls = {line["call_id"]: line for line in json.loads(per_call.output)["lines"]}
    assert set(calls) == {acme_id, initech_id}
    assert calls[acme_id]["output_tokens"] == tokens_out
    assert calls[initech_id]["cost_usd"] == 0 and calls[initech_id]["analyzer"] is None
    future = CliRunner().invoke(cli_app, ["costs", "--json", "--since", "2099-01-01"])
    assert json.loads(future.output)["total"]["calls"] == 0
    assert costs_page.status_code == 200
    page = " ".join(re.sub(r"<[^>]+>", " ", costs_page.text).split())
    assert f"Acme Freight 1 {tokens_in:,} {tokens_out:,} ${acme_row.cost_usd:.4f}" in page
    assert f"Total 2 {tokens_in:,} {tokens_out:,} ${acme_row.cost_usd:.4f}" in page


# --- retention -----------------------------------------------------------------------------------


async def test_purge_removes_old_transcripts_and_keeps_items_drafts_and_audit(
    runtime: Runtime,
) -> None:
    old_id = await submit(runtime, example("acme-renewal"))
    new_id = await submit(runtime, example("initech-escalation"))
    with session_scope(runtime.engine) as session:
        session.execute(
            update(CallRow)
            .where(CallRow.id == old_id)  # type: ignore[arg-type]
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=100))
        )

    def snapshot() -> dict[str, Any]:
        with session_scope(runtime.engine) as session:
            return {
                call_id: (
                    repo.get_call(session, call_id=call_id).transcript is not None,  # type: ignore[union-attr]
                    len(repo.list_items(session, call_id=call_id)),
                    repo.get_draft_for_call(session, call_id=call_id) is not None,
                    [e.action for e in repo.list_audit(session, call_id=call_id)],
                )
                for call_id in (old_id, new_id)
            }

    start = snapshot()
    assert start[old_id][0] and start[old_id][1] > 0 and start[old_id][2]

    dry = CliRunner().invoke(cli_app, ["purge", "--older-than", "90d", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert old_id in dry.output and new_id not in dry.output
    assert "Dry run: would remove the transcripts of 1 call" in " ".join(dry.output.split())
    assert snapshot() == start, "a dry run changes nothing"

    done = CliRunner().invoke(cli_app, ["purge", "--older-than", "90d"])
    assert done.exit_code == 0, done.output
    assert "Removed the transcripts of 1 call" in " ".join(done.output.split())
    end = snapshot()
    transcript, items, draft, audit = end[old_id]
    assert not transcript
    assert (items, draft) == start[old_id][1:3], "items and the draft are kept"
    assert audit == [*start[old_id][3], "transcript_purged"], "the audit log is kept, and says so"
    assert end[new_id] == start[new_id], "a newer call is untouched"
    with session_scope(runtime.engine) as session:
        event = repo.list_audit(session, call_id=old_id)[-1]
    assert event.actor.startswith("cli:") and event.detail["older_than"] == "90d"

    again = CliRunner().invoke(cli_app, ["purge", "--older-than", "90d"])
    assert "nothing to purge" in again.output
    bad = CliRunner().invoke(cli_app, ["purge", "--older-than", "ninety"])
    assert bad.exit_code != 0

    # What was decided stays readable: the inbox shows the call, without its transcript.
    app = create_app(runtime.settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as client:
        page = await client.get(f"/inbox/calls/{old_id}")
        api = (await client.get(f"/v1/calls/{old_id}")).json()
    assert page.status_code == 200
    assert "The transcript is no longer stored." in page.text
    assert "transcript purged" in page.text
    assert len(api["action_items"]) == start[old_id][1]


# --- doctor --------------------------------------------------------------------------------------


def run_doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cs_agent", "doctor"],
        cwd=REPO_ROOT,
        env={**os.environ, **env, "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def rows(output: str) -> dict[str, str]:
    """Doctor's table: each port's row, its wrapped lines joined."""
    found: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells[0]:
            current = cells[0]
        if current is not None:
            found.setdefault(current, []).append(" ".join(cells[1:]))
    return {port: " ".join(" ".join(parts).split()) for port, parts in found.items()}


def test_doctor_checks_every_port_live_healthy_and_broken(
    tmp_path: Path,
    model: AnthropicEmulator,
    linear_emulator: LinearEmulator,
    slack: SlackEmulator,
    gmail: GmailSetup,
) -> None:
    base = {
        "ANTHROPIC_API_KEY": "sk-ant-emulated",
        "ANTHROPIC_BASE_URL": model.url,
        "CS_AGENT_LINEAR_API_KEY": API_KEY,
        "CS_AGENT_LINEAR_API_URL": linear_emulator.graphql_url,
        "CS_AGENT_LINEAR_TEAM": "CS",
        **slack_env(slack),
        **gmail.env(),
    }
    model.script([turn(Text("ok"))])
    healthy = run_doctor(base)

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    table = rows(healthy.stdout)
    assert list(table) == ["database", "analyzer", "tracker", "approvals", "mailer"]
    assert table["database"].startswith("sqlite ok ✓")
    assert table["analyzer"].startswith("claude ok ✓ credentials from ANTHROPIC_API_KEY")
    assert "model claude-sonnet-4-6 answered" in table["analyzer"]
    assert "authenticated as Avery Admin" in table["tracker"]
    assert "team CS (Customer Success)" in table["tracker"]
    assert table["approvals"].startswith("slack ok ✓ bot cs-agent in workspace Example Team")
    assert "scopes granted: " in table["approvals"] and "needed: chat:write" in table["approvals"]
    assert table["mailer"].startswith("gmail ok ✓ signed in to Gmail as")
    assert "all 5 ok" in healthy.stdout

    # Now everything wrong at once: every row fails, each with what to do.
    model.fail_next(1, unauthorized(), when=is_messages)
    slack.scopes = "chat:write"
    other = GmailSetup(gmail.emulator, gmail.credentials, sender="someone.else@brightwave.example")
    broken = run_doctor(
        {
            **base,
            **other.env(),
            "CS_AGENT_LINEAR_API_KEY": "lin_api_wrong",
            "CS_AGENT_DATABASE_URL": "postgresql://cs:secret@127.0.0.1:9/cs_agent",
        }
    )

    assert broken.returncode == 1, broken.stdout + broken.stderr
    table = rows(broken.stdout)
    for port, row in table.items():
        assert " FAIL " in f" {row} ", f"{port}: {row}"
    assert "check CS_AGENT_DATABASE_URL" in table["database"]
    assert "secret" not in broken.stdout, "the database password is not shown"
    assert "refused the credentials (HTTP 401" in table["analyzer"]
    assert "Linear refused the credentials" in table["tracker"]
    assert "CS_AGENT_LINEAR_API_KEY" in table["tracker"]
    assert "✗ missing scope channels:history" in table["approvals"]
    assert "add it under OAuth & Permissions and reinstall the app" in table["approvals"]
    assert "cannot send as someone.else@brightwave.example" in table["mailer"]
    assert "Set CS_AGENT_GMAIL_SENDER=" in table["mailer"]
    assert "5 of 5 failed: database, analyzer, tracker, approvals, mailer" in broken.stdout


async def test_doctor_reports_a_misconfigured_port_as_a_row_not_a_crash(
    settings: Settings, tmp_path: Path
) -> None:
    broken = settings.model_copy(
        update={
            "gmail_credentials": tmp_path / "missing.json",
            "gmail_sender": "cs@brightwave.example",
            "smtp_url": SecretStr("smtp://user:pw@127.0.0.1:9"),
        }
    )
    engine = make_engine(broken.app_database_url)
    try:
        reports = {report.port: report for report in await diagnose(broken, engine)}
        smtp_only = broken.model_copy(update={"gmail_credentials": None})
        smtp = {report.port: report for report in await diagnose(smtp_only, engine)}
    finally:
        engine.dispose()

    assert [port for port, report in reports.items() if not report.ok] == ["mailer"]
    mailer = reports["mailer"]
    assert mailer.adapter == "(not configured)"
    assert "missing.json" in mailer.checks[0].detail and mailer.fixes
    assert reports["tracker"].ok and reports["approvals"].ok, "the other ports are still checked"
    assert not smtp["mailer"].ok and smtp["mailer"].adapter == "smtp"
    assert "CS_AGENT_SMTP_URL" in smtp["mailer"].fixes[0]


def test_doctor_json_on_a_fresh_checkout_passes_with_the_local_adapters() -> None:
    result = CliRunner().invoke(cli_app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    ports = {port["port"]: port for port in report["ports"]}
    assert list(ports) == ["database", "analyzer", "tracker", "approvals", "mailer"]
    assert ports["analyzer"]["adapter"] == "offline-rules"
    assert "OFFLINE ANALYZER" in ports["analyzer"]["checks"][0]["detail"]
    assert ports["mailer"]["adapter"] == "outbox"
    assert "emails are written to" in ports["mailer"]["checks"][0]["detail"]
    assert all(port["fixes"] == [] for port in ports.values())
