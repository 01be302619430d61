"""Every GraphQL document cs-agent sends to Linear is valid against Linear's schema.

The scan covers every ``.graphql`` file (except the schema itself) and every Python string that
starts like a GraphQL operation, in the product packages and the live tests; it also checks
that each operation the code asks for by name exists, and that none is left unused.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from graphql import ExecutableDefinitionNode, OperationDefinitionNode, parse

from cs_agent.core.errors import RejectedInput
from integrations.linear.client import LinearClient, authorization
from integrations.linear.schema import (
    OPERATIONS_FILE,
    SCHEMA_FILE,
    linear_operations,
    schema_errors,
)

from ...conftest import REPO_ROOT
from ...emulators.linear import API_KEY, LinearEmulator

OPERATION_NAME = re.compile(r"^[A-Z][A-Za-z]+$")  # not SQL strings given to execute()
SCANNED = ["cs_agent", "integrations", "prompts", "storage", "tests/live"]
OPERATION_START = re.compile(
    r"^\s*(?:(?:query|mutation|subscription|fragment)\s+[A-Za-z_]\w*\s*[({]|(?:query|mutation)\s*\{)"
)


def scanned_files(suffix: str) -> list[Path]:
    files: list[Path] = []
    for folder in SCANNED:
        files.extend(sorted((REPO_ROOT / folder).rglob(f"*{suffix}")))
    return files


def graphql_documents() -> list[tuple[str, str]]:
    """(where, text) of every GraphQL document in the code base."""
    found = [
        (str(path.relative_to(REPO_ROOT)), path.read_text(encoding="utf-8"))
        for path in scanned_files(".graphql")
        if path != SCHEMA_FILE
    ]
    for path in scanned_files(".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and OPERATION_START.match(node.value)
            ):
                found.append((f"{path.relative_to(REPO_ROOT)}:{node.lineno}", node.value))
    return found


DOCUMENTS = graphql_documents()


def test_the_scan_finds_the_documents_we_send() -> None:
    where = [w for w, _ in DOCUMENTS]
    assert str(OPERATIONS_FILE.relative_to(REPO_ROOT)) in where
    assert any(w.startswith("tests/live/") for w in where), "the live test's document"


@pytest.mark.parametrize(("where", "text"), DOCUMENTS, ids=[w for w, _ in DOCUMENTS])
def test_every_document_is_valid_against_linears_schema(where: str, text: str) -> None:
    document = parse(text)
    assert all(isinstance(d, ExecutableDefinitionNode) for d in document.definitions), where
    problems = [f"{where}: {error}" for error in schema_errors(document)]
    assert problems == []


def test_every_operation_asked_for_exists_and_every_one_is_used() -> None:
    asked: set[str] = set()
    for path in scanned_files(".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "execute"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and OPERATION_NAME.match(node.args[0].value)
            ):
                asked.add(node.args[0].value)
    defined = set(linear_operations())
    live_only = {"ArchiveIssue"}  # sent by the live test from its own document
    assert asked - live_only == defined


def test_the_schema_check_catches_a_wrong_field() -> None:
    document = parse('query Broken { issue(id: "x") { id nosuchfield } }')
    [problem] = schema_errors(document)
    assert "nosuchfield" in problem.message


def test_each_operation_is_sent_on_its_own() -> None:
    for name, document in linear_operations().items():
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        assert [op.name.value for op in operations if op.name] == [name]


async def test_an_invalid_document_is_refused_before_it_is_sent(
    linear_emulator: LinearEmulator,
) -> None:
    client = LinearClient(
        url=linear_emulator.graphql_url,
        authorization=authorization(api_key=API_KEY),
        operations={"Broken": parse("query Broken { viewer { id nosuchfield } }")},
    )
    with pytest.raises(RejectedInput, match=r"does not match Linear's schema.*nosuchfield"):
        await client.execute("Broken")
    assert linear_emulator.calls() == []


async def test_variables_of_the_wrong_type_are_refused_before_they_are_sent(
    linear_emulator: LinearEmulator,
) -> None:
    client = LinearClient(
        url=linear_emulator.graphql_url, authorization=authorization(api_key=API_KEY)
    )
    with pytest.raises(RejectedInput) as caught:
        await client.execute("CreateIssue", {"input": {"teamId": "t", "priority": "high"}})
    assert caught.value.field == "priority"
    with pytest.raises(RejectedInput) as unknown:
        await client.execute("CreateIssue", {"input": {"teamId": "t", "due": "2026-11-14"}})
    assert unknown.value.field == "due"
    assert linear_emulator.calls() == []
