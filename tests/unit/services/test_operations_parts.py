"""The small parts operations rest on: durations people type, log masking and log formats."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest

from cs_agent.core.durations import cron_every, parse_duration, parse_since
from cs_agent.logs import JsonFormatter, configure_logging, log_context, mask_pii

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90d", 90 * 86400),
        ("24h", 86400),
        ("1h30m", 5400),
        ("45s", 45),
        ("2w", 14 * 86400),
        ("30", 30),
    ],
)
def test_durations_people_type(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "ninety days", "90x", "d90", "-5d"])
def test_a_bad_duration_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="like 90d, 24h"):
        parse_duration(text)


def test_since_takes_a_date_a_time_or_an_age() -> None:
    assert parse_since("2026-11-01", now=NOW) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert parse_since("30d", now=NOW) == NOW - dt.timedelta(days=30)
    assert parse_since("2026-11-20T08:30:00+01:00", now=NOW).hour == 8
    with pytest.raises(ValueError, match="neither a date"):
        parse_since("last tuesday", now=NOW)


@pytest.mark.parametrize(
    ("every", "cron"),
    [
        ("1s", "*/1 * * * * *"),
        ("15s", "*/15 * * * * *"),
        ("5m", "0 */5 * * * *"),
        ("6h", "0 0 */6 * * *"),
    ],
)
def test_intervals_become_cron_schedules(every: str, cron: str) -> None:
    assert cron_every(parse_duration(every)) == cron


def test_an_interval_cron_cannot_express_is_refused_with_alternatives() -> None:
    with pytest.raises(ValueError, match="minutes dividing an hour"):
        cron_every(parse_duration("7m"))


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("draft to priya.natarajan@acmefreight.example", "draft to p***@acmefreight.example"),
        (
            "Tom <tom@acme.example>, cc dana@ours.example",
            "Tom <t***@acme.example>, cc d***@ours.example",
        ),
        ("call me at +1 (415) 555-0134", "call me at +* (***) ***-**34"),
        ("mobile 415-555-0134.", "mobile ***-***-**34."),
        ("Berlin office +49 30 12345678", "Berlin office +** ** ******78"),
        ("London 020 7946 0958", "London *** **** **58"),
    ],
)
def test_emails_and_phone_numbers_are_masked(line: str, masked: str) -> None:
    assert mask_pii(line) == masked


@pytest.mark.parametrize(
    "line",
    [
        "call call-6e395d2e07d3a21b5fa5 on 2026-11-10 at 12:34:56 took 0.532s",
        "sent <cs-agent.3c1f0a9e@brightwave.example> (slack ts 1712345678.123456)",
        "listening on 192.168.100.200:8000, issue 6f1b0b4e-8c3a-4c1e-9d0e-5a2f7c9e1b42",
        "4069 words, 14 action items, $0.0123, version 2026.11.10",
    ],
)
def test_ids_dates_addresses_and_numbers_stay_readable(line: str) -> None:
    assert mask_pii(line) == line


def test_json_lines_carry_the_context_and_are_masked() -> None:
    stream = io.StringIO()
    configure_logging(level=logging.INFO, fmt="json", mask=True, stream=stream)
    log = logging.getLogger("cs_agent.test")
    try:
        with log_context(call_id="call-1", step="save_draft"):
            log.info("draft to %s", "priya@acmefreight.example", extra={"items": 3})
        try:
            raise RuntimeError("refused lena@acmefreight.example")
        except RuntimeError:
            log.exception("send failed")
    finally:
        logging.getLogger().handlers.clear()
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "draft to p***@acmefreight.example"
    assert first["call_id"] == "call-1" and first["step"] == "save_draft"
    assert first["items"] == 3 and first["level"] == "info" and first["logger"] == "cs_agent.test"
    assert "call_id" not in second, "the context ended with its block"
    assert "l***@acmefreight.example" in second["exception"]
    assert "lena@" not in stream.getvalue()


def test_masking_can_be_turned_off_and_text_logs_name_the_call() -> None:
    stream = io.StringIO()
    configure_logging(level=logging.INFO, fmt="text", mask=False, stream=stream)
    try:
        with log_context(call_id="call-2", step="deliver_email"):
            logging.getLogger("cs_agent.test").warning("sending to tom@acme.example")
    finally:
        logging.getLogger().handlers.clear()
    text = " ".join(stream.getvalue().split())  # Rich wraps at the console's width
    assert "sending to tom@acme.example" in text
    assert "[call-2 · deliver_email]" in text
    assert not text.lstrip().startswith("{")


def test_auto_writes_json_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    handler = configure_logging(level=logging.INFO, fmt="auto", stream=stream)
    logging.getLogger().handlers.clear()
    assert isinstance(handler.formatter, JsonFormatter)
