"""Score the offline analyzer (``cs_agent/analyzers/rules``) on labelled calls and meetings.

Three parts, the first two fixed before the rules were tuned (``tests/fixtures/rules_eval/README.md``):

- **tune**: the example calls in ``examples/`` and the QMSum meetings ES2004a–d and ES2011a–d;
  the rules were adjusted while looking at these results.
- **tune-extra**: fourteen more AMI meetings (ES2006a/c/d, ES2009b–d, IS1006a–d, ES2002d, ES2003d,
  TS3009b–c), labelled later
  as more tuning material;
- **measured**: the QMSum meetings IS1003a–d, TS3004a–d, TS3011a–d and the real Zoom recording,
  only ever measured.

It prints the example table (expected, found, matched, recall, precision, owner and due-date
accuracy), a table per labelled meeting, the totals of each part (precision, recall, items per
meeting), and the titles it got wrong: every filed item no label matches, and the labels it
missed, of the tune parts only unless ``--details=measured`` asks for the measured part. ``-v``
adds the matched pairs of the example calls; ``--details=tune`` (or ``=tune-extra``) lists the
wrong titles of that part only. It exits 0 when the measured part
meets the targets (precision ≥ 0.7, recall ≥ 0.5, no meeting with more than twice as many items
as labels, one where there are none) and 1 when it misses them.
Run: ``.venv/bin/python bench/rules_eval.py [-v] [--details=tune]``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.unit.analyzers.rules_labels import (
    TARGET_PRECISION,
    TARGET_RECALL,
    MeetingScore,
    SplitTotal,
    score_all,
)
from tests.unit.analyzers.rules_matching import Score

COLUMNS = ("example", "expected", "found", "matched", "recall", "precision", "owner", "due")
MEETING_COLUMNS = ("meeting", "split", "labels", "found", "matched", "limit")


def _row(score: Score) -> tuple[str, ...]:
    return (
        score.name,
        str(score.expected),
        str(score.found),
        str(score.matched),
        f"{score.recall:.2f}",
        f"{score.precision:.2f}",
        f"{score.owner_accuracy:.2f}",
        f"{score.due_accuracy:.2f}",
    )


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]], *, total: bool) -> str:
    rows = [columns, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if n == 0 or (total and n == len(rows) - 2):
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _meeting_row(result: MeetingScore) -> tuple[str, ...]:
    flag = " !" if result.too_many else ""
    return (
        result.name,
        result.split,
        str(len(result.labels)),
        str(len(result.found)),
        str(result.matched),
        f"{result.item_limit}{flag}",
    )


def _wrong_titles(
    meetings: list[MeetingScore], examples: list[Score], only: str | None
) -> list[str]:
    lines = ["", "Titles it got wrong (filed, no label matches) and labels it missed:"]
    for result in meetings:
        # The measured part's titles are listed only when asked for by name: tuning never sees them.
        if (only and result.split != only) or (not only and result.split == "measured"):
            continue
        for item in result.extra:
            lines.append(
                f"  {result.split:10} {result.name:24} extra : {item.title!r} — {item.quote!r}"
            )
        for label in result.missed:
            lines.append(
                f"  {result.split:10} {result.name:24} missed: {label.title!r} — {label.quote!r}"
            )
    for score in examples if only in (None, "tune") else []:
        for got in score.extra:
            lines.append(f"  {'tune':10} {score.name:24} extra : {got.title!r} — {got.quote!r}")
        for want in score.missed:
            lines.append(f"  {'tune':10} {score.name:24} missed: {want.title!r} — {want.quote!r}")
    return lines


def _pairs(examples: list[Score]) -> list[str]:
    lines: list[str] = []
    for score in examples:
        lines.append(f"\n== {score.name}")
        for want, got in score.pairs:
            owner = got.owner.name if got.owner else None
            problems = []
            if (owner or "").lower() != (want.owner or "").lower():
                problems.append(f"owner {owner} != {want.owner}")
            if got.due_date != want.due_date:
                problems.append(f"due {got.due_date} != {want.due_date}")
            flag = "  WRONG  " if problems else "  ok     "
            lines.append(f"{flag}: {got.title!r} ~ {want.title!r} {'; '.join(problems)}")
    return lines


def _total_line(total: SplitTotal) -> str:
    over = ", ".join(total.over_limit) or "none"
    return (
        f"{total.split:10}  meetings {total.meetings:2}  labels {total.expected:3}  found "
        f"{total.found:3}  matched {total.matched:3}  precision {total.precision:.2f}  recall "
        f"{total.recall:.2f}  items/meeting {total.items_per_meeting:.1f}  over the limit: {over}"
    )


async def main(verbose: bool, only: str | None = None) -> int:
    """Print the tables and the totals; 0 when the measured part meets its targets, else 1."""
    meetings, examples, totals = await score_all()
    if not examples or not meetings:
        print("no labelled examples or meetings found")
        return 1
    example_total = Score(name="TOTAL")
    for score in examples:
        example_total.add(score)
    print(_table(COLUMNS, [*map(_row, examples), _row(example_total)], total=True))
    print()
    print(_table(MEETING_COLUMNS, [_meeting_row(m) for m in meetings], total=False))
    print("\n".join(_wrong_titles(meetings, examples, only)))
    if verbose:
        print("\n".join(_pairs(examples)))
    print()
    print(_total_line(totals["tune"]))
    print(_total_line(totals["tune-extra"]))
    print(_total_line(totals["measured"]))
    measured = totals["measured"]
    verdict = "met" if measured.met else "MISSED"
    print(
        f"targets on the measured part (precision ≥ {TARGET_PRECISION}, recall ≥ "
        f"{TARGET_RECALL}, no meeting over its limit): {verdict}"
    )
    return 0 if measured.met else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    split = next((a.split("=", 1)[1] for a in args if a.startswith("--details=")), None)
    raise SystemExit(asyncio.run(main(verbose="-v" in args, only=split)))
