"""The roster: who was on the call, which side each person is on, and how a name finds them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cs_agent.core.domain import CallMetadata, Owner, Side, Transcript
from cs_agent.core.transcripts import UNKNOWN_SPEAKER, attendees_from


@dataclass(slots=True)
class Person:
    name: str
    side: Side | None
    email: str | None
    guessed_side: bool = False
    words: int = 0
    attendee: bool = False
    """Listed as an attendee (or, without a list, a speaker): greeted and emailed."""

    @property
    def present(self) -> bool:
        """On the call: an attendee, or someone who spoke."""
        return self.attendee or self.words > 0

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def owner(self) -> Owner:
        return Owner(name=self.name, side=self.side, email=self.email)


def _key(name: str) -> str:
    return " ".join(re.sub(r"\([^)]*\)", " ", name).split()).casefold()


class Roster:
    """Who was on the call, which side each is on, and how to find them by a speaker label."""

    def __init__(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        *,
        company_name: str,
        sender_name: str | None,
    ) -> None:
        self._customer_domain = (
            metadata.customer.domain.lower().lstrip("@")
            if metadata.customer and metadata.customer.domain
            else None
        )
        self._customer_name = metadata.customer.name if metadata.customer else None
        self._company = company_name
        self._sender_key = _key(sender_name) if sender_name else None
        self.people: list[Person] = []
        self._by_key: dict[str, Person] = {}
        self._by_first: dict[str, Person | None] = {}
        for attendee in attendees_from(transcript, metadata):
            person = Person(attendee.name, attendee.side, attendee.email, attendee=True)
            if person.side is None:
                person.side = self._guess_side(attendee.name, attendee.email)
                person.guessed_side = person.side is not None
            self._add(person)
        self._speaker_cache: dict[str, Person] = {}
        for utterance in transcript.utterances:
            self.person(utterance.speaker).words += len(utterance.text.split())
        names = sorted(
            {p.name for p in self.people} | {p.first_name for p in self.people},
            key=len,
            reverse=True,
        )
        self.name_pattern = (
            re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names if n) + r")\b")
            if names
            else None
        )

    def _add(self, person: Person) -> None:
        self.people.append(person)
        self._by_key.setdefault(_key(person.name), person)
        if person.email:
            self._by_key.setdefault(person.email.casefold(), person)
        first = _key(person.first_name)
        if first in self._by_first and self._by_first[first] is not person:
            self._by_first[first] = None  # two people share it: a first name alone is ambiguous
        else:
            self._by_first[first] = person

    def _domain_side(self, email: str | None) -> Side | None:
        if not email or "@" not in email or not self._customer_domain:
            return None
        domain = email.rsplit("@", 1)[1].lower()
        if domain == self._customer_domain or domain.endswith("." + self._customer_domain):
            return Side.CUSTOMER
        return Side.US

    def _guess_side(self, name: str, email: str | None) -> Side | None:
        side = self._domain_side(email)
        if side is not None:
            return side
        lowered = name.casefold()
        if self._customer_name and self._customer_name.casefold() in lowered:
            return Side.CUSTOMER
        if self._company and self._company.casefold() in lowered:
            return Side.US
        if self._sender_key and _key(name) == self._sender_key:
            return Side.US
        return None

    def lookup(self, name: str) -> Person | None:
        """The attendee a name or speaker label refers to, by full name, email or first name."""
        key = _key(name)
        person = self._by_key.get(key)
        if person is None and key:
            person = self._by_first.get(key.split()[0]) if len(key.split()) <= 2 else None
            if person is not None and len(key.split()) == 2 and _key(person.name) != key:
                # "Tom K" is Tom Kowalski; "Tom Smith" is not.
                surname = key.split()[1]
                if not _key(person.name).split()[-1].startswith(surname.rstrip(".")):
                    person = None
        return person

    def person(self, speaker: str) -> Person:
        """The person behind a speaker label; someone new (side guessed) if not an attendee."""
        cached = self._speaker_cache.get(speaker)
        if cached is not None:
            return cached
        person = self.lookup(speaker)
        if person is None:
            side = None if speaker == UNKNOWN_SPEAKER else self._guess_side(speaker, None)
            person = Person(speaker, side, None, guessed_side=side is not None)
            self.people.append(person)
        self._speaker_cache[speaker] = person
        return person

    def main_speaker(self, side: Side | None) -> Person | None:
        """Who spoke the most on ``side``."""
        candidates = [p for p in self.people if p.side is side and p.words > 0]
        return max(candidates, key=lambda p: p.words) if candidates else None

    def side_name(self, side: Side | None) -> str:
        """How a side is named in titles: the customer's name or ours."""
        if side is Side.CUSTOMER:
            return self._customer_name or "the customer"
        if side is Side.US:
            return self._company
        return "them"

    def other_side_name(self, side: Side | None) -> str:
        """What "you" means when someone on ``side`` says it."""
        if side is Side.US:
            return self._customer_name or "the customer"
        if side is Side.CUSTOMER:
            return self._company
        return "them"
