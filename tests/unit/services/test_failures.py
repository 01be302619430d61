"""A failed call's reason is a sentence to act on: a database error never shows its SQL."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from cs_agent.core.errors import WorkflowFailure
from cs_agent.services.failures import CONFLICT, UNSTORABLE_TEXT, failure_reason


def _raised(statement: str) -> SQLAlchemyError:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE calls (id TEXT PRIMARY KEY, title TEXT NOT NULL)"))
        connection.execute(text("INSERT INTO calls VALUES ('call-1', 'secret title')"))
    with pytest.raises(SQLAlchemyError) as raised, engine.begin() as connection:
        connection.execute(text(statement))
    return raised.value


def test_an_integrity_error_is_a_sentence_without_sql(caplog: pytest.LogCaptureFixture) -> None:
    error = _raised("INSERT INTO calls VALUES ('call-1', 'secret title')")
    assert "INSERT" in str(error)  # what used to reach failure_reason
    reason = failure_reason(error, call_id="call-1")
    assert reason == CONFLICT
    assert "INSERT" not in reason and "secret" not in reason
    assert "IntegrityError" in caplog.text and "secret title" not in caplog.text


def test_another_database_error_names_its_kind_and_the_retry() -> None:
    error = _raised("SELECT nope FROM missing_table")
    reason = failure_reason(error, call_id="call-7")
    assert "OperationalError" in reason and "cs-agent calls retry call-7" in reason
    assert "SELECT" not in reason and "missing_table" not in reason


def test_a_lone_surrogate_that_cannot_be_encoded_is_the_unstorable_sentence() -> None:
    with pytest.raises(UnicodeEncodeError) as raised:
        "Bob: \ud800".encode()
    assert failure_reason(raised.value, call_id="call-2") == UNSTORABLE_TEXT.format(
        call_id="call-2"
    )


def test_other_failures_are_described_as_before() -> None:
    assert failure_reason(WorkflowFailure("the model refused")) == "the model refused"
    assert failure_reason(sqlite3.Warning("x")) == "Warning: x"
