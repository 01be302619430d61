"""Speaker names: what counts as one in a transcript, and who was on the call.

A name is at most 60 characters and 6 words, without ``? ! " < > [ ]``, and does not start
with ``-`` or ``(``. Attendees come from the call metadata when it lists any, else from the
speakers.
"""

from __future__ import annotations

import re
from typing import Final

from cs_agent.core.domain import Attendee, CallMetadata, Transcript

UNKNOWN_SPEAKER: Final = "Unknown"
"""The speaker of an utterance whose source names no speaker."""


# A speaker name: no sentence punctuation, and not starting like a dialogue dash or a bracket.
SPEAKER_NAME: Final = r"[^\s:?!\"<>\[\]()\-][^:?!\"<>\[\]\n]{0,59}?"
SPEAKER_PREFIX = re.compile(rf"(?P<name>{SPEAKER_NAME})[ \t]*:(?:[ \t]+|$)")
MAX_NAME_SPACES: Final = 5


def attendees_from(transcript: Transcript, metadata: CallMetadata) -> list[Attendee]:
    """Who was on the call: the metadata's attendees when it has any, else the speakers.

    The metadata is authoritative: it comes from the calendar or the meeting system and carries
    emails and sides, while speaker labels are whatever the recorder showed (a dial-in number,
    "iPhone", a nickname). So when the metadata lists attendees they are returned as they are,
    and speakers missing from it are not added; see `unmatched_speakers` to report those.
    Without metadata attendees, each distinct speaker becomes an attendee with only a name;
    names are matched case-insensitively (the first spelling wins) and ``"Unknown"`` is left out.
    """
    if metadata.attendees:
        return [attendee.model_copy() for attendee in metadata.attendees]
    seen: set[str] = set()
    attendees: list[Attendee] = []
    for speaker in transcript.speakers():
        key = _name_key(speaker)
        if speaker == UNKNOWN_SPEAKER or key in seen:
            continue
        seen.add(key)
        attendees.append(Attendee(name=speaker))
    return attendees


def unmatched_speakers(transcript: Transcript, metadata: CallMetadata) -> list[str]:
    """Speakers that match no metadata attendee's name or email (case-insensitively).

    ``"Unknown"`` is never reported. Empty when the metadata lists no attendees, since then
    every speaker is an attendee.
    """
    if not metadata.attendees:
        return []
    known = {_name_key(a.name) for a in metadata.attendees}
    known.update(_name_key(a.email) for a in metadata.attendees if a.email)
    return [
        speaker
        for speaker in transcript.speakers()
        if speaker != UNKNOWN_SPEAKER and _name_key(speaker) not in known
    ]


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()
