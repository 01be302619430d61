"""The offline analyzer: cue phrases, owners, due dates, quotes, linking, email, and its scores.

Transcripts here are small and written for the test; the example calls in ``examples/`` are only
used by the evaluation at the end, which scores the rules against what a human would file.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from pathlib import Path

import pytest

from cs_agent.analyzers.rules import ANALYZER_NAME, RulesAnalyzer, resolve_due_date
from cs_agent.core.domain import (
    ActionItem,
    Attendee,
    CallAnalysis,
    CallMetadata,
    Customer,
    IssueRef,
    Owner,
    Priority,
    Side,
    Transcript,
    TranscriptFormat,
    Utterance,
)
from cs_agent.core.ports import Analyzer, CallContext
from cs_agent.core.transcripts import parse_transcript
from integrations.local import LocalTaskTracker
from storage.db import make_engine, migrate

from .rules_matching import (
    ExpectedItem,
    NoOpenIssues,
    Score,
    evaluate,
    example_names,
    load_example,
    match_items,
    quotes_overlap,
)

CALL_DATE = dt.date(2026, 11, 10)  # a Tuesday
ACME = Customer(name="Acme Freight", domain="acmefreight.example")
ATTENDEES = [
    Attendee(name="Priya Natarajan", email="priya@acmefreight.example", side=Side.CUSTOMER),
    Attendee(name="Tom Kowalski", email="tom@acmefreight.example", side=Side.CUSTOMER),
    Attendee(name="Dana Reyes", email="dana@ourco.example", side=Side.US),
    Attendee(name="Marcus Oyelaran", email="marcus@ourco.example", side=Side.US),
]


def metadata(**changes: object) -> CallMetadata:
    """Metadata for the test call: Acme Freight, four attendees with sides and emails."""
    base = CallMetadata(
        title="Acme renewal", call_date=CALL_DATE, customer=ACME, attendees=ATTENDEES
    )
    return base.model_copy(update=changes)


async def analyze(
    text: str, meta: CallMetadata | None = None, *, sender: str | None = None
) -> CallAnalysis:
    """Run the offline analyzer on a plain-text transcript (``Name: text`` lines)."""
    analyzer = RulesAnalyzer(company_name="OurCo", sender_name=sender)
    return await analyzer.analyze(
        parse_transcript(text), meta or metadata(), tracker=NoOpenIssues()
    )


def only(analysis: CallAnalysis) -> ActionItem:
    """The one item the analysis found."""
    titles = [item.title for item in analysis.action_items]
    assert len(titles) == 1, titles
    return analysis.action_items[0]


def owner_name(item: ActionItem) -> str | None:
    return item.owner.name if item.owner else None


# --- cue phrases and owners --------------------------------------------------------------------


async def test_commitment_belongs_to_the_speaker_with_side_and_email() -> None:
    item = only(await analyze("Dana Reyes: I'll send you the revised quote by Friday.\n"))
    assert item.owner == Owner(name="Dana Reyes", side=Side.US, email="dana@ourco.example")
    assert item.title == "Send the revised quote"
    assert item.due_date == dt.date(2026, 11, 13)
    assert item.quote == "I'll send you the revised quote by Friday."
    assert 'Found by the offline analyzer (cue phrase "I\'ll"; score 1.00 of 1' in item.description


@pytest.mark.parametrize(
    "line",
    [
        "Tom Kowalski: We will get the PO through procurement by Friday.",
        "Tom Kowalski: I'm going to loop in our IT admin tomorrow.",
        "Tom Kowalski: Let me check with finance and get back to you by Monday.",
        "Tom Kowalski: We're going to run the pilot with two depots next week.",
        "Tom Kowalski: I can get you the usage export by Thursday.",
        "Tom Kowalski: Action item for me: confirm the seat count with HR.",
    ],
)
async def test_commitment_cues(line: str) -> None:
    item = only(await analyze(line + "\n"))
    assert owner_name(item) == "Tom Kowalski"
    assert item.owner is not None and item.owner.side is Side.CUSTOMER


async def test_request_belongs_to_the_person_named() -> None:
    analysis = await analyze(
        "Dana Reyes: Tom, can you send over the signed order form?\nTom Kowalski: Sure, will do.\n"
    )
    item = only(analysis)
    assert owner_name(item) == "Tom Kowalski"
    assert item.title == "Send the signed order form"
    assert item.quote == "Tom, can you send over the signed order form?"


async def test_request_belongs_to_the_other_side_that_accepts() -> None:
    analysis = await analyze(
        "Priya Natarajan: Could you send us a list of inactive users?\n"
        "Tom Kowalski: Oh, and the old ones too.\n"
        "Marcus Oyelaran: Yes, happy to.\n"
    )
    item = only(analysis)
    assert owner_name(item) == "Marcus Oyelaran"
    assert "Marcus agreed" in item.description


async def test_a_question_not_answered_yes_is_not_an_item() -> None:
    analysis = await analyze(
        "Dana Reyes: Would you be able to share the rollout plan?\n"
        "Priya Natarajan: Let me think about who owns it.\n"
        "Dana Reyes: Tom, can you send over the signed order form?\n"
        "Priya Natarajan: I think he already did.\n"
    )
    assert analysis.action_items == []
    assert any("2 questions not answered yes" in note for note in analysis.notes)


async def test_declined_request_is_not_an_item() -> None:
    analysis = await analyze(
        "Dana Reyes: Can you send the contract to legal today?\n"
        "Tom Kowalski: No, legal is out this week, sorry.\n"
    )
    assert analysis.action_items == []


async def test_request_and_its_acceptance_are_one_item() -> None:
    analysis = await analyze(
        "Tom Kowalski: Can you send over a corrected invoice for Q3?\n"
        "Dana Reyes: Yes. I'll get the corrected Q3 invoice to you before the 15th.\n"
    )
    item = only(analysis)
    assert owner_name(item) == "Dana Reyes"
    assert item.due_date == dt.date(2026, 11, 15)
    # The owner's own words are the better evidence.
    assert item.quote == "I'll get the corrected Q3 invoice to you before the 15th."


async def test_vague_acceptance_gives_its_date_to_the_request() -> None:
    analysis = await analyze(
        "Priya Natarajan: Dana, can you share the pricing sheet for the enterprise tier?\n"
        "Dana Reyes: Sure, I'll get that to you tomorrow.\n"
    )
    item = only(analysis)
    assert item.title == "Share the pricing sheet for the enterprise tier"
    assert item.due_date == dt.date(2026, 11, 11)


async def test_commitment_restated_in_the_recap_is_one_item() -> None:
    analysis = await analyze(
        "Marcus Oyelaran: I'll run the dispatch training next Tuesday.\n"
        "Priya Natarajan: Great, thanks.\n"
        "Marcus Oyelaran: So to recap, I'll run the dispatch training for the dispatch team.\n"
    )
    item = only(analysis)
    assert item.due_date == dt.date(2026, 11, 17)


async def test_accepted_offer_belongs_to_the_one_who_offered() -> None:
    accepted = await analyze(
        "Dana Reyes: Do you want me to send the onboarding checklist?\n"
        "Priya Natarajan: Yes please.\n"
    )
    assert owner_name(only(accepted)) == "Dana Reyes"
    ignored = await analyze(
        "Dana Reyes: Do you want me to send the onboarding checklist?\n"
        "Priya Natarajan: No, we have it already.\n"
    )
    assert ignored.action_items == []


@pytest.mark.parametrize(
    "line",
    [
        "We don't need to do anything about SSO right now.",
        "I won't send the contract until legal signs off.",
        "There's no need to send anything yet.",
        "If we were to expand to Canada, we'd need another forty seats.",
        "I'll be honest, the last quarter was rough.",
        "I'll tell you what, that dashboard is a lifesaver.",
        "I will say, the support team was great.",
        "Can you hear me okay?",
        "Will we see that in the next release?",
        "Let me share my screen.",
        "What I can do is hold the price for two years.",
        "I don't think we'll send the survey this year.",
        "I'll talk to you soon.",
        "Let's get into it.",
        "I want to figure out who the inactive users are.",
    ],
)
async def test_negations_small_talk_and_questions_are_not_items(line: str) -> None:
    analysis = await analyze(f"Dana Reyes: {line}\nTom Kowalski: Okay.\n")
    assert [i.title for i in analysis.action_items] == []


async def test_fillers_and_self_corrections() -> None:
    item = only(await analyze("Dana Reyes: So, um, I'll, uh, I'll send over the updated SOW.\n"))
    assert item.title == "Send the updated SOW"
    corrected = only(
        await analyze("Tom Kowalski: I'll talk to our CFO by Friday, sorry, Monday.\n")
    )
    assert corrected.due_date == dt.date(2026, 11, 16)


async def test_titles_are_short_imperatives_with_pronouns_fixed() -> None:
    analysis = await analyze(
        "Dana Reyes: I'll set up the SSO workshop with you and your admins next week.\n"
        "Tom Kowalski: I'm going to put together a very long and detailed list of every single "
        "depot manager, their region, their phone number and their preferred training slot.\n"
    )
    first, second = analysis.action_items
    assert first.title == "Set up the SSO workshop with Acme Freight and the admins"
    assert len(second.title) <= 80
    for item in analysis.action_items:
        assert item.title[0].isupper()
        assert not item.title.lower().startswith(("i'll", "i'm going", "we"))


async def test_priority_from_urgency_and_escalation_cues() -> None:
    analysis = await analyze(
        "Dana Reyes: The outage is critical, so I'll restart the sync job ASAP.\n"
        "Tom Kowalski: OK.\n"
        "Marcus Oyelaran: This is an escalation now. I'll brief our VP of engineering.\n"
        "Tom Kowalski: OK.\n"
        "Dana Reyes: I'll send the renewal paperwork on Friday.\n"
    )
    priorities = [item.priority for item in analysis.action_items]
    assert priorities == [Priority.URGENT, Priority.HIGH, Priority.NONE]


async def test_sides_guessed_from_the_customer_domain() -> None:
    meta = metadata(
        attendees=[
            Attendee(name="Priya Natarajan", email="priya@acmefreight.example"),
            Attendee(name="Dana Reyes", email="dana@ourco.example"),
        ]
    )
    analysis = await analyze(
        "Priya Natarajan: I'll send the seat list on Monday.\n"
        "Dana Reyes: And I'll send the quote on Tuesday.\n",
        meta,
    )
    sides = [item.owner.side for item in analysis.action_items if item.owner]
    assert sides == [Side.CUSTOMER, Side.US]
    assert any("guessed" in note for note in analysis.notes)


async def test_unlabelled_speaker_owns_nothing() -> None:
    transcript = Transcript(
        format=TranscriptFormat.SRT,
        utterances=[Utterance(speaker="Unknown", text="I'll send the quote on Friday.", start=1)],
    )
    analysis = await RulesAnalyzer(company_name="OurCo").analyze(
        transcript, metadata(), tracker=NoOpenIssues()
    )
    item = only(analysis)
    assert item.owner is None
    assert "**Other follow-ups:**" in analysis.email.body


def test_rules_analyzer_is_an_analyzer() -> None:
    analyzer = RulesAnalyzer(company_name="OurCo")
    assert isinstance(analyzer, Analyzer)
    assert analyzer.name == ANALYZER_NAME


async def test_owner_matched_by_first_name_and_without_metadata() -> None:
    by_first = only(await analyze("Dana: I'll send the quote on Friday.\n"))
    assert by_first.owner == Owner(name="Dana Reyes", side=Side.US, email="dana@ourco.example")
    bare = only(await analyze("Alex: I'll send the quote on Friday.\n", CallMetadata()))
    assert bare.owner == Owner(name="Alex")


# --- due dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll send it by Friday.", dt.date(2026, 11, 13)),
        ("I'll run it next Tuesday.", dt.date(2026, 11, 17)),
        ("I'll open the ticket tomorrow.", dt.date(2026, 11, 11)),
        ("by the end of the week", dt.date(2026, 11, 13)),
        ("by end of week", dt.date(2026, 11, 13)),
        ("by the end of the month", dt.date(2026, 11, 30)),
        ("before the 15th", dt.date(2026, 11, 15)),
        ("by the 5th", dt.date(2026, 12, 5)),
        ("in two weeks", dt.date(2026, 11, 24)),
        ("in a couple of days", dt.date(2026, 11, 12)),
        ("by December 3rd", dt.date(2026, 12, 3)),
        ("by November twentieth", dt.date(2026, 11, 20)),
        ("on the 3rd of December", dt.date(2026, 12, 3)),
        ("by January 10", dt.date(2027, 1, 10)),
        ("by 12/3", dt.date(2026, 12, 3)),
        ("EOD", dt.date(2026, 11, 10)),
        ("right after this call", dt.date(2026, 11, 10)),
        ("within the hour", dt.date(2026, 11, 10)),
        ("Monday morning", dt.date(2026, 11, 16)),
        ("next week", dt.date(2026, 11, 20)),
        ("end of next week", dt.date(2026, 11, 20)),
        ("end of the quarter", dt.date(2026, 12, 31)),
        ("the deck from today, with the report, by tomorrow", dt.date(2026, 11, 11)),
        ("by Friday, sorry, Monday", dt.date(2026, 11, 16)),
        ("what happened last Friday", None),
        ("on October 2nd", None),
        ("the list of inactive users", None),
        ("waves Monday through Thursday nights", None),
    ],
)
def test_due_date_resolution(text: str, expected: dt.date | None) -> None:
    assert resolve_due_date(text, CALL_DATE) == expected


def test_due_dates_never_fall_before_the_call() -> None:
    phrases = ["today", "by Tuesday", "this week", "by the 10th", "end of the month", "EOD"]
    for phrase in phrases:
        resolved = resolve_due_date(phrase, CALL_DATE)
        assert resolved is not None and resolved >= CALL_DATE, phrase


def test_due_date_without_a_call_date_is_relative_to_today() -> None:
    assert resolve_due_date("tomorrow") == dt.date.today() + dt.timedelta(days=1)


# --- quotes ------------------------------------------------------------------------------------


def assert_quotes_are_verbatim(transcript: Transcript, analysis: CallAnalysis) -> None:
    starts = {u.start: u.text for u in transcript.utterances}
    for item in analysis.action_items:
        assert item.quote, item.title
        assert item.quote_time in starts, item.title
        assert item.quote in starts[item.quote_time], (item.quote, starts[item.quote_time])


async def test_quotes_are_verbatim_sentences_of_their_utterance() -> None:
    utterances = [
        Utterance(
            speaker="Dana Reyes",
            text="Right, um… okay. So I’ll send you the “revised” quote by Friday! Anything else?",
            start=12.5,
        ),
        Utterance(speaker="Tom Kowalski", text="Tom here. Can you send the deck too?", start=30.0),
        Utterance(speaker="Dana Reyes", text="Sure, will do.", start=41.0),
    ]
    transcript = Transcript(format=TranscriptFormat.JSON, utterances=utterances)
    analysis = await RulesAnalyzer(company_name="OurCo").analyze(
        transcript, metadata(), tracker=NoOpenIssues()
    )
    assert [i.quote for i in analysis.action_items] == [
        "So I’ll send you the “revised” quote by Friday!",
        "Can you send the deck too?",
    ]
    assert [i.quote_time for i in analysis.action_items] == [12.5, 30.0]
    assert_quotes_are_verbatim(transcript, analysis)


async def test_quote_from_an_unpunctuated_monologue_is_short_and_verbatim() -> None:
    filler = "and then the numbers for the northern region were roughly flat " * 20
    text = filler + "so I'll send the regional breakdown on Friday " + filler
    transcript = Transcript(
        format=TranscriptFormat.TEXT,
        utterances=[Utterance(speaker="Dana Reyes", text=text.strip(), start=5.0)],
    )
    analysis = await RulesAnalyzer(company_name="OurCo").analyze(
        transcript, metadata(), tracker=NoOpenIssues()
    )
    item = only(analysis)
    assert "I'll send the regional breakdown on Friday" in item.quote
    assert len(item.quote) <= 320
    assert_quotes_are_verbatim(transcript, analysis)


@pytest.mark.parametrize("name", example_names())
async def test_quotes_in_the_example_calls_are_verbatim(name: str) -> None:
    example = load_example(name)
    analysis = await RulesAnalyzer(company_name="OurCo").analyze(
        example.transcript, example.metadata, tracker=NoOpenIssues()
    )
    assert analysis.action_items
    assert_quotes_are_verbatim(example.transcript, analysis)


# --- existing issues ---------------------------------------------------------------------------


async def test_items_link_to_open_issues_in_the_local_tracker(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tasks.db'}")
    migrate(engine)
    tracker = LocalTaskTracker(engine, public_url="http://localhost")
    filed = await tracker.create_issue(
        ActionItem(title="Send revised renewal quote", quote="earlier call"),
        issue_id=uuid.uuid4(),
        call=CallContext(call_id="call-earlier", customer_name=ACME.name),
    )
    analysis = await RulesAnalyzer(company_name="OurCo").analyze(
        parse_transcript(
            "Dana Reyes: I'll send the revised renewal quote by Friday.\n"
            "Tom Kowalski: And I'll book the CFO review for Thursday.\n"
        ),
        metadata(),
        tracker=tracker,
    )
    quote, review = analysis.action_items
    assert quote.existing_issue is not None
    assert quote.existing_issue.identifier == filed.identifier == "LOCAL-1"
    assert quote.existing_issue.existing
    assert review.existing_issue is None


async def test_tracker_is_asked_with_the_title_and_customer() -> None:
    calls: list[tuple[str, str | None]] = []

    class RecordingTracker(NoOpenIssues):
        async def find_open_issues(
            self, *, query: str, customer: str | None, limit: int = 5
        ) -> list[IssueRef]:
            calls.append((query, customer))
            return []

    await RulesAnalyzer(company_name="OurCo").analyze(
        parse_transcript("Dana Reyes: I'll send the revised quote by Friday.\n"),
        metadata(),
        tracker=RecordingTracker(),
    )
    assert calls == [("Send the revised quote", "Acme Freight")]


# --- summary, notes and email ------------------------------------------------------------------

CALL = (
    "Dana Reyes: Thanks everyone. Great to see you, this has been a great quarter.\n"
    "Tom Kowalski: Honestly we are frustrated with the export timeouts, and finance is not "
    "happy. A competitor came in thirty percent cheaper.\n"
    "Dana Reyes: I hear you. I'll send you the revised quote by Friday.\n"
    "Tom Kowalski: And I'll take the options to our CFO by the end of the month.\n"
    "Priya Natarajan: Marcus, could you send the list of inactive users?\n"
    "Marcus Oyelaran: Sure, I'll send it tomorrow.\n"
)


async def test_summary_and_notes_say_they_came_from_rules() -> None:
    analysis = await analyze(CALL)
    assert analysis.analyzer == ANALYZER_NAME == "offline-rules"
    assert analysis.summary.text.startswith("Offline analyzer summary:")
    assert "2 for OurCo, 1 for Acme Freight" in analysis.summary.text
    notes = " ".join(analysis.notes)
    assert "offline" in notes.lower() and "not by a language model" in notes
    assert "set ANTHROPIC_API_KEY to use the Claude agent" in notes.replace("Set", "set")


async def test_summary_sentiment_and_risks() -> None:
    analysis = await analyze(CALL)
    assert analysis.summary.sentiment == "mixed"
    risks = " ".join(analysis.summary.risks)
    assert '"competitor"' in risks.lower() and "thirty percent cheaper" in risks
    assert "not happy" in risks
    calm = await analyze(
        "Tom Kowalski: We are not planning to cancel, and there's no competitor in the picture.\n"
    )
    assert calm.summary.risks == []


async def test_email_recipients_and_next_steps() -> None:
    analysis = await analyze(CALL, sender="Dana Reyes")
    email = analysis.email
    assert email.subject == "Follow-up: Acme renewal — next steps"
    assert email.to == ["priya@acmefreight.example", "tom@acmefreight.example"]
    assert email.cc == ["dana@ourco.example", "marcus@ourco.example"]
    body = email.body
    assert body.startswith("Hi Priya and Tom,")
    assert "**From us:**" in body and "**From your team:**" in body
    assert body.index("**From us:**") < body.index("Send the revised quote (Dana Reyes, by Friday")
    assert body.index("**From your team:**") < body.index("Take the options to the CFO")
    for item in analysis.action_items:
        assert item.title in body
    assert body.rstrip().endswith("Dana Reyes\nOurCo")
    assert "$" not in body


async def test_email_without_customer_emails_has_no_recipient_and_says_so() -> None:
    meta = metadata(
        attendees=[
            Attendee(name="Tom Kowalski", side=Side.CUSTOMER),
            Attendee(name="Dana Reyes", email="dana@ourco.example", side=Side.US),
        ]
    )
    analysis = await analyze("Dana Reyes: I'll send the quote by Friday.\n", meta)
    assert analysis.email.to == []
    assert analysis.email.cc == ["dana@ourco.example"]
    assert analysis.email.body.startswith("Hi Tom,")
    assert analysis.email.body.rstrip().endswith("Dana Reyes\nOurCo")
    assert any("add a recipient" in note for note in analysis.notes)


async def test_call_with_no_items_still_gets_a_summary_and_email() -> None:
    analysis = await analyze("Dana Reyes: Hi all.\nTom Kowalski: Hi Dana, thanks for having us.\n")
    assert analysis.action_items == []
    assert "No action items were noted" in analysis.email.body


# --- speed -------------------------------------------------------------------------------------

_PLAIN = (
    "We looked at the dispatch dashboard again and the numbers were mostly flat for the quarter.",
    "Yeah, the regional managers mostly use the weekly export rather than the live view.",
    "Honestly, the integration has been pretty stable since the last release.",
    "Right, and the, um, the Okta groups map to the old roles, so that part is fine.",
    "I think the bigger question is how the budget looks for next year.",
    "That makes sense, thanks for walking me through it.",
    "So the lane profitability view is the one finance actually opens every morning.",
    "We don't need to do anything about SSO right now.",
)
_CUES = (
    "I'll send you the revised quote by Friday.",
    "Can you share the admin list before the 15th?",
    "Let me check with finance and get back to you tomorrow.",
    "We'll have the export fix deployed by the end of the month.",
)


def long_call(words: int = 42_000) -> Transcript:
    """A generated call of ``words`` words, about one sentence in eight a cue phrase."""
    rng = random.Random(7)
    speakers = [a.name for a in ATTENDEES]
    utterances: list[Utterance] = []
    clock = count = 0
    while count < words:
        sentences = [
            rng.choice(_CUES) if rng.random() < 0.12 else rng.choice(_PLAIN)
            for _ in range(rng.randint(1, 6))
        ]
        text = " ".join(sentences)
        count += len(text.split())
        utterances.append(Utterance(speaker=rng.choice(speakers), text=text, start=clock))
        clock += len(text.split()) / 2.5
    return Transcript(format=TranscriptFormat.JSON, utterances=utterances)


async def test_three_hour_call_analyses_in_well_under_a_second() -> None:
    transcript = long_call()
    assert transcript.word_count() >= 40_000
    assert (transcript.duration() or 0) >= 3 * 3600 * 0.9
    analyzer = RulesAnalyzer(company_name="OurCo")
    best = float("inf")
    for _ in range(3):  # best of three: the machine may be busy with other work
        started = time.process_time()
        analysis = await analyzer.analyze(transcript, metadata(), tracker=NoOpenIssues())
        best = min(best, time.process_time() - started)
    assert analysis.action_items
    assert best < 0.5, f"{best:.3f} s"


# --- evaluation on the example calls -----------------------------------------------------------


def expected_item(title: str, quote: str, time: float) -> ExpectedItem:
    return ExpectedItem(title, "Dana Reyes", "us", None, quote, time)


def test_matching_is_one_to_one() -> None:
    expected = [expected_item("Send revised quote", "I'll send the revised quote.", 10)]
    twice = ActionItem(
        title="Send the quote", quote="So I'll send the revised quote.", quote_time=10
    )
    assert match_items(expected, [twice, twice.model_copy()]) == [(0, 0)]


def test_matching_prefers_quotes_over_time_and_title() -> None:
    expected = [
        expected_item("Send revised quote", "I'll send the revised quote by Friday.", 10),
        expected_item("Send Canada quote", "And the Canada quote, I'll send that too.", 12),
    ]
    found = [ActionItem(title="Send the Canada quote", quote=expected[1].quote, quote_time=12)]
    # The time-and-title rule would also pair it with the first (12 s apart, "quote" shared).
    assert match_items(expected, found) == [(1, 0)]
    assert quotes_overlap("I'll send the revised quote.", "So, I'll send the revised quote.")
    assert not quotes_overlap("I'll send the revised quote.", "We will run the training.")


async def test_recall_and_precision_on_the_example_calls() -> None:
    names = example_names()
    if not names:
        pytest.skip("no example calls with expected items in examples/")
    total = Score(name="total")
    for name in names:
        example, score = await evaluate(name)
        assert example.missing_quotes == [], f"{name}: expected quotes not in the transcript"
        total.add(score)
    assert total.recall >= 0.6, f"recall {total.recall:.2f}"
    assert total.precision >= 0.5, f"precision {total.precision:.2f}"
