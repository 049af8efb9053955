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
from tidecast.runtime.contract import Contract, Header, Link, Reply
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
#: Upload-Metadata's syntax as parse_metadata reads it, published in the header's schema.
_PAIR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}( [A-Za-z0-9+/]*={0,2})?"
# No space at either end: HTTP trims a header value, so a client cannot send one there.
METADATA_PATTERN = rf"^{_PAIR}( *, *{_PAIR})*$"

Endpoint = Callable[..., Response]

# A one-value enum, not `const`: the same JSON Schema, and the form openapi-python-client accepts
# in a header (it refuses a Literal there and drops the whole operation).
TUS = Header(
    "Tus-Resumable",
    f"The tus protocol version: {TUS_VERSION}",
    required=True,
    schema={"type": "string", "enum": [TUS_VERSION]},
)
_OUT_TUS = Header("Tus-Resumable", "The tus protocol version", required=True)
_OFFSET = Header("Upload-Offset", "Bytes received so far", required=True)
_LENGTH = Header("Upload-Length", "The upload's declared size in bytes", required=True)
_STREAM = Header("Tidecast-Stream-Id", "The stream made of the video, once the upload is complete")
_NO_STORE = Header("Cache-Control", "no-store", required=True)
UPLOAD_ID = {"upload_id": {"type": "string", "minLength": 1, "maxLength": 64}}
#: The tus chain: create, ask the offset, send the bytes from there.
FROM_LOCATION = {"upload_id": "$response.header.Location#regex:([^/]+)$"}


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


_OPTIONS_REPLY = Reply(
    204,
    "The tus versions, extensions and maximum size this server takes",
    headers=(
        Header("Tus-Version", "Supported tus versions", required=True),
        Header("Tus-Extension", "Supported extensions", required=True),
        Header("Tus-Max-Size", "The largest upload in bytes", required=True),
        _OUT_TUS,
    ),
)


@app.route("OPTIONS", "", Contract("uploadOptions", "tus discovery (no login)", (_OPTIONS_REPLY,)))
@app.route(
    "OPTIONS",
    "{upload_id}",
    Contract(
        "uploadOptionsOne", "tus discovery for one upload (no login)", (_OPTIONS_REPLY,), path=UPLOAD_ID
    ),
)
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


@app.route(
    "POST",
    "",
    Contract(
        "createUpload",
        "Start a resumable upload (tus creation); the bytes follow with PATCH",
        (
            Reply(
                201,
                "Created: Location names the upload",
                headers=(Header("Location", "/api/uploads/<id>", required=True), _OFFSET, _LENGTH, _OUT_TUS),
            ),
        ),
        errors=(400, 412, 413, 429),
        auth="bearer",
        headers=(
            TUS,
            Header(
                "Upload-Length",
                "The video's size in bytes",
                required=True,
                schema={"type": "string", "pattern": "^[0-9]{1,19}$"},
            ),
            # Optional in tus, required here: an upload must declare its filetype (video/*).
            Header(
                "Upload-Metadata",
                "Comma-separated 'key base64(value)' pairs: filetype (video/*, required), filename, title",
                required=True,
                schema={
                    "type": "string",
                    "minLength": 1,
                    "maxLength": METADATA_MAX,
                    "pattern": METADATA_PATTERN,
                },
            ),
        ),
        links={
            201: {
                "UploadOffset": Link("uploadOffset", FROM_LOCATION),
                "UploadBytes": Link("uploadBytes", {**FROM_LOCATION, "header.Upload-Offset": "0"}),
            }
        },
    ),
)
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


@app.route(
    "HEAD",
    "{upload_id}",
    Contract(
        "uploadOffset",
        "How many bytes the server has (resume from there)",
        (
            Reply(
                200,
                "The offset and length, in headers",
                headers=(_OFFSET, _LENGTH, _NO_STORE, _STREAM, _OUT_TUS),
            ),
        ),
        errors=(404, 412),
        auth="bearer",
        headers=(TUS,),
        path=UPLOAD_ID,
    ),
)
@tus
def head(request: Request, upload_id: str) -> Response:
    user = authenticate(request)
    upload = request.services.uploads.get(user.user_id, upload_id)
    return Response(200, None, _upload_headers(upload))


@app.route(
    "PATCH",
    "{upload_id}",
    Contract(
        "uploadBytes",
        "Append bytes at Upload-Offset; the last chunk makes the stream",
        (
            Reply(
                204,
                "Appended; the new offset in Upload-Offset (and the stream's id once complete)",
                headers=(_OFFSET, _LENGTH, _STREAM, _OUT_TUS),
            ),
        ),
        errors=(404, 409, 412, 415, 503),
        auth="bearer",
        description=f"The body is raw video bytes ({OFFSET_TYPE}), at most {CHUNK_BYTES} a request "
        "on Lambda; a complete upload that is not a video is refused (400) and discarded.",
        headers=(
            TUS,
            Header(
                "Upload-Offset",
                "Where these bytes start",
                required=True,
                schema={"type": "string", "pattern": "^[0-9]{1,19}$"},
            ),
        ),
        body_media_type=OFFSET_TYPE,
        body_schema={"type": "string", "format": "binary", "contentMediaType": OFFSET_TYPE},
        path=UPLOAD_ID,
    ),
)
@tus
def patch(request: Request, upload_id: str) -> Response:
    user = authenticate(request)
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != OFFSET_TYPE:
        raise UnsupportedMediaType(f"PATCH bodies must be {OFFSET_TYPE}; got {ctype or 'none'!r}")
    offset = header_int(request, "Upload-Offset")
    upload = request.services.uploads.append(user.user_id, upload_id, offset, request.body)
    return Response(204, None, _upload_headers(upload))


@app.route(
    "DELETE",
    "{upload_id}",
    Contract(
        "terminateUpload",
        "Drop an unfinished upload (tus termination)",
        (Reply(204, "Dropped", headers=(_OUT_TUS,)),),
        errors=(404, 409, 412),
        auth="bearer",
        headers=(TUS,),
        path=UPLOAD_ID,
    ),
)
@tus
def terminate(request: Request, upload_id: str) -> Response:
    user = authenticate(request)
    request.services.uploads.terminate(user.user_id, upload_id)
    return Response(204, None, {})


handler = app.handler
