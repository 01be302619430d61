"""Google Meet as a ``TranscriptSource``: a conference record is a call.

``conferenceRecords.get`` gives its start and end; ``participants.list`` the people (display
names: the Meet API gives no emails); ``transcripts.list`` and ``transcripts.entries.list`` what
each said, with start and end times, paged and counted against the size limit as the pages
arrive. Emails come from the conference's Google Calendar event (matched by the space's meeting
code), whose attendees are matched to participants by name; who is on our side follows from the
domain of the user whose meetings are read. A participant the event does not list keeps no
email. Every call is blocking (google-api-python-client), so each fetch runs in a thread with
clients of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from cs_agent.core.domain import Attendee, Customer, Side, TranscriptFormat, Utterance
from cs_agent.core.errors import ExternalError, RejectedInput, UnexpectedAnswer
from cs_agent.core.ports import CheckResult
from cs_agent.core.sources import SourceCall, SourceRef, TranscriptBudget, utterances_json
from cs_agent.core.text import repaired
from integrations.google_meet.auth import MeetIdentity
from integrations.google_meet.client import SYSTEM, build_service, call_google

log = logging.getLogger(__name__)

PAGE_SIZE = 100
MAX_PAGES = 1000
FILE_GENERATED = "FILE_GENERATED"
_FRACTION = re.compile(r"\.(\d+)")
RECORD_NAME = re.compile(r"^conferenceRecords/[A-Za-z0-9_-]{1,200}$")


def parse_time(value: str | None) -> dt.datetime | None:
    """An RFC 3339 time as Google writes it (nanoseconds and ``Z`` included)."""
    if not value:
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.replace("Z", "+00:00"))
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise UnexpectedAnswer(SYSTEM, f"{value[:40]!r} is not a time") from None


def rfc3339(moment: dt.datetime) -> str:
    """``moment`` as RFC 3339 in UTC, as Meet's filters take it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MeetSource:
    """Conference records of the Workspace user the credentials act for."""

    name = SYSTEM

    def __init__(
        self,
        identity: MeetIdentity,
        *,
        meet_api_url: str,
        calendar_api_url: str,
        max_bytes: int,
        timeout: float = 30.0,
    ) -> None:
        self._identity = identity
        self._meet_url = meet_api_url
        self._calendar_url = calendar_api_url
        self._max_bytes = max_bytes
        self._timeout = timeout

    def _meet(self) -> Any:
        return build_service(
            "meet",
            "v2",
            self._identity.credentials,
            api_url=self._meet_url,
            timeout=self._timeout,
        )

    async def fetch(self, ref: SourceRef) -> SourceCall:
        """The conference, its participants and its transcripts' entries."""
        return await asyncio.to_thread(self._fetch, ref)

    async def recent(self, *, since: dt.datetime) -> list[SourceRef]:
        """Conferences that ended since ``since`` and have a transcript file."""
        return await asyncio.to_thread(self._recent, since)

    async def check(self) -> list[CheckResult]:
        """Whether the credentials may list conference records, and read the calendar."""

        def probe() -> list[CheckResult]:
            results = []
            meet = self._meet()
            calendar = build_service(
                "calendar",
                "v3",
                self._identity.credentials,
                api_url=self._calendar_url,
                timeout=self._timeout,
            )
            probes = [
                (
                    "conference records",
                    lambda: meet.conferenceRecords().list(pageSize=1).execute(),
                    True,
                ),
                (
                    "calendar events (for attendees' emails)",
                    lambda: calendar.events().list(calendarId="primary", maxResults=1).execute(),
                    False,
                ),
            ]
            for what, operation, required in probes:
                try:
                    self._call(operation, f"listing {what}")
                except ExternalError as error:
                    results.append(
                        CheckResult(
                            port="source:google-meet",
                            adapter=SYSTEM,
                            ok=not required,
                            detail=f"{what}: {error}"
                            + ("" if required else " (calls come in without emails)"),
                            fix=self._identity.fix(),
                        )
                    )
                else:
                    results.append(
                        CheckResult(
                            port="source:google-meet",
                            adapter=SYSTEM,
                            ok=True,
                            detail=f"the credentials may read {what}",
                        )
                    )
            return results

        return await asyncio.to_thread(probe)

    # --- the blocking work, in a thread -------------------------------------------------------
    def _call(self, operation: Any, what: str) -> Any:
        return call_google(operation, what=what, fix=self._identity.fix())

    def _pages(self, make_request: Any, key: str, what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self._call(lambda t=token: make_request(t).execute(), what)
            items.extend(page.get(key) or [])
            token = page.get("nextPageToken")
            if not token:
                return items
        raise UnexpectedAnswer(SYSTEM, f"{what} paged past {MAX_PAGES} pages")

    def _recent(self, since: dt.datetime) -> list[SourceRef]:
        meet = self._meet()
        records = self._pages(
            lambda t: meet.conferenceRecords().list(
                filter=f'end_time>="{rfc3339(since)}"', pageSize=PAGE_SIZE, pageToken=t
            ),
            "conferenceRecords",
            "listing recent conference records",
        )
        refs = []
        for record in records:
            name = record.get("name")
            if (
                not isinstance(name, str)
                or not RECORD_NAME.match(name)
                or not record.get("endTime")
            ):
                continue
            if self._transcripts(meet, name):
                refs.append(SourceRef(source_id=name))
        return refs

    def _transcripts(self, meet: Any, record: str) -> list[dict[str, Any]]:
        transcripts = self._pages(
            lambda t: (
                meet.conferenceRecords()
                .transcripts()
                .list(parent=record, pageSize=PAGE_SIZE, pageToken=t)
            ),
            "transcripts",
            f"listing the transcripts of {record}",
        )
        done = [t for t in transcripts if t.get("state") == FILE_GENERATED and t.get("name")]
        return sorted(done, key=lambda t: t.get("startTime") or "")

    def _fetch(self, ref: SourceRef) -> SourceCall:
        meet = self._meet()
        name = ref.source_id
        if not RECORD_NAME.match(name):
            raise RejectedInput(SYSTEM, f"{name!r} is not a conference record name")
        record = self._call(
            lambda: meet.conferenceRecords().get(name=name).execute(), f"reading {name}"
        )
        started = parse_time(record.get("startTime"))
        ended = parse_time(record.get("endTime"))
        participants = self._pages(
            lambda t: (
                meet.conferenceRecords()
                .participants()
                .list(parent=name, pageSize=PAGE_SIZE, pageToken=t)
            ),
            "participants",
            f"listing the participants of {name}",
        )
        speakers = {p["name"]: repaired(_display_name(p)) for p in participants if p.get("name")}
        transcripts = self._transcripts(meet, name)
        if not transcripts:
            raise RejectedInput(SYSTEM, f"{name} has no transcript file yet")
        utterances = self._entries(meet, transcripts, speakers, started)
        code = self._meeting_code(meet, record)
        event = self._calendar_event(code, started, ended)
        people, customer = self._people(list(dict.fromkeys(speakers.values())), event)
        title = repaired(str((event or {}).get("summary") or f"Google Meet {code or name}"))
        return SourceCall(
            source_id=name,
            title=title,
            started_at=started,
            duration_seconds=(ended - started).total_seconds() if started and ended else None,
            participants=people,
            customer=customer,
            format=TranscriptFormat.JSON,
            transcript=utterances_json(utterances),
        )

    def _entries(
        self,
        meet: Any,
        transcripts: list[dict[str, Any]],
        speakers: dict[str, str],
        started: dt.datetime | None,
    ) -> list[Utterance]:
        budget = TranscriptBudget(self._max_bytes)
        utterances: list[Utterance] = []
        for transcript in transcripts:
            token: str | None = None
            for _ in range(MAX_PAGES):
                page = self._call(
                    lambda t=token, parent=transcript["name"]: (
                        meet.conferenceRecords()
                        .transcripts()
                        .entries()
                        .list(parent=parent, pageSize=PAGE_SIZE, pageToken=t)
                        .execute()
                    ),
                    f"reading the entries of {transcript['name']}",
                )
                for entry in page.get("transcriptEntries") or []:
                    text = repaired(str(entry.get("text") or "").strip())
                    if not text:
                        continue
                    speaker = speakers.get(entry.get("participant") or "") or "Unknown speaker"
                    if not budget.take(text + speaker):
                        raise RejectedInput(
                            SYSTEM,
                            f"the transcript of {transcript['name']} is larger than "
                            f"{self._max_bytes} bytes (CS_AGENT_MAX_TRANSCRIPT_BYTES)",
                        )
                    utterances.append(
                        Utterance(
                            speaker=speaker,
                            text=text,
                            start=_offset(parse_time(entry.get("startTime")), started),
                            end=_offset(parse_time(entry.get("endTime")), started),
                        )
                    )
                token = page.get("nextPageToken")
                if not token:
                    break
            else:
                raise UnexpectedAnswer(SYSTEM, f"entries paged past {MAX_PAGES} pages")
        if not utterances:
            raise RejectedInput(SYSTEM, "the transcript has no entries")
        return sorted(utterances, key=lambda u: (u.start is None, u.start or 0.0))

    def _meeting_code(self, meet: Any, record: dict[str, Any]) -> str | None:
        space = record.get("space")
        if not space:
            return None
        try:
            found = self._call(lambda: meet.spaces().get(name=space).execute(), f"reading {space}")
        except ExternalError as error:
            log.info("the meeting code of %s is unknown: %s", space, error)
            return None
        code = found.get("meetingCode")
        return code if isinstance(code, str) else None

    def _calendar_event(
        self, code: str | None, started: dt.datetime | None, ended: dt.datetime | None
    ) -> dict[str, Any] | None:
        """The calendar event of the conference, when the calendar is readable and has one."""
        if not code or started is None:
            return None
        calendar = build_service(
            "calendar",
            "v3",
            self._identity.credentials,
            api_url=self._calendar_url,
            timeout=self._timeout,
        )
        window_end = (ended or started) + dt.timedelta(hours=1)
        try:
            events = self._call(
                lambda: (
                    calendar.events()
                    .list(
                        calendarId="primary",
                        timeMin=rfc3339(started - dt.timedelta(hours=12)),
                        timeMax=rfc3339(window_end),
                        singleEvents=True,
                        maxResults=250,
                    )
                    .execute()
                ),
                "listing calendar events",
            )
        except ExternalError as error:
            # Without the calendar the call still comes in; its people just have no emails.
            log.warning("attendees' emails are not available from the calendar: %s", error)
            return None
        for event in events.get("items") or []:
            conference = (event.get("conferenceData") or {}).get("conferenceId")
            link = event.get("hangoutLink") or ""
            if conference == code or link.rstrip("/").endswith("/" + code):
                return dict(event)
        return None

    def _people(
        self, names: list[str], event: dict[str, Any] | None
    ) -> tuple[list[Attendee], Customer | None]:
        attendees = [a for a in (event or {}).get("attendees") or [] if a.get("email")]
        by_name = {str(a.get("displayName", "")).casefold(): a for a in attendees}
        ours = _domain(self._identity.user) or next(
            (_domain(a["email"]) for a in attendees if a.get("self")), None
        )
        people: list[Attendee] = []
        for name in names:
            match = by_name.get(name.casefold())
            email = repaired(str(match["email"])) if match else None
            people.append(Attendee(name=name, email=email, side=_side(email, ours)))
        external = sorted(
            {d for a in attendees if (d := _domain(a["email"])) and d != ours} if ours else set()
        )
        only = repaired(external[0]) if len(external) == 1 else None
        customer = Customer(name=only, domain=only) if only else None
        return people, customer


def _display_name(participant: dict[str, Any]) -> str:
    for kind in ("signedinUser", "anonymousUser", "phoneUser"):
        name = (participant.get(kind) or {}).get("displayName")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return "Unknown speaker"


def _offset(moment: dt.datetime | None, start: dt.datetime | None) -> float | None:
    if moment is None or start is None:
        return None
    return max(0.0, (moment - start).total_seconds())


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def _side(email: str | None, ours: str | None) -> Side | None:
    if not email or not ours:
        return None
    return Side.US if _domain(email) == ours else Side.CUSTOMER
