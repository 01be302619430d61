"""The OpenAPI document, completed with the request bodies that routes read themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <CS_AGENT_API_TOKEN>`.",
    },
    "signature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CS-Agent-Signature",
        "description": "`t=<unix seconds>,v2=<hex HMAC-SHA256>`, keyed with "
        "CS_AGENT_WEBHOOK_SECRET, of `v2:<t>:<METHOD>:<path>[?<query>]:<hex SHA-256 of the "
        "body>`; within 5 minutes of the server's clock, and accepted once.",
    },
}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"signature": []}]
"""For a route's ``openapi_extra``: either credential (neither, when the server runs open)."""


def document_models(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Add ``models`` to the document's component schemas, and the API's security schemes.

    Routes that read their body themselves (to check its size and signature over the raw
    bytes) describe it with ``openapi_extra`` referring to these components.
    """
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        components = schema["components"].setdefault("schemas", {})
        for model in models:
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = model_schema
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
