"""Benchmark the transcript parser on a generated 3-hour call.

Builds realistic WebVTT in memory (Zoom's numbered ``Name: text`` cues, and Teams-style
``<v Name>`` voice-tag cues), parses each several times and prints the input size, word, cue
and utterance counts, parse time (best and median, ms), tracemalloc peak for one parse, and
whether the targets (under 100 ms, under 50 MB) are met. Run: ``.venv/bin/python bench/parse.py``.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc

from cs_agent.core.transcripts import parse_transcript

TARGET_MS = 100.0
TARGET_MB = 50.0
RUNS = 15

SPEAKERS = (
    "Dana Whitfield",
    "Priya Raman",
    "Marcus Oyelaran (Acme Corp)",
    "Jun Park",
    "Sofia Álvarez",
)
VOCABULARY = (
    "the onboarding dashboard export integration renewal contract pricing seats invoice "
    "we they you I our team customer account admin workflow report data sync API webhook "
    "timeline quarter next week Friday migration SSO Okta SAML permissions role billing "
    "feature request bug latency outage ticket escalation roadmap beta release notes "
    "so basically actually right yeah okay um uh I think we should could would maybe "
    "need want have been will can check follow up send share schedule review confirm "
    "with for about on in at to from by of and but because if when that this those"
)
WORDS = VOCABULARY.split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(4, 16))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice((".", ".", ".", "?", "!", ","))


def generate_call(style: str = "zoom", hours: float = 3.0, seed: int = 7) -> tuple[str, int, int]:
    """A call's WebVTT text, its word count and its cue count.

    ``style`` is ``"zoom"`` (numbered cues, ``Name: text``) or ``"voice"`` (``<v Name>`` tags).
    """
    rng = random.Random(seed)
    lines = ["WEBVTT", ""]
    clock = 0.0
    words = cues = 0
    speaker = SPEAKERS[0]
    while clock < hours * 3600:
        speaker = rng.choice([s for s in SPEAKERS if s != speaker])
        for _ in range(rng.randint(1, 6)):
            text = _sentence(rng)
            while len(text.split()) < 8:
                text += " " + _sentence(rng)
            count = len(text.split())
            duration = count / rng.uniform(3.9, 4.4)
            start, end = clock, clock + duration
            cues += 1
            words += count
            if style == "zoom":
                lines.append(str(cues))
                lines.append(f"{_stamp(start)} --> {_stamp(end)}")
                lines.append(f"{speaker}: {text}")
            else:
                lines.append(f"6c3e0f1a-{cues:04d}/{cues}-0")
                lines.append(f"{_stamp(start)} --> {_stamp(end)} align:start")
                lines.append(f"<v {speaker}>{text}</v>")
            lines.append("")
            clock = end + rng.uniform(0.05, 0.4)
    return "\n".join(lines), words, cues


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def bench(style: str) -> None:
    """Generate one call in ``style``, parse it repeatedly and print the numbers."""
    text, words, cues = generate_call(style)
    data = text.encode("utf-8")
    transcript = parse_transcript(data)
    times: list[float] = []
    for _ in range(RUNS):
        gc.collect()
        began = time.perf_counter()
        parse_transcript(data)
        times.append((time.perf_counter() - began) * 1000)
    gc.collect()
    tracemalloc.start()
    parse_transcript(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best, median = min(times), statistics.median(times)
    peak_mb = peak / 1_000_000
    print(f"== {style} style, {len(transcript.speakers())} speakers ==")
    print(f"input size: {len(data):,} bytes ({len(data) / 1_000_000:.2f} MB)")
    print(f"words: {words:,} (parsed: {transcript.word_count():,})")
    print(f"cues: {cues:,}")
    print(f"utterances: {len(transcript.utterances):,}")
    print(f"duration: {(transcript.duration() or 0) / 3600:.2f} h")
    print(f"parse time: best {best:.1f} ms, median {median:.1f} ms over {RUNS} runs")
    print(f"peak memory (tracemalloc, one parse): {peak_mb:.1f} MB")
    print(f"target parse < {TARGET_MS:.0f} ms: {'met' if median < TARGET_MS else 'NOT met'}")
    print(f"target memory < {TARGET_MB:.0f} MB: {'met' if peak_mb < TARGET_MB else 'NOT met'}")
    print()


def main() -> None:
    """Run the benchmark for both cue styles."""
    for style in ("zoom", "voice"):
        bench(style)


if __name__ == "__main__":
    main()
