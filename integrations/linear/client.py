"""The one way cs-agent talks to Linear: named operations, validated, sent with ``gql``.

Before a request leaves the process, its document is validated against Linear's schema (the
``gql`` client is given the schema) and its variables are coerced against the operation's
variable types, so a misspelled field or a wrong input type fails here with the field named,
not at Linear. Each call opens its own HTTP session: DBOS may run steps on different event
loops, and an aiohttp session belongs to the loop that made it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import (
    TransportError,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, get_variable_values

import cs_agent
from cs_agent.core.errors import RejectedInput, Unavailable
from integrations.linear.errors import SYSTEM, error_from_graphql, error_from_status, field_of
from integrations.linear.schema import OPERATIONS_FILE, linear_operation, linear_schema_async

USER_AGENT = f"cs-agent/{cs_agent.__version__}"


def authorization(*, api_key: str | None = None, oauth_token: str | None = None) -> str:
    """The ``Authorization`` header value: a personal API key as is, an OAuth token as Bearer."""
    if oauth_token:
        return f"Bearer {oauth_token}"
    if api_key:
        return api_key
    raise ValueError("a Linear API key or OAuth token is needed")


class _Exchange:
    """What the server answered (status and headers), caught with an aiohttp trace hook.

    ``gql`` keeps the body but not the status; Linear's status matters for the error kind.
    """

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: dict[str, str] = {}

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_end(
            _session: aiohttp.ClientSession,
            _context: object,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            self.status = params.response.status
            self.headers = dict(params.response.headers)

        config.on_request_end.append(on_end)
        return config


class LinearClient:
    """Sends named operations to Linear's GraphQL endpoint.

    The operations are those of ``operations.graphql`` unless ``operations`` (name →
    document) is given; either way each is validated against the schema before it is sent.
    """

    def __init__(
        self,
        *,
        url: str,
        authorization: str,
        timeout: float = 15.0,
        operations: Mapping[str, DocumentNode] | None = None,
    ) -> None:
        self.url = url
        self._authorization = authorization
        self._timeout = timeout
        self._operations = operations

    async def execute(
        self, operation: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run ``operation`` with ``variables`` and return its ``data``.

        Raises the shared taxonomy: ``RejectedInput`` (invalid document or input, with the
        field), ``Unauthorized``, ``RateLimited`` (with the wait Linear asked for) or
        ``Unavailable`` (timeouts, connection failures, 5xx).
        """
        if self._operations is not None:
            if operation not in self._operations:
                raise KeyError(f"no GraphQL operation {operation!r} given to this client")
            document = self._operations[operation]
        else:
            document = linear_operation(operation)
        schema = await linear_schema_async()
        values = dict(variables or {})
        _check_variables(operation, document_operation(document), values, schema)
        exchange = _Exchange()
        transport = AIOHTTPTransport(
            url=self.url,
            headers={
                "Authorization": self._authorization,
                "User-Agent": USER_AGENT,
            },
            client_session_args={
                "timeout": aiohttp.ClientTimeout(total=self._timeout),
                "trace_configs": [exchange.trace_config()],
            },
            ssl_close_timeout=1,
        )
        client = _ValidatingOnceClient(
            schema=schema, transport=transport, execute_timeout=self._timeout + 1
        )
        request = GraphQLRequest(document, variable_values=values, operation_name=operation)
        try:
            async with client as session:
                result: dict[str, Any] = await session.execute(request)
                return result
        except GraphQLError as error:
            # gql validated the document against the schema and found it wanting: our bug.
            raise RejectedInput(
                SYSTEM,
                f"the {operation} document does not match Linear's schema "
                f"(see {OPERATIONS_FILE.name}): {error.message}",
            ) from None
        except TransportQueryError as error:
            raise error_from_graphql(
                error.errors or [],
                status=exchange.status,
                headers=exchange.headers,
                operation=operation,
                sent_fields=_input_fields(values),
            ) from None
        except TransportServerError as error:
            raise error_from_status(
                error.code or exchange.status,
                headers=exchange.headers,
                operation=operation,
                body=str(error),
            ) from None
        except TransportProtocolError as error:
            raise error_from_status(
                exchange.status, headers=exchange.headers, operation=operation, body=str(error)
            ) from None
        except (TransportError, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise Unavailable(SYSTEM, f"{operation}: {self._describe(error)}") from None

    def _describe(self, error: BaseException) -> str:
        """A connection failure in words: gql wraps aiohttp's errors, often with no message."""
        cause = error.__cause__ or error
        if isinstance(cause, TimeoutError):
            return f"no answer within {self._timeout:g}s (the request may still have been done)"
        return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__


def document_operation(document: DocumentNode) -> OperationDefinitionNode:
    """The one operation definition of a document made by ``linear_operation``."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition
    raise ValueError("the document holds no operation")


def _check_variables(
    name: str, operation: OperationDefinitionNode, values: dict[str, Any], schema: Any
) -> None:
    """Coerce ``values`` against the operation's variable types, as the server will."""
    result = get_variable_values(schema, operation.variable_definitions or (), values)
    if isinstance(result, list) and result:
        problem = result[0].message
        field = field_of({"message": problem}, sent_fields=_input_fields(values))
        raise RejectedInput(SYSTEM, f"{name}: {problem}", field=field)


def _input_fields(values: Mapping[str, Any]) -> set[str]:
    """Every key in the variables, at any depth: what a rejection may be about."""
    return set(_keys(values))


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


class _ValidatingOnceClient(Client):
    """gql's client, validating each distinct document against the schema once per process.

    Our documents are fixed (parsed once from ``operations.graphql``), so the answer
    cannot change; validating a document against a 1.3 MB schema on every request was a tenth
    of a worker's CPU time.
    """

    # document id → document (the reference keeps the id from being reused)
    _valid: dict[tuple[int, int], DocumentNode] = {}  # noqa: RUF012
    _lock = threading.Lock()

    def validate(self, request: GraphQLRequest) -> None:
        """Validate as gql does, unless this very document passed against this schema before."""
        key = (id(self.schema), id(request.document))
        if key in self._valid:
            return
        super().validate(request)
        with self._lock:
            self._valid[key] = request.document
