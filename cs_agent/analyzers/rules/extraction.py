"""Extraction: every cue phrase of a call read as a candidate item, then owners settled.

Requests go to the person addressed by name, else to whoever accepts in the next turns, else
to the next speaker; offers count once the other side accepts.

Kept in one module (about 500 lines): candidate reading and owner settling pass the same
per-turn state back and forth; the clause, pronoun and hand-out rules already live apart.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from cs_agent.analyzers.rules.assignments import (
    ASSIGN,
    CLAUSE_LEAD,
    CONDITION_OR_COMMITMENT,
    FROM_SENDER,
    NOT_ASSIGNED_BEFORE,
    RECEIVE,
    SENT_HINT,
    SENT_TO_YOU,
    TRAILING_NAME,
    role_names,
    role_pattern,
)
from cs_agent.analyzers.rules.candidates import (
    Candidate,
    Cue,
    CueSentence,
    ItemKind,
    absorb,
    merge_duplicates,
)
from cs_agent.analyzers.rules.clauses import RESTART, at_clause_start, last_clause
from cs_agent.analyzers.rules.cues import (
    ACCEPT,
    ACCEPT_WINDOW,
    ACTION_VERBS,
    CUE,
    DECLINE,
    FOLLOW_UP,
    HIGH,
    IN_CALL_VERB,
    INCIDENT,
    LEAD_FILLER,
    LET_ME_VERBS,
    NEGATED_BEFORE,
    NEGATED_BODY,
    NON_COMMITMENT,
    NOT_A_VERB,
    QUESTION_TAG,
    STRONG_ACCEPT,
    SUBJECT_CHANGE,
    SUBJECT_WILL,
    URGENT,
)
from cs_agent.analyzers.rules.dates import choose_date, date_hits
from cs_agent.analyzers.rules.handoff import (
    GROUP_ASSIGN,
    SENDS_HINT,
    SENDS_YOU,
    SUBJECTLESS,
    YOU_WORKING,
    YOUR_TASK,
    handoff_turns,
    named_before,
)
from cs_agent.analyzers.rules.lexicon import APOS
from cs_agent.analyzers.rules.pronouns import resolve_pronoun
from cs_agent.analyzers.rules.roster import Person, Roster
from cs_agent.analyzers.rules.scoring import keep_scored
from cs_agent.analyzers.rules.sentences import content_words, quote_span, sentence_spans
from cs_agent.analyzers.rules.titles import (
    HAVE_DONE,
    PRONOUN_OBJECT,
    make_title,
    title_end,
)
from cs_agent.core.domain import Priority, Side, Transcript, Utterance
from cs_agent.core.transcripts import UNKNOWN_SPEAKER


class Extractor:
    """Finds the action items of one call."""

    def __init__(
        self, transcript: Transcript, roster: Roster, call_date: dt.date, title: str | None
    ) -> None:
        self._utterances = transcript.utterances
        self._roster = roster
        self._base = call_date
        self._incident_call = bool(title and INCIDENT.search(title)) or any(
            INCIDENT.search(u.text) for u in transcript.utterances
        )
        self._third_party = self._third_party_pattern()
        attendees = [p.name for p in roster.people if p.words and p.name != UNKNOWN_SPEAKER]
        self._role = role_pattern(attendees)
        self._role_names = role_names(attendees)
        self._handoff = handoff_turns(transcript.utterances)
        self.dropped: Counter[str] = Counter()
        """Candidates the score threshold dropped, by reason (``scoring``)."""

    def _third_party_pattern(self) -> re.Pattern[str] | None:
        names = sorted(
            {p.first_name for p in self._roster.people if p.words or p.email}
            | {p.name for p in self._roster.people if p.words or p.email},
            key=len,
            reverse=True,
        )
        names = [n for n in names if n and n != UNKNOWN_SPEAKER]
        if not names:
            return None
        alternatives = "|".join(re.escape(n) for n in names)
        initials = re.escape("".join(sorted({n[0] for n in names})))
        return re.compile(
            rf"(?=[{initials}])\b(?P<name>{alternatives})(?:{SUBJECT_WILL}|{APOS}s\s+going\s+to|\s+is\s+going\s+to"
            r"|\s+can)\b(?!\s*\?)"
        )

    def run(self) -> list[Candidate]:
        """Every cue phrase of the call read as a candidate item, merged within sentences."""
        found: list[Candidate] = []
        for index, utterance in enumerate(self._utterances):
            cues = self._cues(index, utterance)
            if not cues:
                continue
            text = utterance.text
            spans = sentence_spans(text)
            position = 0
            for number, (start, end) in enumerate(spans):
                inside: list[Cue] = []
                while position < len(cues) and cues[position][0] < end:
                    cue = cues[position]
                    if cue[0] >= start and cue[1] <= end:
                        inside.append((cue[0] - start, cue[1] - start, *cue[2:]))
                    position += 1
                if inside:
                    previous = text[spans[number - 1][0] : spans[number - 1][1]] if number else ""
                    where = CueSentence(index, utterance, number, start, text[start:end], previous)
                    found.extend(self._from_sentence(where, inside))
        return found

    def _cues(self, index: int, utterance: Utterance) -> list[Cue]:
        """The cue phrases in an utterance, in order, with offsets into its text."""
        text = utterance.text
        cues: list[Cue] = [
            (match.start(), match.end(), match.lastgroup or "", match, None)
            for match in CUE.finditer(text)
        ]
        if self._third_party is not None:
            speaker = self._roster.person(utterance.speaker)
            for match in self._third_party.finditer(text):
                person = self._roster.lookup(match["name"])
                if person is not None and person is not speaker:
                    kind = "weak" if match.group().lower().endswith("can") else "third"
                    cues.append((match.start(), match.end(), kind, None, person))
        speaker = self._roster.person(utterance.speaker)
        cues.extend((m.start(), m.end(), "assign", m, None) for m in ASSIGN.finditer(text))
        if SENT_HINT.search(
            text
        ):  # the subject-first pattern is slow; most turns have no "be sent"
            cues.extend(
                (m.start("thing"), m.end(), "sent", m, None) for m in SENT_TO_YOU.finditer(text)
            )
        if self._role is not None:
            for match in self._role.finditer(text):
                person = self._roster.lookup(match["role"])
                if person is not None and person is not speaker:
                    cues.append((match.start(), match.end(), "role", match, person))
        cues.extend(self._handoff_cues(index, utterance, speaker))
        cues.sort(key=lambda c: c[0])
        return cues

    def _handoff_cues(self, index: int, utterance: Utterance, speaker: Person) -> list[Cue]:
        """What the team will receive, work handed out at the end, an owner named a turn before."""
        text = utterance.text
        cues: list[Cue] = []
        if SENDS_HINT.search(text):
            cues.extend(
                (m.start(), m.start("thing"), "sent", m, None) for m in SENDS_YOU.finditer(text)
            )
        if index in self._handoff:
            cues.extend((m.start(), m.end(), "assign", m, None) for m in YOU_WORKING.finditer(text))
        cues.extend((m.start(), m.end(), "assign", m, None) for m in GROUP_ASSIGN.finditer(text))
        cues.extend((m.start(), m.end(), "assign", m, None) for m in YOUR_TASK.finditer(text))
        opening = SUBJECTLESS.match(text)
        if opening is not None and self._role_names is not None:
            name = named_before(self._utterances, index, self._role_names)
            person = self._roster.lookup(name) if name else None
            if person is not None and person is not speaker:
                cues.append((opening.start("cue"), opening.end("cue"), "role", opening, person))
        return cues

    # A sentence can hold several cues; each is read up to the next one.
    def _from_sentence(self, where: CueSentence, cues: list[Cue]) -> list[Candidate]:
        results: list[Candidate] = []
        restarted = False
        for position, (cue_start, cue_end, group, cue_match, person) in enumerate(cues):
            limit = cues[position + 1][0] if position + 1 < len(cues) else len(where.text)
            if restarted and group == "weak":
                group = (
                    "commit"  # "I'll take {disfmarker} I can send it back": one promise, restarted
                )
            restarted = group == "commit" and bool(RESTART.fullmatch(where.text[cue_end:limit]))
            candidate = self._candidate(
                where, (cue_start, cue_end, limit), group, cue_match, person
            )
            if candidate is not None:
                results.append(candidate)
        return self._merge_in_sentence(results)

    def _candidate(
        self,
        where: CueSentence,
        bounds: tuple[int, int, int],
        group: str,
        match: re.Match[str] | None,
        person: Person | None,
    ) -> Candidate | None:
        index, utterance, number = where.index, where.utterance, where.number
        sentence_start, sentence = where.start, where.text
        cue_start, cue_end, limit = bounds
        speaker = self._roster.person(utterance.speaker)
        filler = LEAD_FILLER.match(sentence, cue_end)
        body_start = filler.end() if filler else cue_end
        rest = sentence[body_start:limit]
        words = rest.split()
        if not words or NEGATED_BODY.match(rest):
            return None
        first_verb = words[0].lower().strip(",.;:!?")
        before = sentence[:cue_start]
        if NEGATED_BEFORE.search(before):
            return None
        kind: ItemKind
        owner: Person | None
        commitment = group in ("commit", "weak", "let_me", "third")
        # Cheap rejections first: most cues in a long call end here.
        if group in ("assign", "role", "sent"):
            kind = "assign"
            owner = person or self._vocative(sentence, speaker)
            if group == "sent" or (group == "assign" and RECEIVE.match(rest)):
                owner = speaker  # what the team will receive is the speaker's side's to send
                if CONDITION_OR_COMMITMENT.search(before):
                    return None
            elif (
                not at_clause_start(before)
                or NOT_ASSIGNED_BEFORE.search(before)
                or first_verb in NOT_A_VERB
                or NON_COMMITMENT.match(rest)
                or sentence.rstrip().endswith("?")
            ):
                return None
        elif commitment:
            kind, owner = "commit", person or speaker
            if (
                not at_clause_start(before)
                or first_verb in NOT_A_VERB
                or NON_COMMITMENT.match(rest)
                or (group == "let_me" and first_verb not in LET_ME_VERBS)
                or (group == "weak" and first_verb not in ACTION_VERBS)
                or (sentence.rstrip().endswith("?") and not QUESTION_TAG.search(sentence))
            ):
                return None
        elif group == "plan":
            kind, owner = "plan", speaker
        elif group in ("request", "offer"):
            kind = "request" if group == "request" else "offer"
            owner = None if group == "request" else speaker
            if first_verb not in ACTION_VERBS or NON_COMMITMENT.match(rest):
                return None
        elif group == "agenda":
            kind, owner = "commit", speaker
            who = (match["agenda_who"] or match["next_who"]) if match is not None else None
            if who:
                owner = self._who(who, speaker)
                if who.lower() == "you":
                    kind, owner = "request", None
        else:
            return None
        date_text = sentence[cue_start : self._date_end(sentence, body_start, limit)]
        hits = date_hits(date_text, self._base)
        if commitment:
            if group == "weak" and not (hits or self._answered(index, speaker, STRONG_ACCEPT)):
                return None  # "we can set that up" is an offer until dated or accepted
            if first_verb == "have" and not (
                HAVE_DONE.search(rest) or hits or self._names_person(rest)
            ):
                return None
            if first_verb == "be" and not hits:
                return None  # "I'll be setting up …" describes a role unless it has a date
        handoff = index in self._handoff and group in ("assign", "role", "request")
        if (
            group not in ("plan", "agenda")
            and not handoff
            and IN_CALL_VERB.match(rest)
            and not (hits or FOLLOW_UP.search(date_text))
        ):
            return None  # "I'll go through the numbers" is the agenda of this call
        body = rest[: title_end(rest)]
        if group == "sent" and match is not None:
            thing = CLAUSE_LEAD.sub("", match["thing"]).strip()
            body = "send " + thing[: title_end(thing)]
        elif group == "assign" and RECEIVE.match(body):
            body = RECEIVE.sub("send", FROM_SENDER.sub("", body), count=1)
        body = self._without_vocative(body)
        names = (
            self._roster.other_side_name(speaker.side),
            speaker.first_name,
            self._roster.side_name(speaker.side),
        )
        title = make_title(body, you=names[0], me=names[1], us=names[2])
        content = content_words(title)
        resolved = None
        if len(content) <= 1 and kind in ("commit", "assign"):
            # "I'll check it for you" after "Can we go to channel twenty five?"
            resolved = resolve_pronoun(body, self._utterances, index, number)
            if resolved is not None:
                title = make_title(resolved, you=names[0], me=names[1], us=names[2])
                content = content_words(title)
        # "Adjust it" or "Get that over": nothing a tracker issue could say on its own.
        vague = (
            not content
            or len(title.split()) < 2
            or (
                len(content) == 1
                and bool(PRONOUN_OBJECT.search(title))
                and not hits
                and not resolved
            )
        )
        if vague and (kind not in ("commit", "assign") or number > 1):
            return None
        due = choose_date(hits, date_text)
        if due is None:
            clause = last_clause(before)
            due = choose_date(date_hits(clause, self._base), clause)
        quote = quote_span(
            utterance.text,
            sentence_start,
            sentence_start + len(sentence),
            sentence_start + cue_start,
        )
        return Candidate(
            kind=kind,
            index=index,
            utterance=utterance,
            sentence_start=sentence_start,
            sentence_end=sentence_start + len(sentence),
            sentence_number=number,
            cue=" ".join(sentence[cue_start:cue_end].split()),
            cue_start=sentence_start + cue_start,
            speaker=speaker,
            owner=owner,
            title=title,
            content=content,
            due=due,
            priority=self._priority(sentence, where.previous, due),
            quote=quote,
            vague=vague,
            group=group,
            body=body,
            before=before,
            lead=sentence[cue_end:body_start],
            rest=rest,
            handoff=handoff,
        )

    def _without_vocative(self, body: str) -> str:
        """ "do some trend watching, Marketing" → "do some trend watching"."""
        tail = TRAILING_NAME.search(body)
        if tail is not None and self._roster.lookup(tail["name"]) is not None:
            return body[: tail.start()]
        return body

    def _answered(self, index: int, speaker: Person, pattern: re.Pattern[str]) -> bool:
        """Whether the next other speaker's turn starts with ``pattern`` (an acceptance)."""
        for later in self._utterances[index + 1 : index + 1 + ACCEPT_WINDOW]:
            if self._roster.person(later.speaker) is speaker:
                continue
            return bool(pattern.match(later.text)) and not DECLINE.match(later.text)
        return False

    def _names_person(self, text: str) -> bool:
        pattern = self._roster.name_pattern
        return bool(
            re.search(r"\b(?:someone|somebody|one\s+of|my\s+team|our\s+team)\b", text, re.I)
            or (pattern is not None and pattern.search(text))
        )

    def _who(self, who: str, speaker: Person) -> Person | None:
        lowered = who.lower()
        if lowered in ("me", "us"):
            return speaker
        return self._roster.lookup(who)

    @staticmethod
    def _date_end(sentence: str, body_start: int, limit: int) -> int:
        change = SUBJECT_CHANGE.search(sentence, body_start, limit)
        return change.start() if change else limit

    def _priority(self, sentence: str, previous: str, due: dt.date | None) -> Priority:
        if URGENT.search(sentence):
            return Priority.URGENT
        if HIGH.search(sentence) or HIGH.search(previous):
            return Priority.HIGH
        if self._incident_call and due is not None and (due - self._base).days <= 1:
            # Work promised for today or tomorrow on an incident call is the fix itself.
            return Priority.URGENT if due == self._base else Priority.HIGH
        return Priority.NONE

    @staticmethod
    def _merge_in_sentence(items: list[Candidate]) -> list[Candidate]:
        merged: list[Candidate] = []
        for item in items:
            twin = next(
                (
                    m
                    for m in merged
                    if m.kind == item.kind and m.owner is item.owner and item.kind == "commit"
                ),
                None,
            )
            if twin is None:
                merged.append(item)
                continue
            absorb(twin, item)
        return merged

    # --- after extraction -------------------------------------------------------------------

    def resolve(self, found: list[Candidate]) -> list[Candidate]:
        """Owners for requests and offers, then merged duplicates."""
        kept: list[Candidate] = []
        for item in found:
            if item.kind == "request":
                owner = self._addressee(item)
                if owner is None:
                    continue
                item.owner = owner
            elif item.kind == "offer":
                if not self._accepted_by_other(item):
                    continue
                item.accepted = True
            kept.append(item)
        one_team = not any(p.side is Side.CUSTOMER for p in self._roster.people)
        return merge_duplicates(keep_scored(kept, self.dropped, one_team=one_team))

    def _addressee(self, item: Candidate) -> Person | None:
        speaker = item.speaker
        sentence = item.utterance.text[item.sentence_start : item.sentence_end]
        named = self._vocative(sentence, speaker)
        if named is None and item.sentence_number <= 1:
            opening = sentence_spans(item.utterance.text)[0]
            first = item.utterance.text[opening[0] : opening[1]]
            named = self._vocative(first, speaker, opening_only=True)
        if named is not None:
            # "Dana, can you …?" — "Sure, …": the request is taken on only if it is answered yes.
            item.accepted = self._accepted_by_other(item)
            return named
        next_speaker: Person | None = None
        for later in self._utterances[item.index + 1 : item.index + 1 + ACCEPT_WINDOW]:
            person = self._roster.person(later.speaker)
            if person is speaker:
                continue
            if next_speaker is None:
                next_speaker = person
                if DECLINE.match(later.text) and not ACCEPT.match(later.text):
                    return None
            if ACCEPT.match(later.text) and (
                person.side is None or speaker.side is None or person.side is not speaker.side
            ):
                item.accepted = True
                return person
        if next_speaker is not None:
            return next_speaker
        other = Side.CUSTOMER if speaker.side is Side.US else Side.US
        return self._roster.main_speaker(other) if speaker.side is not None else None

    def _vocative(
        self, sentence: str, speaker: Person, *, opening_only: bool = False
    ) -> Person | None:
        pattern = self._roster.name_pattern
        if pattern is None:
            return None
        for match in pattern.finditer(sentence):
            before = sentence[: match.start()].rstrip()
            after = sentence[match.end() :].lstrip()
            at_start = not re.sub(r"\b(?:and|so|ok(?:ay)?|um+|uh+|oh|also|hey)\b|[\s,]", "", before)
            addressed = (at_start and after.startswith(",")) or (
                not opening_only
                and (before.endswith(",") or at_start)
                and (after[:1] in ("?", ".", "!", "") or after.startswith(","))
                and not re.search(r"\b(?:to|with|for|from|cc|ask|tell|and)$", before.rstrip(","))
            )
            if not addressed:
                continue
            person = self._roster.lookup(match.group())
            if person is not None and person is not speaker:
                return person
        return None

    def _accepted_by_other(self, item: Candidate) -> bool:
        for later in self._utterances[item.index + 1 : item.index + 1 + ACCEPT_WINDOW]:
            person = self._roster.person(later.speaker)
            if person is item.speaker:
                continue
            return bool(ACCEPT.match(later.text)) and not DECLINE.match(later.text)
        return False
