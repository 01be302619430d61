"""The inbox in a real browser: Debian's Chromium driven by Playwright, against ``cs-agent serve``.

Each test starts the real server (uvicorn, on a free loopback port, with its own data
directory) and signs in the way a person would. The approver's test also saves the
screenshots the docs show (``docs/screenshots/``).

Chromium is the system package (``apt-get install chromium``), never a downloaded build.
Without it these tests are skipped locally; in CI (``CI`` set) its absence is a failure.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ..conftest import CLOSED_PORT_URL, EXAMPLES, REPO_ROOT
from .conftest import HASHES, PASSWORDS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TALL = {"width": 1280, "height": 1400}
SHORT = {"width": 1280, "height": 560}
WAIT_MS = 30_000


@dataclass
class Server:
    """A running ``cs-agent serve``."""

    url: str
    data_dir: Path
    log: Path

    def outbox(self) -> list[Path]:
        return sorted((self.data_dir / "outbox").glob("*.eml"))

    def submit_example(self, name: str) -> str:
        """Send an example call through the HTTP API and wait for its draft."""
        transcript = next(
            p
            for p in EXAMPLES.glob(f"{name}.*")
            if ".meta" not in p.name and ".expected" not in p.name
        )
        meta = json.loads((EXAMPLES / f"{name}.meta.json").read_text())
        with httpx.Client(base_url=self.url, timeout=30) as client:
            accepted = client.post(
                "/v1/transcripts", json={"transcript": transcript.read_text(), **meta}
            )
            assert accepted.status_code in (200, 202), accepted.text
            call_id: str = accepted.json()["call_id"]
            deadline = time.monotonic() + 60
            while client.get(f"/v1/calls/{call_id}").json()["status"] != "awaiting_approval":
                assert time.monotonic() < deadline, f"{call_id} was not analysed in time"
                time.sleep(0.2)
        return call_id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (no browser download)."""
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs it)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``cs-agent serve`` on a free loopback port, with dana (approver) and sam (viewer)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "server-data"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CS_AGENT_", "ANTHROPIC_", "CLAUDE_"))
    }
    env.update(
        {
            "CS_AGENT_DATA_DIR": str(data_dir),
            "CS_AGENT_PUBLIC_URL": url,
            "CS_AGENT_WEB_USERS": ",".join(f"{name}:{h}" for name, h in HASHES.items()),
            "CS_AGENT_WEB_APPROVERS": "dana",
            "CS_AGENT_COMPANY_NAME": "Brightwave",
            "CS_AGENT_SENDER_EMAIL": "cs@brightwave.example",
            "ANTHROPIC_BASE_URL": CLOSED_PORT_URL,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
    )
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cs_agent", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"cs-agent serve exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"cs-agent serve did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield Server(url=url, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def watch_console(page: Page) -> list[str]:
    """Collect the page's console errors (script errors, blocked resources, CSP violations)."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_accessible_form(page: Page) -> None:
    """One h1, a language, and a label for every visible field (what a screen reader needs)."""
    problems = page.evaluate(
        """() => {
            const problems = [];
            if (document.querySelectorAll("h1").length !== 1) problems.push("not one h1");
            if (!document.documentElement.lang) problems.push("no lang");
            for (const field of document.querySelectorAll("input, select, textarea")) {
                if (field.type === "hidden" || field.offsetParent === null) continue;
                if (!field.labels || field.labels.length === 0) problems.push("unlabelled " + (field.name || field.id));
            }
            return problems;
        }"""
    )
    assert problems == []


def sign_in(page: Page, server: Server, name: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{server.url}/inbox/")
    expect(page).to_have_url(re.compile(r"/inbox/signin\?next="))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()


def save_screenshot(page: Page, name: str) -> None:
    """Write ``docs/screenshots/NAME.png``, touching the file only when the image changed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    scratch = SCREENSHOTS / f"{name}.tmp.png"
    page.screenshot(path=str(scratch), animations="disabled", caret="hide")
    if target.exists() and target.read_bytes() == scratch.read_bytes():
        scratch.unlink()
    else:
        scratch.replace(target)


def test_upload_edit_approve_sends_exactly_one_email(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport=LAPTOP, reduced_motion="reduce")
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, server, "dana")

    # Upload: the file is dropped on the form; the metadata is typed.
    page.get_by_role("link", name="Upload", exact=True).click()
    assert_accessible_form(page)
    dropped = page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "text/vtt" }));
            return transfer;
        }""",
        ["acme-renewal.vtt", (EXAMPLES / "acme-renewal.vtt").read_text()],
    )
    page.dispatch_event("[data-drop-target]", "drop", {"dataTransfer": dropped})
    expect(page.get_by_text(re.compile(r"Chosen: acme-renewal\.vtt \(\d+ KB\)"))).to_be_visible()
    page.get_by_label("Title").fill("Acme Freight renewal call")
    page.get_by_label("Call date").fill("2026-11-10")
    page.get_by_label("Customer", exact=True).fill("Acme Freight")
    page.get_by_label("Customer email domain").fill("acmefreight.example")
    page.get_by_label("Attendees").fill(
        "Priya Natarajan <priya.natarajan@acmefreight.example>\n"
        "Dana Reyes <dana.reyes@brightwave.example>"
    )
    page.get_by_role("button", name="Upload and analyse").click()

    # The call page follows the analysis by itself until the items are there.
    expect(page).to_have_url(re.compile(r"/inbox/calls/call-[0-9a-f]+$"))
    call_url = page.url
    items = page.locator("li.item")
    expect(items.first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name=re.compile(r"Action items \(\d+\)"))).to_be_visible()
    expect(page.get_by_role("heading", name="Follow-up email")).to_be_visible()

    # A quote, followed by keyboard, lands on its moment in the transcript.
    quote = page.locator("a.quote-link").nth(1)
    quote_text = quote.inner_text().split("”")[0].strip("“ ")
    quote.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#t-\d+$"))
    moment = page.locator(f"#{page.url.rsplit('#', 1)[1]}")
    expect(moment).to_be_focused()
    expect(moment).to_be_in_viewport()
    expect(moment).to_contain_text(quote_text)

    # Edit: give the email its recipient and a subject (version 2).
    page.goto(call_url)
    page.locator("summary", has_text="Edit").click()
    assert_accessible_form(page)
    page.get_by_label("To", exact=True).fill(
        "Priya Natarajan <priya.natarajan@acmefreight.example>"
    )
    page.get_by_label("Subject").fill("Acme Freight renewal: next steps")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()

    # A second tab opens the draft at version 2 …
    other = context.new_page()
    other.goto(call_url)
    expect(other.get_by_role("button", name="Approve & send")).to_be_visible()

    # … while the first edits it again (version 3).
    page.locator("summary", has_text="Edit").click()
    page.get_by_label("Body").fill(
        "Hi Priya,\n\nThanks for the time today. As promised:\n\n"
        "- the revised quote with both options, by **Friday**\n"
        "- the corrected Q3 invoice, before the 15th\n\n"
        "Dana"
    )
    page.get_by_role("button", name="Save as version 3").click()
    expect(page.get_by_text("Saved as version 3.")).to_be_visible()
    # Who changed what, when: each version's changes, the body's lines added and removed.
    versions = page.locator("#versions")
    expect(versions).to_contain_text("v1 → v2 by web:dana")
    expect(versions).to_contain_text("v2 → v3 by web:dana")
    expect(versions.locator("dd ins", has_text="Acme Freight renewal: next steps")).to_be_visible()
    expect(versions.locator("pre.diff ins", has_text="+ Dana")).to_be_visible()
    page.goto(call_url)  # without the message, for the screenshot
    expect(page.get_by_role("button", name="Approve & send")).to_be_visible()
    page.set_viewport_size(TALL)  # summary, the first action items and the email in one picture
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "call")
    page.set_viewport_size(LAPTOP)

    # Approving what the second tab shows (version 2) is refused: nobody read version 3 there.
    other.get_by_role("button", name="Approve & send").click()
    expect(
        other.get_by_text("the draft was edited (now version 3); review it again")
    ).to_be_visible()
    assert server.outbox() == []

    # Approve & send in the first tab asks first, showing To, Cc and Subject; Send sends, and
    # the call's page follows the send until it is done.
    page.get_by_role("button", name="Approve & send").click()
    expect(page.get_by_role("heading", name="Send this email?")).to_be_visible()
    expect(page.locator("#versions")).to_contain_text("v2 → v3 by web:dana")
    assert server.outbox() == []
    # "Back: do not send" sends nothing; asking again shows the confirmation again.
    page.get_by_role("link", name="Back: do not send").click()
    expect(page.get_by_role("button", name="Approve & send")).to_be_visible()
    assert server.outbox() == []
    page.get_by_role("button", name="Approve & send").click()
    expect(page.get_by_role("heading", name="Send this email?")).to_be_visible()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Sent \d{4}-\d\d-\d\d"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Approve & send")).to_have_count(0)
    other.reload()
    expect(other.get_by_role("button", name="Approve & send")).to_have_count(0)

    [message] = server.outbox()
    raw = message.read_text()
    assert "Subject: Acme Freight renewal: next steps" in raw
    assert "priya.natarajan@acmefreight.example" in raw
    expect(page.locator("#audit")).to_contain_text("web:dana")

    # More calls, one rejected in the browser, for the calls page.
    for name in ("globex-onboarding", "initech-escalation", "umbrella-qbr"):
        server.submit_example(name)
    page.goto(f"{server.url}/inbox/")
    page.get_by_role("link", name=re.compile("Initech")).first.click()
    page.locator("summary", has_text="Reject").click()
    page.get_by_label("Why").fill("covered on the escalation bridge")
    page.get_by_role("button", name="Reject: send nothing").click()
    expect(page.get_by_text("Rejected. Nothing will be sent.")).to_be_visible()

    page.goto(f"{server.url}/inbox/")
    rows = page.locator("table.calls tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Umbrella")  # newest first
    expect(rows.last).to_contain_text("Sent")
    page.set_viewport_size(SHORT)
    save_screenshot(page, "calls")

    phone = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    small = phone.new_page()
    sign_in(small, server, "dana")
    expect(small.locator("table.calls tbody tr")).to_have_count(4)
    save_screenshot(small, "calls-phone")
    phone.close()

    # Exactly one email, however the clicks went; and no page logged an error on the way.
    assert len(server.outbox()) == 1
    assert errors == []
    context.close()


def test_a_viewer_sees_the_call_but_no_buttons(browser: Browser, server: Server) -> None:
    call_id = server.submit_example("initech-escalation")
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, server, "sam")
    expect(page.get_by_text("sam (viewer)")).to_be_visible()
    expect(page.get_by_role("link", name="Upload")).to_have_count(0)

    page.get_by_role("link", name=re.compile("Initech")).first.click()
    expect(page).to_have_url(f"{server.url}/inbox/calls/{call_id}")
    expect(page.get_by_role("heading", name="Follow-up email")).to_be_visible()
    expect(page.get_by_text("only approvers can approve, edit or reject it")).to_be_visible()
    expect(page.get_by_role("button", name="Approve & send")).to_have_count(0)
    expect(page.locator("summary", has_text="Edit")).to_have_count(0)
    expect(page.locator("summary", has_text="Reject")).to_have_count(0)
    expect(page.locator("form[action*='/drafts/']")).to_have_count(0)

    page.goto(f"{server.url}/inbox/upload")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert [e for e in errors if "403" not in e] == []  # the refused page itself is expected
    context.close()
    assert server.outbox() == []
