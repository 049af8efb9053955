"""The OpenAPI 3.1 document of a set of functions, built from their routes' contracts.

Every route must declare a contract (tidecast/runtime/contract.py); one that does not is an
error here, so an undocumented route cannot ship. Schemas are pydantic's JSON Schema, which
is OpenAPI 3.1's dialect, with `$ref`s pointed at `#/components/schemas`. Error answers are
the runtime's one envelope, a component per status with its code fixed
(tidecast/runtime/errors.py): the edge can only ever answer that status with that code.

Hand-written: the generators that exist (FastAPI's, apispec, spectree) read their own
frameworks' routing, not `Function` routes in Lambda handlers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from tidecast.runtime.contract import Contract, Header, Reply
from tidecast.runtime.errors import ERROR_CODES
from tidecast.runtime.function import Function, Route

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
#: Errors any route can answer: a bug (500, with the request id) and a handler that overran (504).
ALWAYS = (500, 504)
#: Errors any route that reads a body can answer: malformed or invalid (400), over the size
#: limit (413), sent too slowly (408).
WITH_BODY = (400, 408, 413)
#: Errors any route that reads a login can answer: missing, malformed, expired or revoked (401).
WITH_AUTH = (401,)
#: Any route with path parameters: a segment no route can match (one holding a line break) is
#: the edge's 404 before the handler runs.
WITH_PATH = (404,)
ERROR_HEADERS = {
    401: Header("WWW-Authenticate", "The scheme to authenticate with: Bearer", required=True),
    405: Header("Allow", "The methods the path takes", required=True),
    429: Header("Retry-After", "Seconds to wait before trying again"),
    503: Header("Retry-After", "Seconds to wait before trying again"),
}


class ContractError(ValueError):
    """The functions' declarations cannot make a document (a route without a contract, ...)."""


def build(
    functions: Iterable[Function], *, title: str, version: str, description: str = ""
) -> dict[str, Any]:
    doc = _Builder()
    for function in sorted(functions, key=lambda f: f.public_path):
        for route in function.routes:
            doc.add(function, route)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(doc.paths.items())),
        "components": {
            "schemas": dict(sorted(doc.schemas.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A login token from POST /api/auth/login (keys: a playback token)",
                }
            },
        },
    }


