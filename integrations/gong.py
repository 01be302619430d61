"""Gong as a transcript source: ``POST /v2/calls/extensive`` for the call and its parties,
``POST /v2/calls/transcript`` for what was said, with the access key and secret (Basic auth).

Parties map to attendees: ``affiliation`` ``Internal`` is our side, ``External`` the customer's;
the customer is the CRM account in the call's context (``objectType`` ``Account``, its ``Name``
field). Transcript sentences carry ``speakerId`` (joined to the party with the same
``speakerId``) and ``start``/``end`` in milliseconds from the call's start. Both endpoints page
with ``records.cursor``; every page is read, and a transcript over the size limit is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cs_agent.core.domain import Attendee, Customer, Side, TranscriptFormat, Utterance
from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
    UnexpectedAnswer,
    parse_retry_after,
)
from cs_agent.core.ports import CheckResult
from cs_agent.core.sources import SourceCall, SourceRef, TranscriptBudget, utterances_json
from cs_agent.core.text import repaired

SYSTEM = "gong"
MAX_PAGES = 200
"""A cap on cursor pages of one answer: a cursor that never ends is Gong's bug, not a loop."""
_M = TypeVar("_M", bound=BaseModel)
GONG_ID = re.compile(r"^[0-9A-Za-z_-]{1,100}$")
"""Gong's call ids are digits; anything else in an answer is not a call we can name."""
CONTENT_SELECTOR = {"context": "Extended", "exposedFields": {"parties": True}}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GongParty(_Loose):
    """One party of a call (``parties[]`` of ``/v2/calls/extensive``)."""

    id: str | None = None
    name: str | None = None
    email_address: str | None = Field(default=None, alias="emailAddress")
    speaker_id: str | None = Field(default=None, alias="speakerId")
    affiliation: str | None = None


class GongField(_Loose):
    name: str | None = None
    value: Any = None


class GongObject(_Loose):
    object_type: str | None = Field(default=None, alias="objectType")
    fields: list[GongField] | None = None


class GongContext(_Loose):
    system: str | None = None
    objects: list[GongObject] | None = None


class GongMetaData(_Loose):
    """A call's ``metaData``."""

    id: str
    title: str | None = None
    started: dt.datetime | None = None
    duration: float | None = None
    """Seconds."""


class GongCall(_Loose):
    """One call of ``/v2/calls/extensive`` (and of an automation rule's ``callData``)."""

    meta_data: GongMetaData = Field(alias="metaData")
    parties: list[GongParty] | None = None
    context: list[GongContext] | None = None

    def customer(self) -> Customer | None:
        """The CRM account the call is about, when Gong's context names one."""
        for block in self.context or []:
            for obj in block.objects or []:
                if (obj.object_type or "").lower() != "account":
                    continue
                for f in obj.fields or []:
                    if (f.name or "").lower() == "name" and isinstance(f.value, str) and f.value:
                        return Customer(name=repaired(f.value), domain=self._customer_domain())
        return None

    def _customer_domain(self) -> str | None:
        for party in self.parties or []:
            if (
                party.affiliation == "External"
                and party.email_address
                and "@" in party.email_address
            ):
                return repaired(party.email_address.rsplit("@", 1)[1].lower())
        return None

    def attendees(self) -> list[Attendee]:
        """The parties with a name or an email, with their side when Gong knows it."""
        people = []
        for party in self.parties or []:
            name = party.name or party.email_address
            if not name:
                continue
            side = {"Internal": Side.US, "External": Side.CUSTOMER}.get(party.affiliation or "")
            email = repaired(party.email_address) if party.email_address else None
            people.append(Attendee(name=repaired(name), email=email, side=side))
        return people


class _Records(_Loose):
    cursor: str | None = None


class _CallsPage(_Loose):
    records: _Records | None = None
    calls: list[GongCall] = Field(default_factory=list)


class _Sentence(_Loose):
    start: float | None = None
    end: float | None = None
    text: str = ""


class _Monologue(_Loose):
    speaker_id: str | None = Field(default=None, alias="speakerId")
    sentences: list[_Sentence] = Field(default_factory=list)


class _CallTranscript(_Loose):
    call_id: str = Field(alias="callId")
    transcript: list[_Monologue] = Field(default_factory=list)


class _TranscriptPage(_Loose):
    records: _Records | None = None
    call_transcripts: list[_CallTranscript] = Field(default_factory=list, alias="callTranscripts")


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))


