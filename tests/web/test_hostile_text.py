"""The inbox's pages with hostile text everywhere a transcript or a draft reaches them: never a
5xx, and no markup from that text ever reaches the HTML unescaped."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from storage.db import session_scope
from storage.models import ActionItemRow, CallRow, DraftRow

MARKER = '<img data-hostile src=x onerror="alert(1)">'
PIECES = st.sampled_from(
    [MARKER, "<script>alert(1)</script>", "&amp;", "]]>", "{{ 7*7 }}", "\u202e", "\n", "`", "**"]
)
HOSTILE = st.builds(
    lambda parts, text: text.join(parts) + MARKER,
    st.lists(PIECES, min_size=1, max_size=4),
    st.text(max_size=40),
)
_ids = itertools.count()


def _seed(runtime: Runtime, text: str) -> str:
    n = next(_ids)
    call_id = f"call-hostile{n}"
    with session_scope(runtime.engine) as session:
        session.add(
            CallRow(
                id=call_id,
                source="test",
                request_hash=str(n),
                title=text,
                customer_name=text[:255],
                transcript_format="text",
                transcript_text=f"Ann: {text}\nBob: fine",
                status="awaiting_approval",
                summary={"text": text, "sentiment": "negative", "risks": [text, text]},
                failure_reason=text,
                workflow_id=f"wf-hostile-{n}",
            )
        )
        session.flush()  # the call first: the item and the draft refer to it
        session.add(
            ActionItemRow(
                id=f"item-hostile{n}",
                call_id=call_id,
                position=0,
                title=text,
                quote=text,
                description=text,
            )
        )
        session.add(
            DraftRow(
                id=f"draft-hostile{n}",
                call_id=call_id,
                subject=text.replace("\n", " "),
                body=f"Hi,\n\n{text}\n\n[link]({text})\n\n<div>{text}</div>",
                to=[text],
                cc=[text],
                status="pending",
            )
        )
    return call_id


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=HOSTILE)
def test_hostile_text_is_escaped_on_every_page(runtime: Runtime, text: str) -> None:
    call_id = _seed(runtime, text)
    client = TestClient(
        create_app(runtime.settings, runtime=runtime),
        base_url="http://127.0.0.1:8000",
        client=("127.0.0.1", 50000),
    )
    for path in ("/inbox/", f"/inbox/calls/{call_id}", "/inbox/costs"):
        page = client.get(path)
        assert page.status_code < 500, (path, page.text[:500])
        assert "<img data-hostile" not in page.text, path
        assert "<script>alert(1)" not in page.text, path
    shown = client.get(f"/inbox/calls/{call_id}")
    assert shown.status_code == 200
    assert "&lt;img data-hostile" in shown.text  # it is there, as text