def dumps(document: dict[str, Any]) -> str:
    """The committed form: stable key order as built, two-space indent, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class _Builder:
    def __init__(self) -> None:
        self.paths: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, Any] = {}
        self.operation_ids: set[str] = set()

    def add(self, function: Function, route: Route) -> None:
        contract = route.contract
        where = f"{function.name}: {'/'.join(route.methods)} {route.pattern or '(root)'}"
        if contract is None:
            raise ContractError(f"{where} declares no contract")
        if contract.operation_id in self.operation_ids:
            raise ContractError(f"{where}: operationId {contract.operation_id} is used twice")
        self.operation_ids.add(contract.operation_id)
        path = function.public_path + ("/" + route.pattern if route.pattern else "")
        item = self.paths.setdefault(path, {})
        for method in sorted(route.methods):
            item[method.lower()] = self.operation(contract, route, function.name)

    def operation(self, contract: Contract, route: Route, function: str) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": contract.operation_id, "summary": contract.summary}
        if contract.description:
            op["description"] = contract.description
        # Grouped by function unless the route says otherwise: the reference page's sections.
        op["tags"] = list(contract.tags or (function,))
        params = self.parameters(contract, route)
        if params:
            op["parameters"] = params
        if contract.auth == "bearer":
            op["security"] = [{"bearer": []}]
        elif contract.auth == "optional":
            op["security"] = [{"bearer": []}, {}]
        else:
            op["security"] = []
        body = self.request_body(contract)
        if body is not None:
            op["requestBody"] = body
        responses: dict[str, Any] = {}
        for reply in contract.replies:
            responses[str(reply.status)] = self.reply(reply, contract)
        reads_body = contract.body is not None or contract.body_schema is not None
        statuses = set(contract.errors) | set(ALWAYS)
        statuses |= set(WITH_BODY) if reads_body else set()
        statuses |= set(WITH_AUTH) if contract.auth != "none" else set()
        statuses |= set(WITH_PATH) if any(s.startswith("{") for s in route.segments) else set()
        for status in sorted(statuses):
            responses[str(status)] = self.error(status)
        op["responses"] = dict(sorted(responses.items()))
        return op

    def parameters(self, contract: Contract, route: Route) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for segment in route.segments:
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                schema = contract.path.get(name, {"type": "string", "minLength": 1})
                out.append({"name": name, "in": "path", "required": True, "schema": schema})
        if contract.query is not None:
            schema = contract.query.model_json_schema(ref_template=REF)
            self._defs(schema)
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
                if "description" in prop:
                    param["description"] = prop.pop("description")
                prop.pop("title", None)
                param["schema"] = prop
                out.append(param)
        for header in contract.headers:
            out.append(
                {
                    "name": header.name,
                    "in": "header",
                    "required": header.required,
                    "description": header.description,
                    "schema": header.schema,
                }
            )
        return out

    def request_body(self, contract: Contract) -> dict[str, Any] | None:
        if contract.body is not None:
            schema = self.model(contract.body, mode="validation")
            media = "application/json"
        elif contract.body_schema is not None:
            schema, media = contract.body_schema, contract.body_media_type
        else:
            return None
        return {"required": contract.body_required, "content": {media: {"schema": schema}}}

    def reply(self, reply: Reply, contract: Contract) -> dict[str, Any]:
        out: dict[str, Any] = {"description": reply.description}
        if reply.headers:
            out["headers"] = {h.name: _header(h) for h in reply.headers}
        schema: dict[str, Any] | None = None
        if reply.model is not None:
            data = self.model(reply.model, mode="serialization")
            schema = data if not reply.envelope else _envelope(data)
        elif reply.schema is not None:
            schema = reply.schema
        if schema is not None:
            out["content"] = {reply.media_type: {"schema": schema}}
        links = contract.links.get(reply.status)
        if links:
            out["links"] = {
                name: _drop_none(
                    {
                        "operationId": link.operation_id,
                        "parameters": link.parameters or None,
                        "requestBody": link.request_body,
                        "description": link.description or None,
                    }
                )
                for name, link in links.items()
            }
        return out

    def error(self, status: int) -> dict[str, Any]:
        code = ERROR_CODES[status]
        name = f"Error{status}"
        self.schemas[name] = {
            "title": name,
            "type": "object",
            "description": f"The error envelope of a {status}: `code` is always {code}",
            "properties": {
                "success": {"const": False},
                "error": {"type": "string", "description": "What went wrong, for people"},
                "code": {"const": code},
                **({"requestId": {"type": "string"}} if status >= 500 else {}),
            },
            "required": ["success", "error", "code", *(["requestId"] if status >= 500 else [])],
            "additionalProperties": False,
        }
        out: dict[str, Any] = {
            "description": code.replace("_", " ").capitalize(),
            "content": {"application/json": {"schema": {"$ref": REF.format(model=name)}}},
        }
        if status in ERROR_HEADERS:
            header = ERROR_HEADERS[status]
            out["headers"] = {header.name: _header(header)}
        return out

    def model(self, model: type[BaseModel], *, mode: str) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        self._defs(schema)
        self._put(model.__name__, schema)
        return {"$ref": REF.format(model=model.__name__)}

    def _defs(self, schema: dict[str, Any]) -> None:
        for name, sub in schema.pop("$defs", {}).items():
            self._put(name, sub)

    def _put(self, name: str, schema: dict[str, Any]) -> None:
        known = self.schemas.get(name)
        if known is not None and known != schema:
            raise ContractError(f"two different models are named {name}")
        self.schemas[name] = schema


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"success": {"const": True}, "data": data},
        "required": ["success", "data"],
        "additionalProperties": False,
    }


def _header(header: Header) -> dict[str, Any]:
    return {"description": header.description, "required": header.required, "schema": header.schema}


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
