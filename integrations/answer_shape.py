"""Reading an outside system's answer through a pydantic model of the fields we use.

An answer that says "ok" but lacks a field we read (or has it as another type) used to end a
call with a ``KeyError`` or ``TypeError`` and no word of which system did it. Each adapter now
validates what it reads; where the value is optional it goes on without it, and where it is
not, ``UnexpectedAnswer`` names the system, the request and the field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cs_agent.core.errors import UnexpectedAnswer

Model = TypeVar("Model", bound=BaseModel)


def read_answer(model: type[Model], data: Any, *, system: str, what: str) -> Model:
    """``data`` as ``model``; ``UnexpectedAnswer`` naming the first field that does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise unexpected_answer(error, system=system, what=what) from None


def unexpected_answer(error: ValidationError, *, system: str, what: str) -> UnexpectedAnswer:
    """The ``UnexpectedAnswer`` for a validation ``error`` of ``what``'s answer."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    got = _sample(first.get("input"))
    if first["type"] == "missing":
        problem = "a field is missing"
    elif first["type"] in ("model_type", "dict_type", "model_attributes_type"):
        problem = f"an object was expected, got {got}"
    else:
        problem = f"{str(first['msg']).lower()}, got {got}"
    return UnexpectedAnswer(system, f"{what} answered an unexpected shape: {problem}", field=field)


def _sample(value: Any) -> str:
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
