"""/api/uploads: resumable video uploads, the tus 1.0.0 core protocol with creation and termination.

    OPTIONS /api/uploads            Tus-Version, Tus-Extension, Tus-Max-Size (no login needed)
    POST    /api/uploads            Upload-Length + Upload-Metadata (filetype video/*, filename,
                                    title) -> 201, Location /api/uploads/<id>
    HEAD    /api/uploads/<id>       Upload-Offset, Upload-Length (Cache-Control: no-store)
    PATCH   /api/uploads/<id>       application/offset+octet-stream at Upload-Offset -> 204
    DELETE  /api/uploads/<id>       drop an unfinished upload -> 204

Every request but OPTIONS needs a login (Bearer token) and `Tus-Resumable: 1.0.0` (else 412
with Tus-Version). The completing PATCH answers `Tidecast-Stream-Id` with the stream made of
the video (HEAD repeats it afterwards); a file that is not a video is refused there (400) and
discarded. Client chunks must fit a function's request body: 6 MB on Lambda, counted on the
base64 API Gateway sends, so at most ~4.4 MB of video: use CHUNK_BYTES (4 MiB), which the tus
clients take as `chunkSize` / `chunk_size`.

Hand-written: the Python tus servers (tuspyserver and the like) are ASGI/Flask apps with their
own storage, not handlers of Lambda events; the protocol's core is these five small routes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from typing import Any

from tidecast.container import from_environment
from tidecast.errors import DomainError, InvalidInput
from tidecast.functions._auth import authenticate
from tidecast.runtime import Function, Request, Response
from tidecast.runtime.errors import EdgeError, PreconditionFailed, UnsupportedMediaType
from tidecast.runtime.responses import error_response

app = Function("uploads", services=from_environment)

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination"
#: The chunk size clients should use: under Lambda's 6 MB request limit after base64.
CHUNK_BYTES = 4 * 1024 * 1024
OFFSET_TYPE = "application/offset+octet-stream"
#: Headers a browser client on another origin must be allowed to read (tus-js-client reads
#: Location, Upload-Offset and Upload-Length); harmless on the same origin.
EXPOSE = (
    "Location, Upload-Offset, Upload-Length, Upload-Metadata, Tus-Resumable, Tus-Version, "
    "Tus-Extension, Tus-Max-Size, Tidecast-Stream-Id, X-Request-Id"
)
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
_KEY = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}", re.ASCII)
METADATA_MAX = 4096

Endpoint = Callable[..., Response]


def tus(endpoint: Endpoint) -> Endpoint:
    """Check Tus-Resumable and put the tus headers on every answer, errors included."""

    @functools.wraps(endpoint)
    def wrapped(request: Request, **params: Any) -> Response:
        try:
            if request.method != "OPTIONS" and request.headers.get("tus-resumable") != TUS_VERSION:
                raise PreconditionFailed(
                    f"Tus-Resumable must be {TUS_VERSION}; got {request.headers.get('tus-resumable')!r}"
                )
            response = endpoint(request, **params)
        except (DomainError, EdgeError) as exc:
            response = error_response(exc, request.request_id)
            if response.status == 412:
                response.headers["Tus-Version"] = TUS_VERSION
        response.headers.setdefault("Tus-Resumable", TUS_VERSION)
        response.headers["Access-Control-Expose-Headers"] = EXPOSE
        return response

    return wrapped


def header_int(request: Request, name: str) -> int:
    raw = request.headers.get(name.lower())
    if raw is None:
        raise InvalidInput(f"{name} header is required")
    if not _DIGITS.fullmatch(raw.strip()):
        raise InvalidInput(f"Invalid {name} header: a non-negative integer")
    return int(raw.strip())


def parse_metadata(raw: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs, keys unique, values UTF-8."""
    if raw is None or not raw.strip():
        return {}
    if len(raw) > METADATA_MAX:
        raise InvalidInput(f"Invalid Upload-Metadata: at most {METADATA_MAX} characters")
    out: dict[str, str] = {}
    for pair in raw.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if len(parts) > 2 or not _KEY.fullmatch(key):
            raise InvalidInput("Invalid Upload-Metadata: pairs are 'key base64value', comma-separated")
        if key in out:
            raise InvalidInput(f"Invalid Upload-Metadata: key '{key}' appears twice")
        try:
            value = base64.b64decode(parts[1], validate=True).decode("utf-8") if len(parts) == 2 else ""
        except (binascii.Error, ValueError):
            raise InvalidInput(f"Invalid Upload-Metadata '{key}': not base64 of UTF-8 text") from None
        out[key] = value
    return out


def _upload_headers(upload: Any) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(upload.received),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
    }
    if upload.stream_id:
        headers["Tidecast-Stream-Id"] = upload.stream_id
    return headers


@app.route("OPTIONS", "")
@app.route("OPTIONS", "{upload_id}")
@tus
def options(request: Request, upload_id: str | None = None) -> Response:
    max_size = request.services.settings.tidecast_upload_max_bytes
    allow = "OPTIONS, POST" if upload_id is None else "OPTIONS, HEAD, PATCH, DELETE"
    headers = {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(max_size),
        "Allow": allow,
    }
    return Response(204, None, headers)


@app.route("POST", "")
@tus
def create(request: Request) -> Response:
    user = authenticate(request)
    if "upload-defer-length" in request.headers:
        raise InvalidInput("Upload-Defer-Length is not supported: declare Upload-Length")
    length = header_int(request, "Upload-Length")
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    if request.body:
        raise InvalidInput("Send the bytes with PATCH: creation-with-upload is not supported")
    upload = request.services.uploads.create(user.user_id, length, metadata)
    location = request.path.rstrip("/") + "/" + upload.id
    return Response(201, None, {"Location": location, **_upload_headers(upload)})


@app.route("HEAD", "{upload_id}")
@tus
def head(request: Request, upload_id: str) -> Response:
    user = authenticate(request)
    upload = request.services.uploads.get(user.user_id, upload_id)
    return Response(200, None, _upload_headers(upload))


@app.route("PATCH", "{upload_id}")
@tus
def patch(request: Request, upload_id: str) -> Response:
    user = authenticate(request)
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != OFFSET_TYPE:
        raise UnsupportedMediaType(f"PATCH bodies must be {OFFSET_TYPE}; got {ctype or 'none'!r}")
    offset = header_int(request, "Upload-Offset")
    upload = request.services.uploads.append(user.user_id, upload_id, offset, request.body)
    return Response(204, None, _upload_headers(upload))


@app.route("DELETE", "{upload_id}")
@tus
def terminate(request: Request, upload_id: str) -> Response:
    user = authenticate(request)
    request.services.uploads.terminate(user.user_id, upload_id)
    return Response(204, None, {})


handler = app.handler
