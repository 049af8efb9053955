"""The embedded IPFS node on a free port for a test, and multipart bodies shaped as Kubo's
clients send them (go's MultiFileReader: one flat part per path, directories as
`application/x-directory`, names URL-escaped)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.embedded import IpfsNode

BOUNDARY = "tidecastTestBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


@contextmanager
def running_node(
    root: Path, *, max_add_bytes: int = 1 << 30, header_timeout: float = 10.0
) -> Iterator[IpfsNode]:
    node = IpfsNode(
        BlockStore(root, sync=False),
        "127.0.0.1",
        0,
        max_add_bytes=max_add_bytes,
        header_timeout=header_timeout,
    )
    node.start()
    try:
        yield node
    finally:
        node.stop()


def part(name: str, data: bytes = b"", *, directory: bool = False, escape: bool = True) -> bytes:
    kind = "application/x-directory" if directory else "application/octet-stream"
    filename = quote(name, safe="/") if escape else name
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {kind}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def tree(prefix: str, files: dict[str, bytes]) -> bytes:
    """A directory `prefix` with `files` (relative paths), as `ipfs add -r` sends it: each
    directory's part before its entries, entries in sorted order."""
    dirs = {prefix}
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add(prefix + "/" + "/".join(parts[:i]))
    entries = [(d, None) for d in dirs] + [(f"{prefix}/{n}", data) for n, data in files.items()]
    out = []
    for path, data in sorted(entries, key=lambda e: e[0].split("/")):
        out.append(part(path, directory=True) if data is None else part(path, data))
    return body(*out)


def ndjson(text: str) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in text.splitlines() if line]


def stored_blocks(root: Path) -> list[Path]:
    return [p for p in (root / "blocks").rglob("*") if p.is_file() and not p.name.startswith(".")]


def gateway(url: str, *, method: str = "GET", follow: bool = True, **kwargs: Any) -> httpx.Response:
    """A gateway request as a browser makes it. `/ipfs/<cid>/...` on the node or the dev server
    answers 301 to the CID's origin, `<cid>.ipfs.localhost:<port>`, which browsers resolve to
    loopback (this machine's resolver does not): such a request goes to 127.0.0.1 with the
    subdomain as Host. `follow` follows that one redirect (never one within the subdomain)."""
    headers = dict(kwargs.pop("headers", None) or {})
    for _ in range(3):
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host.endswith(".localhost"):
            target = parts._replace(netloc=f"127.0.0.1:{parts.port}").geturl()
            reply = httpx.request(method, target, headers={**headers, "Host": parts.netloc}, **kwargs)
        else:
            reply = httpx.request(method, url, headers=headers, **kwargs)
        location = reply.headers.get("location", "")
        moved = reply.status_code == 301 and ".ipfs.localhost" in urlsplit(location).netloc
        if not (follow and moved and not host.endswith(".localhost")):
            return reply
        url = location
    raise AssertionError(f"too many redirects from {url}")
