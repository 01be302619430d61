"""Precision first: what the offline analyzer files from an internal meeting, and what it drops.

The lines are the kinds real meetings are full of: things said about the meeting itself, hedges,
questions nobody answered, and the assignments a meeting's organiser hands out at the end.
"""

from __future__ import annotations

import pytest

from cs_agent.analyzers.rules import RulesAnalyzer
from cs_agent.core.domain import CallAnalysis, CallMetadata
from cs_agent.core.transcripts import parse_transcript

from .rules_matching import NoOpenIssues


async def analyze(text: str) -> CallAnalysis:
    """A meeting with role names as speakers and no metadata, as a recorder delivers it."""
    analyzer = RulesAnalyzer(company_name="Real Reaction")
    return await analyzer.analyze(parse_transcript(text), CallMetadata(), tracker=NoOpenIssues())


def titles(analysis: CallAnalysis) -> list[str]:
    return [item.title for item in analysis.action_items]


@pytest.mark.parametrize(
    "line",
    [
        "Project Manager: So I'll draw my favourite animal on the whiteboard.",
        "Marketing: Okay, I'll just sit down.",
        "Project Manager: I'll pass the pen to the User Interface Designer.",
        "Industrial Designer: I'm going to present the working design now.",
        "Project Manager: We're going to take a break for lunch.",
        "Marketing: Could you go to the next slide?",
        "Project Manager: I'll go first.",
        "Industrial Designer: I'll just put the cable in.",
        "Marketing: I figure I should send the report, I'm not sure.",
        "Project Manager: I think we'll have to evaluate the product too.",
        "Marketing: Maybe I'll look into the colours.",
        "Industrial Designer: We're going to use hard plastic for the case.",
        "Project Manager: We'll meet back at, I'm not sure, two?",
    ],
)
async def test_in_meeting_acts_hedges_and_decisions_are_not_items(line: str) -> None:
    analysis = await analyze(line + "\n")
    assert titles(analysis) == []


async def test_a_question_counts_once_it_is_answered_yes() -> None:
    unanswered = await analyze(
        "Project Manager: Can you look into the company logo?\nUser Interface: Current.\n"
    )
    answered = await analyze(
        "Project Manager: Can you look into the company logo?\nUser Interface: Yes, sure.\n"
    )
    assert titles(unanswered) == []
    assert titles(answered) == ["Look into the company logo"]
    assert answered.action_items[0].owner is not None
    assert answered.action_items[0].owner.name == "User Interface"


async def test_assignments_to_others_are_items_owned_by_the_one_assigned() -> None:
    analysis = await analyze(
        "Project Manager: Marketing will find information on trends for the next meeting.\n"
        "Project Manager: And you will do some trend watching, Marketing.\n"
        "Project Manager: The User Interface Designer to work on the user interface concept.\n"
        "Marketing: Okay.\n"
        "User Interface: Okay.\n"
    )
    items = {item.title: item for item in analysis.action_items}
    assert set(items) == {
        "Find information on trends for the next meeting",
        "Do some trend watching",
        "Work on the user interface concept",
    }
    owners = {item.owner.name if item.owner else None for item in analysis.action_items}
    assert owners <= {"Marketing", "User Interface"}
    assert (
        "gave Marketing the task to"
        in items["Find information on trends for the next meeting"].description
    )


async def test_what_the_team_will_receive_is_the_speakers_side_to_send() -> None:
    analysis = await analyze(
        "Project Manager: You will all receive the instructions for the next meeting by email.\n"
        "Project Manager: And so specific instructions will be sent to you by your personal coach.\n"
    )
    assert titles(analysis) == [
        "Send the instructions for the next meeting by email",
        "Send specific instructions",
    ]
    assert {item.owner.name for item in analysis.action_items if item.owner} == {"Project Manager"}


async def test_commitments_that_outlive_the_meeting_are_items() -> None:
    analysis = await analyze(
        "Project Manager: I will put the minutes I just made in the project documents folder.\n"
        "Marketing: We'll fill out the questionnaire after the meeting.\n"
        "Industrial Designer: I'll send the component prices to everyone tomorrow.\n"
    )
    assert titles(analysis) == [
        "Put the minutes I made in the project documents folder",
        "Fill out the questionnaire",
        "Send the component prices to everyone",
    ]


async def test_titles_have_no_fillers_markers_or_stray_characters() -> None:
    analysis = await analyze(
        "Marketing: Um I'll {disfmarker} send the uh T_V_ trend report to everyone. $\n"
        "User Interface: So yeah, I'll research the remote control market, yeah.\n"
        "Industrial Designer: I'll prepare the proto prototype evaluation for the next meeting.\n"
    )
    assert titles(analysis) == [
        "Send the TV trend report to everyone",
        "Research the remote control market",
        "Prepare the prototype evaluation for the next meeting",
    ]
    assert analysis.action_items[0].quote == (
        "Um I'll {disfmarker} send the uh T_V_ trend report to everyone."
    )


async def test_the_notes_say_how_many_candidates_were_dropped_and_why() -> None:
    analysis = await analyze(
        "Project Manager: So I'll draw my favourite animal on the whiteboard.\n"
        "Marketing: Can you go to the next slide?\n"
        "Industrial Designer: I think I'll look into the battery.\n"
        "Marketing: I'll send the trend report tomorrow.\n"
    )
    assert titles(analysis) == ["Send the trend report"]
    assert analysis.notes[0].startswith("OFFLINE ANALYZER")
    dropped = next(note for note in analysis.notes if note.startswith("Dropped"))
    assert dropped.startswith("Dropped 3 candidate items scoring under 0.55")
    assert "2 in-meeting acts" in dropped and "1 hedge" in dropped
    assert dropped in analysis.summary.text
    assert "score 1.00 of 1, threshold 0.55" in analysis.action_items[0].description
