"""Request bodies checked against a pydantic model: one 400 that names every field at fault.

Models are strict (a number is not a string) and refuse fields they do not declare, so a
typo'd or smuggled field is an error rather than silently ignored. No string may hold a NUL
character: PostgreSQL refuses them with an error (a 500, not a 400), and no field needs one.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tidecast.errors import InvalidInput
from tidecast.runtime.request import Request

M = TypeVar("M", bound=BaseModel)


#: Published on every string field that has no pattern of its own (the others exclude NUL).
NO_NUL = "^[^\\x00]*$"


def publish_no_nul(schema: dict[str, Any]) -> None:
    """The JSON Schema says what `_no_nul` enforces, so a schema-valid body is accepted."""
    for prop in schema.get("properties", {}).values():
        for each in (prop, *prop.get("anyOf", ())):
            own_rule = {"pattern", "enum", "format"} & each.keys()
            if each.get("type") == "string" and not own_rule:
                each["pattern"] = NO_NUL


class Body(BaseModel):
    """Base of request-body models: strict types, no undeclared fields."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=publish_no_nul)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def parse_body(request: Request, model: type[M]) -> M:
    data = request.json_object()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "body"
            if err["type"] == "extra_forbidden":
                problems.append(f"{field}: unexpected field")
            elif err["type"] == "missing":
                problems.append(f"{field}: required")
            else:
                problems.append(f"{field}: {err['msg']}")
        raise InvalidInput("Invalid request body: " + "; ".join(problems)) from None
