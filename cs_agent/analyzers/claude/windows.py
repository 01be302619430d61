"""Splitting a long transcript into overlapping windows, so no part of a call is cut off.

A window is a run of whole lines of the compact transcript (``[mm:ss] Speaker: text``). Each
window holds at most ``budget`` characters (a single line longer than that gets a window of
its own: a line is never cut), and starts far enough before the end of the previous one that
the two share about ``overlap`` characters, so a commitment spoken at a boundary is seen
whole by at least one window. Every line is in at least one window.
"""

from __future__ import annotations

from dataclasses import dataclass

from cs_agent.core.domain import Transcript, format_timestamp


@dataclass(frozen=True)
class Window:
    """Lines ``start`` (inclusive) to ``end`` (exclusive) of the compact transcript."""

    index: int
    count: int
    start: int
    end: int
    text: str
    first_stamp: str
    last_stamp: str

    @property
    def is_last(self) -> bool:
        """True for the window that finishes the call (and drafts the email)."""
        return self.index == self.count - 1


def line_spans(lines: list[str], budget: int, overlap: int) -> list[tuple[int, int]]:
    """``(start, end)`` line ranges covering ``lines`` under ``budget`` chars, sharing ``overlap``."""
    if not lines:
        return [(0, 0)]
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        size = 0
        end = start
        while end < len(lines) and (end == start or size + len(lines[end]) + 1 <= budget):
            size += len(lines[end]) + 1
            end += 1
        spans.append((start, end))
        if end >= len(lines):
            return spans
        # Step back from the end while the shared part stays within the overlap, but always
        # move forward by at least one line so the loop ends.
        back = end
        shared = 0
        while back > start + 1 and shared + len(lines[back - 1]) + 1 <= overlap:
            back -= 1
            shared += len(lines[back]) + 1
        start = back


def split_windows(transcript: Transcript, *, budget: int, overlap: int) -> list[Window]:
    """The transcript as one window when it fits ``budget``, else overlapping windows."""
    lines = transcript.compact().split("\n")
    spans = line_spans(lines, max(1, budget), max(0, overlap))
    # One line an utterance (the parsers collapse whitespace); without that, no timestamps.
    utterances = transcript.utterances if len(lines) == len(transcript.utterances) else []
    windows = []
    for index, (start, end) in enumerate(spans):
        first = utterances[start].start if start < len(utterances) else None
        last = utterances[end - 1].start if 0 < end <= len(utterances) else None
        windows.append(
            Window(
                index=index,
                count=len(spans),
                start=start,
                end=end,
                text="\n".join(lines[start:end]),
                first_stamp=format_timestamp(first),
                last_stamp=format_timestamp(last),
            )
        )
    return windows
