"""A route's published contract: what it takes and every answer it can give, as typed models.

`Function.route(...)` takes these declarations beside the handler, so the route and its
contract are one edit; tidecast/runtime/openapi.py turns them into an OpenAPI 3.1 document.
A success answer's `data` is a pydantic model the handler renders with `ok(model)`; an error
answer is the one envelope tidecast/runtime/errors.py builds, `{success: false, error, code}`,
its `code` fixed by its status. Answers that are not JSON (a tus 204 with headers only, 16 raw
key bytes, an HTML page) say so with `media_type` and a raw `schema`.

Generic on purpose: nothing here knows a domain. Hand-written rather than a framework's
(FastAPI and the like build OpenAPI from their own routing, which Lambda handlers do not use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

Auth = Literal["none", "bearer", "optional"]


@dataclass(frozen=True)
class Header:
    """A request or response header that matters to the route."""

    name: str
    description: str
    required: bool = False
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Reply:
    """One success answer: its status and what its body holds.

    `model` is the `data` of `{success: true, data}`; with `envelope=False` it is the whole
    body (the reference's login answer). No model and no `schema`: the answer has no body."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    envelope: bool = True
    media_type: str = "application/json"
    schema: dict[str, Any] | None = None
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from one answer to the next operation (the stateful chains)."""

    operation_id: str
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    description: str = ""


@dataclass(frozen=True)
class Contract:
    operation_id: str
    summary: str
    replies: tuple[Reply, ...]
    #: Error statuses the route itself can answer (the runtime adds those every route can).
    errors: tuple[int, ...] = ()
    auth: Auth = "none"
    description: str = ""
    body: type[BaseModel] | None = None
    body_required: bool = True
    #: A body that is not JSON: its media type and schema (tus PATCH's raw bytes).
    body_media_type: str = "application/json"
    body_schema: dict[str, Any] | None = None
    query: type[BaseModel] | None = None
    headers: tuple[Header, ...] = ()
    #: Path parameter name -> JSON Schema (default: a non-empty string).
    path: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: status -> link name -> link.
    links: dict[int, dict[str, Link]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
