"""The Promises page in a real browser, against ``cs-agent serve``: a task marked done with
``cs-agent tasks done`` shows as kept, its update is approved from the inbox and sent once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

from playwright.sync_api import Browser, expect

from ..conftest import REPO_ROOT
from .test_browser import (  # noqa: F401 (the fixtures are used by name)
    LAPTOP,
    Server,
    browser,
    save_screenshot,
    server,
    sign_in,
    watch_console,
)


def cs_agent(running: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_AGENT_", "ANTHROPIC_"))}
    env["CS_AGENT_DATA_DIR"] = str(running.data_dir)
    return subprocess.run(
        [sys.executable, "-m", "cs_agent", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_promises_page_shows_kept_and_overdue_and_sends_the_update(
    browser: Browser,  # noqa: F811
    server: Server,  # noqa: F811
) -> None:
    server.submit_example("acme-renewal")
    tasks = json.loads(cs_agent(server, "tasks", "list", "--json").stdout)
    ours = next(t for t in tasks if t["side"] == "us")
    done = cs_agent(server, "tasks", "done", ours["identifier"])
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 60
    while not [
        d
        for d in json.loads(cs_agent(server, "drafts", "list", "--json").stdout)
        if d["kind"] == "update"
    ]:
        assert time.monotonic() < deadline, "the server did not draft the update"
        time.sleep(0.3)

    context = browser.new_context(viewport=LAPTOP, reduced_motion="reduce")
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, server, "dana")
    page.get_by_role("link", name="Promises", exact=True).click()
    expect(page.get_by_role("heading", name="Promises", exact=True)).to_be_visible()
    rows = page.locator("table.promises tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == len(tasks)
    # Overdue first (the example's promises were due in November 2026).
    expect(rows.first.locator(".badge")).to_have_text("Overdue")
    save_screenshot(page, "promises")

    page.get_by_label("Status").select_option("kept")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ours["title"])
    rows.first.get_by_role("link", name="Not yet").click()

    expect(page.get_by_role("heading", name=re.compile("Update to the customer"))).to_be_visible()
    expect(page.get_by_text("Drafted from a template")).to_be_visible()
    page.get_by_role("button", name="Approve & send").click()
    expect(page.get_by_role("heading", name="Send this email?")).to_be_visible()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/inbox/updates/update-[0-9a-f]+$"))
    deadline = time.monotonic() + 30
    while len(server.outbox()) < 1:
        assert time.monotonic() < deadline, "the update was not sent"
        time.sleep(0.2)
    page.reload()
    expect(page.get_by_text(re.compile(r"^Sent "))).to_be_visible()
    assert len(server.outbox()) == 1, "only the update: the follow-up was never approved"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Promises").click()
    page.get_by_role("link", name="Acme Freight").first.click()
    expect(page.get_by_role("heading", name="Acme Freight", exact=True)).to_be_visible()
    expect(page.get_by_text("customer told")).to_be_visible()
    assert errors == []
    context.close()
