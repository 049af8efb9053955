"""A subdomain gateway (Kubo's, specs.ipfs.tech/http-gateways/subdomain-gateway): content is
served from its CID's own origin, `<cid>.ipfs.<domain>[:port]/<path>`, from the local block
store; `/ipfs/<cid>[/path]` on any other host (the site's origin, the node's) is a 301 there.

Why: the site's origin holds the login (sessionStorage) and, in development, the dev pages
(the mailbox with its reset links). HTML in any CID, and anyone can make an identity CID that
holds a page, would run there. On its own origin it reaches neither; and every answer carries
`Content-Security-Policy: sandbox` (no script runs; the document's origin is opaque) and
`X-Content-Type-Options: nosniff`, with Kubo's CORS headers so the site's player can fetch
playlists and segments across origins.

What it answers, as public gateways do (specs.ipfs.tech/http-gateways/path-gateway):
- a file with its content type from its name (HLS types included), or sniffed from its first
  bytes when the path has no name; `ETag: "<cid>"`, `Cache-Control: public, max-age=29030400,
  immutable` (the content under a CID cannot change), `X-Ipfs-Path`, `Accept-Ranges`;
- one byte range (206 with Content-Range; 416 past the end; several ranges get the whole
  file, which RFC 9110 allows); If-None-Match → 304;
- a directory: redirected to its path with a trailing slash, then its `index.html`, or an HTML
  listing with every name escaped;
- a malformed CID or path → 400, nothing there → 404; errors are short plain text;
- a symlink: its target as text, never followed (Kubo; the conformance suite's
  TestGatewaySymlink).

Before a file's body starts, every block of the range is checked to be there, so a missing
block is a 404, not a response cut short.
"""

from __future__ import annotations

import html
import mimetypes
from urllib.parse import quote

from multiformats import CID
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Host, Route
from starlette.types import Receive, Scope, Send

from tidecast.errors import DomainError
from tidecast.ipfs.nodes import cid_text
from tidecast.ipfs.reader import Reader, Stat, split_path
from tidecast.ipfs.rpc import ANY_METHOD
from tidecast.ipfs.subdomain import cid_of_label, dns_label, subdomain_url
from tidecast.net.mediatypes import register_media_types
from tidecast.net.status import domain_status

IMMUTABLE = "public, max-age=29030400, immutable"
LISTING_CACHE = "public, max-age=604800"
SNIFF_BYTES = 512
#: On every answer of the gateway, on any host: nothing from IPFS runs as a page.
ISOLATED = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
#: Kubo's gateway CORS headers (t0112-gateway-cors): content is public, readable from any page.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Range, User-Agent, X-Requested-With",
    "Access-Control-Expose-Headers": (
        "Content-Length, Content-Range, X-Chunked-Output, X-Stream-Output, X-Ipfs-Path, X-Ipfs-Roots"
    ),
}


