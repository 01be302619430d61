"""The inbox's pages and decisions, server-side: what each route shows and what it changes."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.services import queues
from storage import repo
from storage.db import session_scope
from storage.models import ActionItemRow, CallRow, DraftRow

from ..conftest import EXAMPLES
from .conftest import ACME_META, LOCAL, REMOTE, Inbox, InboxFactory, csrf_of, text_of, with_sign_in


class _Anchors(HTMLParser):
    """Quote links (href → text) and transcript lines (id → text) of a call page."""

    def __init__(self) -> None:
        super().__init__()
        self.quotes: list[tuple[str, str]] = []
        self.lines: dict[str, str] = {}
        self._quote: str | None = None
        self._line: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and "quote-link" in (a.get("class") or ""):
            self._quote, self._text = a["href"] or "", []
        if tag == "li" and (a.get("id") or "").startswith("t-"):
            self._line, self._text = a["id"], []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._quote is not None:
            self.quotes.append((self._quote, " ".join("".join(self._text).split())))
            self._quote = None
        if tag == "li" and self._line is not None:
            self.lines[self._line] = " ".join("".join(self._text).split())
            self._line = None


def _seed_calls(runtime: Runtime, count: int) -> list[str]:
    """``count`` calls created a minute apart (oldest first); every third failed; one with items."""
    start = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    ids = []
    with session_scope(runtime.engine) as session:
        for n in range(count):
            call_id = f"call-seed{n:03d}"
            repo.insert_call_if_absent(
                session,
                row=CallRow(
                    id=call_id,
                    created_at=start + dt.timedelta(minutes=n),
                    source="test",
                    request_hash=str(n),
                    title=f"Seeded call {n:03d}",
                    call_date=dt.date(2026, 10, 1) + dt.timedelta(days=n),
                    customer_name=f"Customer {n:03d}",
                    transcript_format="text",
                    status="failed" if n % 3 == 0 else "awaiting_approval",
                    cost_usd=0.0123 if n == count - 1 else 0.0,
                    analyzer="claude" if n == count - 1 else None,
                    workflow_id=f"wf-{n}",
                ),
            )
            ids.append(call_id)
        newest = ids[-1]
        for position in range(3):
            session.add(
                ActionItemRow(
                    id=f"item-{position}", call_id=newest, position=position, title="t", quote="q"
                )
            )
        session.add(DraftRow(id="draft-seed", call_id=newest, subject="s", body="b", status="sent"))
    return ids


async def test_calls_are_listed_newest_first_filtered_and_paged(approver: Inbox) -> None:
    ids = _seed_calls(approver.runtime, 30)
    first = await approver.get("/inbox/")
    assert first.status_code == 200
    titles = re.findall(r"Seeded call (\d{3})", first.text)
    assert titles == [f"{n:03d}" for n in range(29, 4, -1)]  # 25, newest first
    assert "Showing 1–25 of 30" in text_of(first)
    assert "20 calls wait for approval" in text_of(first)
    row = text_of(first).split("Seeded call 029", 1)[1].split("Seeded call 028", 1)[0]
    assert "Customer 029" in row
    assert "2026-10-30" in row  # the call's date, not the day it arrived
    assert "Awaiting approval" in row
    assert " 3 " in f" {row} "  # items
    assert "Sent" in row  # the draft's status
    assert "$0.0123" in row
    assert f'href="/inbox/calls/{ids[-1]}"' in first.text

    second = await approver.get("/inbox/", params={"page": "2"})
    assert re.findall(r"Seeded call (\d{3})", second.text) == ["004", "003", "002", "001", "000"]
    assert "Showing 26–30 of 30" in text_of(second)
    assert 'rel="prev" href="/inbox/?page=1"' in second.text

    failed = await approver.get("/inbox/", params={"status": "failed"})
    found = re.findall(r"Seeded call (\d{3})", failed.text)
    assert found == [f"{n:03d}" for n in range(27, -1, -3)]
    assert "Showing 1–10 of 10" in text_of(failed)
    assert '<option value="failed" selected>' in failed.text

    empty = await approver.get("/inbox/", params={"status": "completed"})
    assert "No call is completed." in text_of(empty)
    beyond = await approver.get("/inbox/", params={"page": "9"})
    assert "none on page 9" in text_of(beyond)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "bogus"}, "There is no call status 'bogus'."),
        ({"page": "0"}, "Page '0' is not a page number"),
        ({"page": "two"}, "Page 'two' is not a page number"),
    ],
)
async def test_bad_list_parameters_are_explained(
    approver: Inbox, params: dict[str, str], message: str
) -> None:
    response = await approver.get("/inbox/", params=params)
    assert response.status_code == 400
    assert message in text_of(response)


async def test_no_calls_yet_says_how_to_send_one(approver: Inbox) -> None:
    page = text_of(await approver.get("/inbox/"))
    assert "No calls yet." in page
    assert "cs-agent process CALL.vtt" in page


async def test_a_call_page_links_each_quote_to_its_moment_in_the_transcript(
    approver: Inbox,
) -> None:
    call_id = await approver.upload_example()
    page = await approver.get(f"/inbox/calls/{call_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Acme Freight renewal call" in text
    assert "Acme Freight 2026-11-10" in text
    assert "Offline analyzer." in text
    assert "Summary" in text

    with session_scope(approver.runtime.engine) as session:
        items = repo.list_items(session, call_id=call_id)
    assert items
    anchors = _Anchors()
    anchors.feed(page.text)
    assert len(anchors.quotes) == len(items)
    for item, (href, link_text) in zip(items, anchors.quotes, strict=True):
        assert href.startswith("#t-")
        assert " ".join(item.quote.split()) in link_text
        said = anchors.lines[href[1:]]
        assert " ".join(item.quote.split()).lower() in said.lower(), (item.quote, said)
        assert item.issue_identifier and item.issue_identifier in text
    # The whole transcript is on the page, in order.
    assert len(anchors.lines) > 100
    assert anchors.lines["t-0"].endswith("Hi, good morning! Can everybody hear me okay?")

    assert f'action="/inbox/drafts/{approver.draft_of(call_id).id}/edit"' in page.text
    await approver.address_draft(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    draft = approver.draft_of(call_id)
    assert f'action="/inbox/drafts/{draft.id}/approve"' in page.text
    assert "Approve &amp; send" in page.text
    assert f'name="version" value="{draft.version}"' in page.text
    assert draft.subject in text
    actions = [action for _, action in approver.audit_of(call_id)]
    assert actions[:2] == ["received", "uploaded"] or actions[:2] == ["received", "analyzed"]
    for action in ("received", "uploaded", "analyzed", "issue filed", "approval requested"):
        assert action in text
    assert ("web:dana", "uploaded") in approver.audit_of(call_id)

    # What was typed in the upload form is the call's metadata.
    with session_scope(approver.runtime.engine) as session:
        call = repo.get_call(session, call_id=call_id)
    assert call is not None
    assert call.call_metadata["title"] == ACME_META["title"]
    assert call.call_metadata["call_date"] == "2026-11-10"
    assert call.call_metadata["customer"] == {
        "name": "Acme Freight",
        "domain": "acmefreight.example",
    }
    assert call.call_metadata["attendees"] == [
        {
            "name": "Priya Natarajan",
            "email": "priya.natarajan@acmefreight.example",
            "side": "customer",
        },
        {"name": "Dana Reyes", "email": "dana.reyes@brightwave.example", "side": None},
    ]


async def test_the_draft_body_is_rendered_as_markdown_with_raw_html_escaped(
    approver: Inbox,
) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    edited = await approver.post(
        f"/inbox/drafts/{draft.id}/edit",
        {
            "version": "1",
            "subject": "Recap",
            "body": "Hi **Priya**,\n\n<script>alert(1)</script>\n\n- one\n- two",
            "to": "Priya Natarajan <priya.natarajan@acmefreight.example>",
            "cc": "",
            "csrf_token": csrf_of(page),
        },
        csrf_from=None,
    )
    assert edited.status_code == 303
    shown = await approver.get(f"/inbox/calls/{call_id}")
    assert "<strong>Priya</strong>" in shown.text
    assert "<li>one</li>" in shown.text
    assert "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text


async def test_upload_shows_progress_until_the_analysis_is_done(approver: Inbox) -> None:
    transcript = (EXAMPLES / "initech-escalation.txt").read_text()
    response = await approver.upload(transcript, title="Escalation")
    assert response.status_code == 303
    call_page = response.headers["location"]
    call_id = call_page.rsplit("/", 1)[1]

    first = await approver.get(f"{call_page}/progress")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    state = first.json()
    assert state["status"] in {"received", "analyzing", "filing", "awaiting_approval"}
    assert state["done"] is (state["status"] == "awaiting_approval")
    page = await approver.get(call_page)
    assert "Uploaded. The analysis is under way." in text_of(page)
    if not state["done"]:
        assert "Working on this call" in text_of(page)
        assert f'data-progress-url="/inbox/calls/{call_id}/progress"' in page.text
        assert '<meta http-equiv="refresh"' in page.text  # inside <noscript>

    await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
    done = (await approver.get(f"{call_page}/progress")).json()
    assert done == {
        "status": "awaiting_approval",
        "label": "Awaiting approval",
        "draft_status": "pending",
        "done": True,
    }
    finished = await approver.get(call_page)
    assert "Working on this call" not in text_of(finished)
    assert "data-progress-url" not in finished.text
    assert (await approver.get("/inbox/calls/call-nope/progress")).status_code == 404


async def test_a_file_upload_uses_its_name_for_the_format_and_twice_is_one_call(
    approver: Inbox,
) -> None:
    data = (EXAMPLES / "globex-onboarding.srt").read_bytes()
    token = csrf_of(await approver.get("/inbox/upload"))
    fields = {"csrf_token": token, "transcript": "", "title": "Globex onboarding"}
    files = {"transcript_file": ("globex.srt", data, "application/x-subrip")}
    first = await approver.client.post("/inbox/upload", data=fields, files=files)
    assert first.status_code == 303
    call_id = first.headers["location"].rsplit("/", 1)[1]
    await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
    with session_scope(approver.runtime.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        assert call is not None
        assert (call.transcript_format, call.title, call.source) == (
            "srt",
            "Globex onboarding",
            "web",
        )

    again = await approver.client.post("/inbox/upload", data=fields, files=files)
    assert again.headers["location"] == first.headers["location"]
    page = await approver.get(again.headers["location"])
    assert "This call was uploaded before; here it is." in text_of(page)
    with session_scope(approver.runtime.engine) as session:
        assert repo.count_calls(session) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {
                "transcript": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnn: hi\n\n00:00:02 -> 00:00:05\nBob: yo\n"
            },
            "transcript",
            "line 6",
        ),
        ({"transcript": "   \n"}, "transcript", "paste the transcript or choose its file"),
        ({"call_date": "10/11/2026"}, "call_date", "'10/11/2026' is not a date like 2026-11-10"),
        ({"customer_domain": "priya@acme.com"}, "customer_domain", "is not a domain like acme.com"),
        (
            {"attendees": "Priya <priya@acme.example>\nBob <bob@>"},
            "attendees",
            "line 2: 'Bob <bob@>' is not",
        ),
        ({"format": "docx"}, "format", "choose one of the listed formats"),
    ],
    ids=["bad-timing", "blank", "date", "domain", "attendee", "format"],
)
async def test_upload_problems_are_shown_inline_and_nothing_typed_is_lost(
    approver: Inbox, fields: dict[str, str], field: str, message: str
) -> None:
    typed = {
        "transcript": "Ann: We will send the deck by Friday.\nBob: Thanks!",
        "title": "Kept title",
        "customer_name": "Kept Customer",
        "attendees": "Ann <ann@kept.example>",
        **fields,
    }
    response = await approver.post("/inbox/upload", typed, csrf_from="/inbox/upload")
    assert response.status_code == 422
    text = text_of(response)
    assert message in text
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    for name, value in typed.items():
        if value.strip() and name != "format":
            assert str(escape(value.strip().split("\n")[0])) in response.text, name
    with session_scope(approver.runtime.engine) as session:
        assert repo.count_calls(session) == 0


async def test_a_transcript_error_shows_the_lines_around_it(approver: Inbox) -> None:
    bad = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnn: hi\n\n00:00:02 -> 00:00:05\nBob: yo\n"
    response = await approver.post("/inbox/upload", {"transcript": bad}, csrf_from="/inbox/upload")
    excerpt = re.search(r'<pre class="excerpt".*?</pre>', response.text, flags=re.S)
    assert excerpt
    assert '<span class="bad-line">    6  00:00:02 -&gt; 00:00:05</span>' in excerpt.group(0)
    assert "<span>    4  Ann: hi</span><span>    5  </span>" in excerpt.group(0)


async def test_an_upload_over_the_size_limit_is_refused_with_the_limit(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    small = with_sign_in(settings, max_transcript_bytes=200)
    async with make_inbox(small, client=REMOTE) as inbox:
        await inbox.sign_in("dana")
        response = await inbox.post(
            "/inbox/upload", {"transcript": "Ann: hello there. " * 20}, csrf_from="/inbox/upload"
        )
        assert response.status_code == 422
        assert "the transcript is 360 bytes; the limit is 200" in text_of(response)
        files = {"transcript_file": ("big.txt", b"Ann: hi\n" * 100, "text/plain")}
        token = csrf_of(await inbox.get("/inbox/upload"))
        by_file = await inbox.client.post("/inbox/upload", data={"csrf_token": token}, files=files)
        assert by_file.status_code == 422
        assert "the limit is 200" in text_of(by_file)


async def test_approve_sends_one_email_however_often_it_is_clicked(approver: Inbox) -> None:
    call_id = await approver.upload_example()
    version = await approver.address_draft(call_id)
    draft = approver.draft_of(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    form = {"version": str(version), "csrf_token": csrf_of(page), "confirm": "send"}
    path = f"/inbox/drafts/{draft.id}/approve"

    clicks = await asyncio.gather(*(approver.post(path, form, csrf_from=None) for _ in range(5)))
    assert {c.status_code for c in clicks} == {303}
    assert {c.headers["location"] for c in clicks} == {f"/inbox/calls/{call_id}#draft"}
    await queues.wait_for(ids.send_followup_workflow_id(draft.id, version), timeout=60)
    again = await approver.post(path, form, csrf_from=None)
    assert again.status_code == 303

    [path] = approver.outbox()
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == draft.subject
    assert message["To"] == "priya@acmefreight.example"
    sent = approver.draft_of(call_id)
    assert (sent.status, sent.decided_by) == ("sent", "web:dana")
    audit = approver.audit_of(call_id)
    assert audit.count(("web:dana", "approved")) == 1
    assert sum(1 for _, action in audit if action == "email_sent") == 1
    shown = await approver.get(f"/inbox/calls/{call_id}")
    text = text_of(shown)
    assert "Already approved by web:dana; it is sent once." in text
    assert "Sent 20" in text and sent.message_id in text
    assert "Approve &amp; send" not in shown.text


async def test_approving_a_version_nobody_saw_is_refused(approver: Inbox) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    stale_page = await approver.get(f"/inbox/calls/{call_id}")
    token = csrf_of(stale_page)
    edited = await approver.post(
        f"/inbox/drafts/{draft.id}/edit",
        {
            "version": "1",
            "subject": "Revised recap",
            "body": "New text",
            "to": "priya.natarajan@acmefreight.example",
            "csrf_token": token,
        },
        csrf_from=None,
    )
    assert edited.status_code == 303
    late = await approver.post(
        f"/inbox/drafts/{draft.id}/approve", {"version": "1", "csrf_token": token}, csrf_from=None
    )
    assert late.status_code == 303
    page = await approver.get(f"/inbox/calls/{call_id}")
    assert "Not approved: the draft was edited (now version 2); review it again." in text_of(page)
    after = approver.draft_of(call_id)
    assert (after.status, after.version, after.subject) == ("pending", 2, "Revised recap")
    assert approver.outbox() == []


async def test_an_edit_is_a_new_version_in_the_audit_log(approver: Inbox) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    response = await approver.post(
        f"/inbox/drafts/{draft.id}/edit",
        {
            "version": "1",
            "subject": "Your renewal: next steps",
            "body": "Hi Priya,\r\n\r\nThanks for the call.",
            "to": '"Natarajan, Priya" <priya.natarajan@acmefreight.example>, tom@acmefreight.example',
            "cc": "lena.new@acmefreight.example",
        },
        csrf_from=f"/inbox/calls/{call_id}",
    )
    assert response.status_code == 303
    after = approver.draft_of(call_id)
    assert after.version == 2
    assert after.status == "pending"
    assert after.body == "Hi Priya,\n\nThanks for the call."
    assert after.to == [
        '"Natarajan, Priya" <priya.natarajan@acmefreight.example>',
        "tom@acmefreight.example",
    ]
    assert after.cc == ["lena.new@acmefreight.example"]
    page = text_of(await approver.get(f"/inbox/calls/{call_id}"))
    assert "Saved as version 2. Review it, then approve to send." in page
    assert "v1 → v2 (changed subject, body, to, cc)" in page
    assert ("web:dana", "edited") in approver.audit_of(call_id)


async def test_edit_problems_are_shown_next_to_the_fields_and_nothing_is_saved(
    approver: Inbox,
) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    response = await approver.post(
        f"/inbox/drafts/{draft.id}/edit",
        {"version": "1", "subject": " ", "body": "My careful rewrite", "to": "priya@", "cc": ""},
        csrf_from=f"/inbox/calls/{call_id}",
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Subject: the subject is empty" in text
    assert "To: not an email address: priya@" in text
    assert "My careful rewrite</textarea>" in response.text
    assert '<details class="decision" id="edit" open>' in response.text
    after = approver.draft_of(call_id)
    assert (after.version, after.body) == (1, draft.body)


async def test_reject_records_the_reason_and_nothing_is_sent(approver: Inbox) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    token = csrf_of(page)
    rejected = await approver.post(
        f"/inbox/drafts/{draft.id}/reject",
        {"reason": "wrong pricing", "csrf_token": token},
        csrf_from=None,
    )
    assert rejected.status_code == 303
    after = approver.draft_of(call_id)
    assert (after.status, after.reject_reason, after.decided_by) == (
        "rejected",
        "wrong pricing",
        "web:dana",
    )
    shown = text_of(await approver.get(f"/inbox/calls/{call_id}"))
    assert "Rejected. Nothing will be sent." in shown
    assert "Rejected by web:dana: wrong pricing. Nothing was sent." in shown
    assert "Completed" in shown

    late = await approver.post(
        f"/inbox/drafts/{draft.id}/approve", {"version": "1", "csrf_token": token}, csrf_from=None
    )
    assert late.status_code == 303
    assert "Not approved: draft " in text_of(await approver.get(f"/inbox/calls/{call_id}"))
    assert approver.outbox() == []


async def test_a_draft_without_recipients_cannot_be_approved_until_edited(
    approver: Inbox,
) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    with session_scope(approver.runtime.engine) as session:  # whatever the analyzer drafted
        repo.revise_draft(
            session, draft_id=draft.id, expected_version=1, subject="s", body="b", to=[], cc=[]
        )
    draft = approver.draft_of(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    assert "Approve &amp; send" not in page.text
    assert "The email has no recipient yet" in text_of(page)
    response = await approver.post(
        f"/inbox/drafts/{draft.id}/approve",
        {"version": str(draft.version), "csrf_token": csrf_of(page)},
        csrf_from=None,
    )
    assert response.status_code == 303
    followed = text_of(await approver.get(f"/inbox/calls/{call_id}"))
    assert "Not approved: the email has no recipient yet. Edit it first." in followed
    assert approver.draft_of(call_id).status == "pending"


@pytest.mark.parametrize(
    "path",
    [
        "/inbox/calls/call-nope",
        "/inbox/drafts/draft-nope/approve",
        "/inbox/drafts/draft-nope/reject",
        "/inbox/drafts/draft-nope/edit",
    ],
)
async def test_unknown_calls_and_drafts_are_404_pages(approver: Inbox, path: str) -> None:
    if path.startswith("/inbox/calls"):
        response = await approver.get(path)
    else:
        response = await approver.post(path, {"version": "1"})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "There is no" in text_of(response)


async def test_the_api_is_unchanged_next_to_the_inbox(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    # The API has no credentials here, so it answers this machine only.
    async with make_inbox(with_sign_in(settings), client=LOCAL) as inbox:
        assert (await inbox.get("/healthz")).json() == {"status": "ok"}
        missing = await inbox.get("/v1/calls/call-nope")
        assert missing.json() == {"error": "not_found", "detail": "no call call-nope"}
        assert "/inbox" not in (await inbox.get("/openapi.json")).text
