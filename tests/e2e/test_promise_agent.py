"""The Claude agent writes a customer's update through its one tool, the real SDK and CLI
against the local model; without a usable answer the template's text stays, labelled."""

from __future__ import annotations

from pathlib import Path

from cs_agent.analyzers.claude.tools import full_tool_name
from cs_agent.analyzers.claude.updates import DRAFT_UPDATE
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.services import queues
from cs_agent.services.local_tasks import change_task, list_tasks
from cs_agent.services.promise_updates import hand_updates_to_workers
from cs_agent.services.promise_views import list_promises
from storage import repo
from storage.db import session_scope

from ..emulators.anthropic import AnthropicEmulator, Text, ToolUse, turn
from ..emulators.scripted_calls import example, extraction_turns
from .test_agent import agent_settings, process, started

MARKER = "Promises kept (between"
BODY = "Hello Priya,\n\nGood news from our call of 10 November: the revised quote is done.\n\nDana"


async def keep_ours(runtime: Runtime, call_id: str) -> tuple[str, str]:
    """Keep one of our promises; returns (its title, its update draft id)."""
    promise = next(p for p in list_promises(runtime.engine, call_id=call_id) if p.side == "us")
    task = next(t for t in list_tasks(runtime.engine) if t.title == promise.title)
    change = change_task(runtime.engine, task.id, state="completed", actor="cli:dana")
    [workflow] = hand_updates_to_workers(runtime.settings, [c.item_id for c in change.promises])
    return promise.title, str(await queues.wait_for(workflow, timeout=60))


async def test_the_agent_drafts_the_update_with_its_tool(
    model: AnthropicEmulator, isolated_environment: Path
) -> None:
    call = example("acme-renewal")
    model.script(
        [turn(ToolUse(full_tool_name(DRAFT_UPDATE), {"body": BODY})), turn(Text("done"))],
        marker=MARKER,
    )
    model.script(extraction_turns(call))
    async with started(agent_settings(isolated_environment, model)) as runtime:
        view = await process(runtime, call)
        title, draft_id = await keep_ours(runtime, view.call_id)
        with session_scope(runtime.engine) as session:
            draft = repo.get_draft(session, draft_id=draft_id)
            events = [e.actor for e in repo.list_audit(session, call_id=view.call_id)]
    assert draft is not None and draft.kind == "update" and draft.status == "pending"
    assert draft.body.strip() == BODY.strip() and draft.drafted_by == "claude"
    assert draft.version == 2, "the template's version 1, then the model's"
    assert "claude" in events
    request = model.message_requests(MARKER)[0]  # then the tool result, and done
    assert [tool["name"] for tool in request["tools"]] == [full_tool_name(DRAFT_UPDATE)]
    assert title in str(request["messages"])


async def test_without_a_drafted_update_the_template_stays(
    model: AnthropicEmulator, isolated_environment: Path
) -> None:
    call = example("acme-renewal")
    model.script([turn(Text("I would rather not."))], marker=MARKER)
    model.script(extraction_turns(call))
    async with started(agent_settings(isolated_environment, model)) as runtime:
        view = await process(runtime, call)
        title, draft_id = await keep_ours(runtime, view.call_id)
        with session_scope(runtime.engine) as session:
            draft = repo.get_draft(session, draft_id=draft_id)
    assert draft is not None and draft.version == 1 and draft.drafted_by == "update-template"
    assert title.lower()[:20] in draft.body.lower()