class Gateway:
    def __init__(self, reader: Reader) -> None:
        register_media_types()
        self.reader = reader

    def routes(self) -> list[BaseRoute]:
        """The subdomain host first (every path there is content), then `/ipfs/` on any other
        host, which only redirects."""
        return [
            Host("{label}.ipfs.{domain}", app=self._subdomain_app),
            Route("/ipfs/{path:path}", self.redirect, methods=ANY_METHOD),
        ]

    async def redirect(self, request: Request) -> Response:
        """`/ipfs/<cid>[/path]` → 301 to the CID's origin, as Kubo's subdomain gateway answers
        a path request; nothing from the CID is ever sent from this origin."""
        try:
            root, names = split_path(request.path_params["path"])
            location = subdomain_url(
                request.url.scheme,
                request.headers.get("host", ""),
                root,
                names,
                slash=request.scope["path"].endswith("/"),
                query=request.url.query,
            )
        except DomainError as exc:
            return _error(exc)
        return RedirectResponse(location, status_code=301, headers=ISOLATED)

    async def _subdomain_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.endpoint(request)
        response.headers.update({**ISOLATED, **CORS})
        await response(scope, receive, send)

    async def endpoint(self, request: Request) -> Response:
        """Content on its own origin: `<label>.ipfs.<domain>/<path>`."""
        if request.method == "OPTIONS":
            return Response(status_code=200)  # a CORS preflight: the headers say it all
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("method not allowed\n", 405, headers={"Allow": "GET, HEAD, OPTIONS"})
        label = request.path_params["label"]
        try:
            cid = cid_of_label(label)
            canonical = dns_label(cid)
            if canonical != label:  # a CIDv0 or another base: Kubo moves it to the canonical label
                host = request.headers.get("host", "")
                location = f"{request.url.scheme}://{canonical}{host[len(label) :]}{request.scope['path']}"
                query = f"?{request.url.query}" if request.url.query else ""
                return RedirectResponse(location + query, status_code=301)
            return await self._serve(request, cid_text(cid) + request.scope["path"])
        except DomainError as exc:
            return _error(exc)

    async def _serve(self, request: Request, path: str) -> Response:
        root, names = split_path(path)
        target = await run_in_threadpool(self.reader.resolve, path)
        stat = await run_in_threadpool(self.reader.stat, target)
        ipfs_path = "/ipfs/" + path
        if stat.kind == "directory":
            if not request.url.path.endswith("/"):
                location = request.url.path + "/" + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(location, status_code=301)
            index = await run_in_threadpool(self._index, target)
            if index is None:
                return await self._listing(request, target, root, names, ipfs_path)
            index_stat = await run_in_threadpool(self.reader.stat, index)
            return await self._file(request, index_stat, "index.html", ipfs_path)
        if stat.kind == "symlink":  # its target as text, whatever its name says
            return await self._file(request, stat, "", ipfs_path, media_type="text/plain; charset=utf-8")
        return await self._file(request, stat, names[-1] if names else "", ipfs_path)

    def _index(self, directory: CID) -> CID | None:
        for entry in self.reader.ls(directory):
            if entry.name == "index.html":
                return entry.cid
        return None

    async def _file(
        self, request: Request, stat: Stat, name: str, ipfs_path: str, *, media_type: str | None = None
    ) -> Response:
        etag = f'"{cid_text(stat.cid)}"'
        headers = {
            "ETag": etag,
            "Cache-Control": IMMUTABLE,
            "X-Ipfs-Path": quote(ipfs_path, safe="/"),
            "Accept-Ranges": "bytes",
        }
        if _matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        size = stat.size
        start, end, status = 0, size, 200
        wanted = _one_range(request.headers.get("range", ""))
        if wanted is not None:
            first, last = wanted
            if first is None:  # bytes=-N: the last N
                start = max(size - (last or 0), 0)
            else:
                start = first
                end = size if last is None else min(last + 1, size)
            if start >= size or (first is None and not last):
                return PlainTextResponse(
                    "range not satisfiable\n", 416, headers={**headers, "Content-Range": f"bytes */{size}"}
                )
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        media_type = media_type or _content_type(name) or await run_in_threadpool(self._sniff, stat)
        headers["Content-Length"] = str(end - start)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers, media_type=media_type)
        await run_in_threadpool(self.reader.check_range, stat.cid, start, end - start)
        body = iterate_in_threadpool(self.reader.read(stat.cid, start, end - start))
        return StreamingResponse(body, status_code=status, headers=headers, media_type=media_type)

    def _sniff(self, stat: Stat) -> str:
        head = b""
        for chunk in self.reader.read(stat.cid, 0, SNIFF_BYTES):
            head += chunk
        return sniff(head)

    async def _listing(
        self, request: Request, cid: CID, root: CID, names: list[str], ipfs_path: str
    ) -> Response:
        entries = await run_in_threadpool(self.reader.ls, cid)
        etag = f'"DirIndex-tidecast_CID-{cid_text(cid)}"'
        headers = {"ETag": etag, "Cache-Control": LISTING_CACHE, "X-Ipfs-Path": quote(ipfs_path, safe="/")}
        if _matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        title = html.escape("/ipfs/" + "/".join([cid_text(root), *names]))
        rows = []
        if names:
            rows.append('<tr><td><a href="../">..</a></td><td></td><td></td></tr>')
        for entry in entries:
            href = html.escape(quote(entry.name, safe=""), quote=True)
            rows.append(
                f'<tr><td><a href="{href}">{html.escape(entry.name)}</a></td>'
                f"<td><code>{html.escape(cid_text(entry.cid))}</code></td><td>{entry.tsize}</td></tr>"
            )
        page = (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><h1>Index of {title}</h1>"
            "<table><thead><tr><th>Name</th><th>CID</th><th>Size</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></body></html>"
        )
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers, media_type="text/html; charset=utf-8")
        return HTMLResponse(page, headers=headers)


def _error(exc: DomainError) -> Response:
    status, _ = domain_status(exc)
    return PlainTextResponse(f"{exc.message}\n", status, headers=ISOLATED)


def _matches(header: str, etag: str) -> bool:
    return header.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in header.split(",")]


def _one_range(header: str) -> tuple[int | None, int | None] | None:
    """`bytes=a-b`, `bytes=a-` or `bytes=-n` as (first, last) (for a suffix: (None, n));
    None for no header, several ranges or anything malformed (then the whole file is sent)."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    if not first:
        return None, int(last)
    if last and int(last) < int(first):
        return None
    return int(first), int(last) if last else None


def _content_type(name: str) -> str | None:
    if not name:
        return None
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed


def sniff(head: bytes) -> str:
    """A content type from a file's first bytes, for a CID asked for without a name (the few
    formats this platform serves; Kubo uses Go's http.DetectContentType)."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"#EXTM3U", "application/vnd.apple.mpegurl"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "video/mp2t"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "text/html; charset=utf-8"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) < SNIFF_BYTES or exc.start < len(head) - 3:  # not a character cut at the end
            return "application/octet-stream"
        text = head[: exc.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return "application/octet-stream"
    return "text/plain; charset=utf-8"
