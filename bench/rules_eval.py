"""Score the offline analyzer (``cs_agent/analyzers/rules``) on the example calls in ``examples/``.

For every example it prints expected, found and matched items, recall, precision, and owner and
due-date accuracy on matched items, then the totals; ``-v`` also lists the misses, the extra
items and the wrong owners or dates. The matching rule lives in ``tests/unit/analyzers/rules_matching.py``
and is the one the unit test asserts on. Run: ``.venv/bin/python bench/rules_eval.py [-v]``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.unit.analyzers.rules_matching import Score, evaluate, example_names

COLUMNS = ("example", "expected", "found", "matched", "recall", "precision", "owner", "due")


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


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if n == 0 or n == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _details(score: Score) -> list[str]:
    lines = [f"\n== {score.name}"]
    for want in score.missed:
        lines.append(f"  missed : {want.title!r} ({want.owner}) — {want.quote!r}")
    for got in score.extra:
        owner = got.owner.name if got.owner else None
        lines.append(f"  extra  : {got.title!r} ({owner}, {got.due_date}) — {got.quote!r}")
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


async def main(verbose: bool) -> int:
    """Print the table (and details with ``verbose``); 1 when there are no examples."""
    names = example_names()
    if not names:
        print("no examples with *.expected.json in examples/")
        return 1
    total = Score(name="TOTAL")
    rows: list[tuple[str, ...]] = [COLUMNS]
    details: list[str] = []
    notes: list[str] = []
    for name in names:
        example, score = await evaluate(name)
        total.add(score)
        rows.append(_row(score))
        details.extend(_details(score))
        notes.extend(
            f"note: {name}: expected quote not verbatim in the transcript: {q!r}"
            for q in example.missing_quotes
        )
    rows.append(_row(total))
    print(_table(rows))
    for note in notes:
        print(note)
    if verbose:
        print("\n".join(details))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(verbose="-v" in sys.argv[1:])))
