"""Linear's GraphQL schema and the documents cs-agent sends to Linear, read from the package.

``schema.graphql`` is Linear's published schema (source and license in
``SCHEMA.md``); ``operations.graphql`` holds every document cs-agent sends. The
schema file is 1.3 MB and takes seconds to build, so it is built once per process, on first
use, and then shared: a built ``GraphQLSchema`` is never modified.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    parse,
    separate_operations,
    validate,
)

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
OPERATIONS_FILE = Path(__file__).with_name("operations.graphql")

_build_lock = threading.Lock()


@functools.cache
def _built_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


def linear_schema() -> GraphQLSchema:
    """Linear's schema, built on the first call in this process (seconds), cached after."""
    with _build_lock:  # two threads asking at once must not build it twice
        return _built_schema()


async def linear_schema_async() -> GraphQLSchema:
    """``linear_schema()`` without blocking the event loop while the first build runs."""
    if _built_schema.cache_info().currsize:
        return _built_schema()
    return await asyncio.to_thread(linear_schema)


@functools.cache
def linear_operations() -> dict[str, DocumentNode]:
    """Each named operation of ``operations.graphql`` as a document of its own.

    A document holds one operation and the fragments it uses, so a request carries only what
    it needs.
    """
    return dict(separate_operations(parse(OPERATIONS_FILE.read_text(encoding="utf-8"))))


def linear_operation(name: str) -> DocumentNode:
    """The document of the operation called ``name``; a KeyError names the ones that exist."""
    operations = linear_operations()
    if name not in operations:
        known = ", ".join(sorted(operations))
        raise KeyError(f"no GraphQL operation {name!r} in {OPERATIONS_FILE.name} (has: {known})")
    return operations[name]


def schema_errors(document: DocumentNode) -> list[GraphQLError]:
    """Why Linear would reject ``document`` (unknown fields, wrong argument types…); [] if valid."""
    return list(validate(linear_schema(), document))
