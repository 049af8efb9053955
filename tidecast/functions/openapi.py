"""GET /api/openapi.json: the API's OpenAPI 3.1 document, built from the functions' contracts.

netlify.toml sends /api/openapi.json here (before the /api/* rule, which would look for a
function named `openapi.json`). The document is built once per process from the other function
modules' routes (tidecast/runtime/openapi.py) and is the same text as the committed openapi.json
at the repository root: tests/unit/test_openapi.py fails while they differ, and
`tidecast api openapi` writes it again.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

import tidecast
from tidecast import functions as package
from tidecast.runtime import Function, Request, Response
from tidecast.runtime.contract import Contract, Reply
from tidecast.runtime.openapi import build, dumps

app = Function("openapi", public_path="/api/openapi.json")

TITLE = "tidecast API"
DESCRIPTION = (
    "Pay-as-you-watch video: accounts, streams, resumable uploads (tus 1.0.0), payment streams "
    "and the HLS content keys they pay for. Every JSON answer is `{success: true, data}` or "
    "`{success: false, error, code}` (login answers the reference's `{success, token, user}`). "
    "Send a login token as `Authorization: Bearer <token>` where an operation needs one."
)


def apps() -> list[Function]:
    """Every deployed function of this package (each module's `app`), this one included."""
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        function = getattr(module, "app", None)
        if isinstance(function, Function):
            found.append(function)
    return found


def document() -> dict[str, Any]:
    return build(apps(), title=TITLE, version=tidecast.__version__, description=DESCRIPTION)


@functools.cache
def document_text() -> str:
    return dumps(document())


@app.route(
    "GET",
    "",
    Contract(
        "openapi",
        "This document",
        (Reply(200, "The OpenAPI 3.1 document", schema={"type": "object"}),),
    ),
)
def openapi(request: Request) -> Response:
    # Public and the same for everyone until the next deploy: caches may keep it a while.
    headers = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300"}
    return Response(200, document_text(), headers)


handler = app.handler