class GongSource:
    """Gong's calls and transcripts, read with an access key."""

    name = SYSTEM

    def __init__(
        self,
        *,
        api_url: str,
        access_key: str,
        access_key_secret: str,
        max_bytes: int,
        client_factory: Callable[[], httpx.AsyncClient] = _default_client,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._auth = httpx.BasicAuth(access_key, access_key_secret)
        self._max_bytes = max_bytes
        self._client_factory = client_factory

    async def fetch(self, ref: SourceRef) -> SourceCall:
        """The call, its parties and its transcript."""
        async with self._client_factory() as client:
            calls = await self._calls(client, {"callIds": [ref.source_id]})
            call = next((c for c in calls if c.meta_data.id == ref.source_id), None)
            if call is None:
                raise RejectedInput(SYSTEM, f"Gong has no call {ref.source_id}")
            utterances = await self._transcript(client, call)
        meta = call.meta_data
        return SourceCall(
            source_id=meta.id,
            title=repaired(meta.title) if meta.title else None,
            started_at=meta.started,
            duration_seconds=meta.duration,
            participants=call.attendees(),
            customer=call.customer(),
            format=TranscriptFormat.JSON,
            transcript=utterances_json(utterances),
        )

    async def recent(self, *, since: dt.datetime) -> list[SourceRef]:
        """Calls that started since ``since`` (Gong lists a call once it is processed)."""
        stamp = since.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        async with self._client_factory() as client:
            calls = await self._calls(client, {"fromDateTime": stamp})
        return [
            SourceRef(
                source_id=c.meta_data.id, known=None, details={"title": c.meta_data.title or ""}
            )
            for c in calls
        ]

    async def check(self) -> list[CheckResult]:
        """Whether Gong accepts the access key (``GET /v2/users``, one page)."""
        try:
            async with self._client_factory() as client:
                await self._request(client, "GET", "/v2/users", None)
        except ExternalError as error:
            return [
                CheckResult(
                    port="source:gong",
                    adapter=SYSTEM,
                    ok=False,
                    detail=str(error),
                    fix="set CS_AGENT_GONG_ACCESS_KEY and CS_AGENT_GONG_ACCESS_KEY_SECRET to a "
                    "key from Gong → Company settings → Ecosystem → API, and CS_AGENT_GONG_API_URL "
                    "to the base URL that page shows",
                )
            ]
        return [
            CheckResult(
                port="source:gong",
                adapter=SYSTEM,
                ok=True,
                detail=f"{self._api_url} accepts the access key",
            )
        ]

    async def _calls(
        self, client: httpx.AsyncClient, call_filter: dict[str, Any]
    ) -> list[GongCall]:
        calls: list[GongCall] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {"filter": call_filter, "contentSelector": CONTENT_SELECTOR}
            if cursor:
                body["cursor"] = cursor
            data = await self._request(client, "POST", "/v2/calls/extensive", body)
            if data is None:  # Gong answers 404 when no call fits the filter
                return calls
            page = _parse(_CallsPage, data, "/v2/calls/extensive")
            calls.extend(page.calls)
            cursor = page.records.cursor if page.records else None
            if not cursor:
                return calls
        raise UnexpectedAnswer(SYSTEM, f"/v2/calls/extensive paged past {MAX_PAGES} pages")

    async def _transcript(self, client: httpx.AsyncClient, call: GongCall) -> list[Utterance]:
        names = {
            p.speaker_id: repaired(p.name or p.email_address or "")
            for p in call.parties or []
            if p.speaker_id
        }
        budget = TranscriptBudget(self._max_bytes)
        utterances: list[Utterance] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {"filter": {"callIds": [call.meta_data.id]}}
            if cursor:
                body["cursor"] = cursor
            data = await self._request(client, "POST", "/v2/calls/transcript", body)
            if data is None:
                raise RejectedInput(SYSTEM, f"Gong has no transcript for call {call.meta_data.id}")
            page = _parse(_TranscriptPage, data, "/v2/calls/transcript")
            for entry in page.call_transcripts:
                for monologue in entry.transcript:
                    speaker = names.get(monologue.speaker_id or "") or _unnamed(
                        monologue.speaker_id
                    )
                    for sentence in monologue.sentences:
                        if not sentence.text.strip():
                            continue
                        if not budget.take(sentence.text + speaker):
                            raise RejectedInput(
                                SYSTEM,
                                f"the transcript of call {call.meta_data.id} is larger than "
                                f"{self._max_bytes} bytes (CS_AGENT_MAX_TRANSCRIPT_BYTES)",
                            )
                        utterances.append(
                            Utterance(
                                speaker=speaker,
                                text=repaired(sentence.text.strip()),
                                start=None if sentence.start is None else sentence.start / 1000,
                                end=None if sentence.end is None else sentence.end / 1000,
                            )
                        )
            cursor = page.records.cursor if page.records else None
            if not cursor:
                break
        else:
            raise UnexpectedAnswer(SYSTEM, f"/v2/calls/transcript paged past {MAX_PAGES} pages")
        utterances.sort(key=lambda u: (u.start is None, u.start or 0.0))
        if not utterances:
            raise RejectedInput(SYSTEM, f"the transcript of call {call.meta_data.id} is empty")
        return utterances

    async def _request(
        self, client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
    ) -> Any:
        try:
            response = await client.request(
                method, f"{self._api_url}{path}", json=body, auth=self._auth
            )
        except httpx.TimeoutException as error:
            raise Unavailable(SYSTEM, f"{path} timed out ({error!r})") from None
        except httpx.TransportError as error:
            raise Unavailable(SYSTEM, f"{path} failed: {error!r}") from None
        status = response.status_code
        if status == 404 and method == "POST":
            return None
        if status in (401, 403):
            raise Unauthorized(
                SYSTEM,
                f"Gong refused the access key (HTTP {status} to {path}): check "
                "CS_AGENT_GONG_ACCESS_KEY and CS_AGENT_GONG_ACCESS_KEY_SECRET (Gong → Company "
                "settings → Ecosystem → API), and that the key may read calls and transcripts",
            )
        if status == 429:
            raise RateLimited(
                SYSTEM,
                f"Gong is rate-limiting {path}",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status >= 500:
            raise Unavailable(SYSTEM, f"Gong answered HTTP {status} to {path}")
        if status >= 400:
            raise RejectedInput(
                SYSTEM, f"Gong answered HTTP {status} to {path}: {_errors(response)}"
            )
        try:
            return response.json()
        except ValueError:
            raise UnexpectedAnswer(SYSTEM, f"{path} answered something that is not JSON") from None


def _parse(model: type[_M], data: Any, path: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UnexpectedAnswer(SYSTEM, f"{path}: {where or 'the answer'}: {first['msg']}") from None


def _unnamed(speaker_id: str | None) -> str:
    return f"Speaker {speaker_id[-4:]}" if speaker_id else "Unknown speaker"


def _errors(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors:
        return "; ".join(str(e)[:200] for e in errors[:3])
    return str(data)[:200]
