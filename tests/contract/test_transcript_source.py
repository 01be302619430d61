"""The TranscriptSource contract: every source (Zoom, Gong, Google Meet) keeps the same promises.

Each runs against its emulator over real HTTP: a call it was announced is fetched with its
transcript in a format intake reads, the same each time it is asked; ``recent`` names only
calls ``fetch`` can give; an unknown call is a ``RejectedInput``, refused credentials an
``Unauthorized`` naming the setting to fix, never a crash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from cs_agent.core.errors import RejectedInput, Unauthorized
from cs_agent.core.sources import SourceRef, TranscriptSource
from cs_agent.services.intake import check_transcript
from integrations.gong import GongSource
from integrations.google_meet.auth import load_meet_credentials
from integrations.google_meet.source import MeetSource
from integrations.zoom import ZoomDownloader, ZoomSource

from ..emulators.gong import ACCESS_KEY, ACCESS_KEY_SECRET, GongEmulator
from ..emulators.google_meet import GoogleMeetEmulator
from ..emulators.meetings import example_call
from ..emulators.zoom import ZoomEmulator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ZOOM_VTT = (FIXTURES / "transcripts" / "GMT20240124-202901_Recording.transcript.vtt").read_bytes()
LIMIT = 5 * 1024 * 1024


@dataclass
class SourceUnderTest:
    source: TranscriptSource
    announced: SourceRef
    unknown: SourceRef
    refused: TranscriptSource
    """The same source with credentials its service refuses."""
    setting: str
    """The setting a refusal names."""


@pytest.fixture(params=["zoom", "gong", "google-meet"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceUnderTest]:
    if request.param == "zoom":
        with ZoomEmulator() as zoom:
            assert isinstance(zoom, ZoomEmulator)
            url = zoom.add_file("f1", ZOOM_VTT, token="tok")
            source = ZoomSource(ZoomDownloader(api_url=f"{zoom.url}/v2/", max_bytes=LIMIT))

            def zoom_ref(meeting: str, download: str, token: str) -> SourceRef:
                return SourceRef(
                    source_id=meeting,
                    details={"download_url": download},
                    secret=SecretStr(token),
                )

            yield SourceUnderTest(
                source=source,
                announced=zoom_ref("m1", url, "tok"),
                unknown=zoom_ref("m2", f"{zoom.url}/rec/download/none", "tok"),
                refused=source,
                setting="download token",
            )
            return
    if request.param == "gong":
        with GongEmulator() as gong:
            assert isinstance(gong, GongEmulator)
            gong.add_call("123", example_call(lines=20))
            gong.page_size = 4

            def gong_source(secret: str) -> GongSource:
                return GongSource(
                    api_url=gong.url,
                    access_key=ACCESS_KEY,
                    access_key_secret=secret,
                    max_bytes=LIMIT,
                )

            yield SourceUnderTest(
                source=gong_source(ACCESS_KEY_SECRET),
                announced=SourceRef(source_id="123"),
                unknown=SourceRef(source_id="999"),
                refused=gong_source("wrong"),
                setting="CS_AGENT_GONG_ACCESS_KEY_SECRET",
            )
            return
    with GoogleMeetEmulator() as meet:
        assert isinstance(meet, GoogleMeetEmulator)
        conference = meet.add_conference(example_call(lines=20), record_id="rec1")
        conference.call.started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        meet.page_size = 4

        def meet_source(scopes: list[str] | None) -> MeetSource:
            token = meet.token_file(
                tmp_path / f"token-{len(scopes or [])}.json", scopes=scopes, record_scopes=False
            )
            identity = load_meet_credentials(token, user=None, token_url=f"{meet.url}/token")
            return MeetSource(
                identity,
                meet_api_url=meet.url,
                calendar_api_url=f"{meet.url}/calendar/v3/",
                max_bytes=LIMIT,
            )

        yield SourceUnderTest(
            source=meet_source(None),
            announced=SourceRef(source_id="conferenceRecords/rec1"),
            unknown=SourceRef(source_id="conferenceRecords/none"),
            refused=meet_source(["openid"]),
            setting="CS_AGENT_MEET_CREDENTIALS",
        )


async def test_an_announced_call_is_fetched_with_a_transcript_intake_reads(
    subject: SourceUnderTest,
) -> None:
    fetched = await subject.source.fetch(subject.announced)
    assert fetched.source_id == subject.announced.source_id
    checked = check_transcript(fetched.transcript, format=fetched.format)
    assert checked.format == fetched.format and checked.text.strip()


async def test_fetching_again_gives_the_same_call(subject: SourceUnderTest) -> None:
    first = await subject.source.fetch(subject.announced)
    second = await subject.source.fetch(subject.announced)
    assert first == second


async def test_recent_names_only_calls_that_can_be_fetched(subject: SourceUnderTest) -> None:
    found = await subject.source.recent(since=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    for ref in found:
        fetched = await subject.source.fetch(ref)
        assert fetched.source_id == ref.source_id
    if subject.source.name != "zoom":  # Zoom announces by its events only
        assert subject.announced.source_id in [ref.source_id for ref in found]


async def test_an_unknown_call_is_rejected_input(subject: SourceUnderTest) -> None:
    with pytest.raises(RejectedInput):
        await subject.source.fetch(subject.unknown)


async def test_refused_credentials_name_the_setting(subject: SourceUnderTest) -> None:
    ref = subject.announced
    if subject.source.name == "zoom":  # Zoom's credential is the event's own token
        ref = ref.model_copy(update={"secret": SecretStr("not the token")})
    with pytest.raises(Unauthorized, match=subject.setting):
        await subject.refused.fetch(ref)
