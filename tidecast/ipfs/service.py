"""The IPFS Service: content in and out of any node speaking the Kubo RPC API at IPFS_API_URL
(the embedded node by default, Kubo or IPFS Cluster's proxy at scale, js-ipfs in the tests).
Nothing here knows which node it talks to.

- Uploads stream: a file goes out in chunks as the multipart body is sent
  (tidecast/lib/multipart.py), never whole in memory; `cat` yields chunks as they come.
- Answers are `{cid, size, url}` as the reference's: `size` is what the node reports (Kubo's
  cumulative DAG size, a string from Kubo, a number from js-ipfs; an int here), `url` the
  content on IPFS_GATEWAY.
- CIDs: version TIDECAST_IPFS_CID_VERSION (0, Kubo's default, unless set), and for CIDv1 the
  answer asked in base32 (`cid-base=base32`: Kubo prints base32 anyway, js-ipfs would print
  base58btc), so every node names the same bytes the same way.
- Errors are translated at this boundary (raised from the node's): a malformed CID or path is
  `InvalidInput` before any request; the node's "not found"/"not pinned" `NotFound`, its 400
  `InvalidInput`, its 413 `TooLarge`; a node out of reach, timing out or failing otherwise
  `Unavailable` naming the masked URL.
- Retries (tenacity, through tidecast.retry): a refused or dropped connection and a 502/503/504
  are tried again, three attempts within the timeout. An add is retried too, body and all:
  adding is idempotent by content (the same bytes give the same CID, and pinning a pinned CID
  changes nothing), and every body here can be generated again from its source (a path or
  bytes). A timeout is not retried (the node is slow or the content is not to be found;
  waiting again triples the wait), nor is a `cat` once a byte was handed to the caller.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from tidecast.config import mask_url
from tidecast.errors import DomainError, InvalidInput, NotFound, TooLarge, Unavailable
from tidecast.ipfs.cids import parse_cid
from tidecast.lib.multipart import Body, Entry, Progress, list_path
from tidecast.retry import with_retry

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_AFTER = 5
#: Longest `<cid>/<path>` taken as an argument.
MAX_PATH_TEXT = 4096
#: Words in a node's error message that mean the thing asked for is not there (Kubo, js-ipfs
#: and the embedded node each phrase it their own way).
_NOT_FOUND = ("not found", "not pinned", "pinned indirectly", "no link named", "does not exist", "no such")


class _NodeBusy(Exception):
    """A 502/503/504 from the node or a proxy before it: worth another try."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def retryable(exc: BaseException) -> bool:
    """Failures that may pass on their own and that are safe to try again (see module doc)."""
    if isinstance(exc, _NodeBusy):
        return True
    if isinstance(exc, httpx.TimeoutException):
        return isinstance(exc, httpx.ConnectTimeout)
    return isinstance(exc, httpx.TransportError)


def check_path(text: str, field: str = "cid") -> str:
    """`<cid>` or `<cid>/<path>` (also with `/ipfs/` before it), checked before any request:
    the node's answer to a malformed one is a 500 on some nodes. Returns `<cid>[/<path>]`."""
    if not isinstance(text, str) or not text or len(text) > MAX_PATH_TEXT or "\x00" in text:
        raise InvalidInput(f"{field} must be a CID, got {str(text)[:80]!r}")
    bare = text.removeprefix("/ipfs/")
    head, _, rest = bare.partition("/")
    parse_cid(head, field)
    segments = [s for s in rest.split("/") if s] if rest else []
    if any(s in (".", "..") for s in segments):
        raise InvalidInput(f"{field}: path segments '.' and '..' are not allowed")
    return "/".join([head, *segments])


class IPFSService:
    def __init__(
        self,
        api_url: str,
        *,
        gateway: str,
        cid_version: int = 0,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        if cid_version not in (0, 1):
            raise ValueError("cid_version must be 0 or 1")
        self.api_url = api_url.rstrip("/")
        self.gateway = gateway.rstrip("/")
        self.cid_version = cid_version
        self.timeout = timeout
        self._given_client = client

    @cached_property
    def client(self) -> httpx.Client:
        """One client (one connection pool) for the service's life. `timeout` bounds each wait
        (connect, every read), not a whole transfer: a large upload or download takes as long
        as its bytes take."""
        if self._given_client is not None:
            return self._given_client
        return httpx.Client(
            base_url=f"{self.api_url}/api/v0/",
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
            headers={"User-Agent": "tidecast"},
        )

    def close(self) -> None:
        if "client" in self.__dict__ and self._given_client is None:
            self.client.close()

    # -- the reference's API -----------------------------------------------------------------

    def upload_file(self, path: str | Path, *, on_progress: Progress | None = None) -> dict[str, Any]:
        """A file from disk, streamed, named by its file name."""
        path = Path(path)
        entries = list_path(path)
        if entries[0].kind == "directory":
            raise InvalidInput(f"{str(path)!r} is a directory; upload it with upload_directory")
        return self._add(entries, on_progress=on_progress)

    def upload_buffer(self, data: bytes, name: str = "") -> dict[str, Any]:
        """Bytes in memory (unnamed, the node names the line by its CID, unless `name`)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInput("data must be bytes")
        if "/" in name or name in (".", ".."):
            raise InvalidInput(f"name must be a plain file name, got {name[:80]!r}")
        data = bytes(data)
        return self._add([Entry(name, "bytes", data=data, size=len(data))])

    def upload_json(self, obj: Any) -> dict[str, Any]:
        """`obj` as compact JSON with sorted keys, UTF-8: equal data gets one CID whatever the
        order its keys were built in (the reference's JSON.stringify keeps insertion order)."""
        try:
            text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"not JSON data: {exc}") from None
        return self.upload_buffer(text.encode())

    def upload_directory(
        self,
        path: str | Path,
        *,
        hidden: bool = False,
        pin: bool = True,
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        """A directory tree. The reference adds the directory's files with wrap-with-directory,
        which makes a directory whose entries are the directory's: that is this directory's own
        CID (`ipfs add -r PATH`), which is what is added here (nested directories included, an
        empty directory too). Hidden names are left out unless `hidden`, as Kubo does. Unpinned
        when `pin` is False (the caller records the CID first, then pins it)."""
        path = Path(path)
        entries = list_path(path, hidden=hidden)
        if entries[0].kind != "directory":
            raise InvalidInput(f"{str(path)!r} is not a directory")
        return self._add(entries, pin=pin, on_progress=on_progress)

    def add_path(
        self,
        path: str | Path,
        *,
        wrap: bool = False,
        cid_version: int | None = None,
        hidden: bool = False,
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        """`ipfs add -r [-w] PATH`: a file or directory, wrapped in a directory if asked. The
        answer names the root (`name`; empty when wrapped)."""
        entries = list_path(Path(path), hidden=hidden)
        return self._add(entries, wrap=wrap, cid_version=cid_version, on_progress=on_progress)

    def get_ipfs_url(self, cid: str) -> str:
        return f"{self.gateway}/ipfs/{check_path(cid)}"

    def pin_cid(self, cid: str) -> dict[str, Any]:
        """Pin recursively (the node fetches what it lacks, which can take long on a network)."""
        path = check_path(cid)
        answer = self._call("pin/add", {"arg": path, "recursive": "true"})
        pins = answer.get("Pins") or [path]
        return {"cid": str(pins[0]), "pinned": True}

    def unpin_cid(self, cid: str) -> dict[str, Any]:
        """Remove a recursive pin; NotFound when it is not pinned (a retried call whose first
        attempt got through answers as having unpinned)."""
        path = check_path(cid)
        attempts = 0

        def once() -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            try:
                return self._request("pin/rm", {"arg": path})
            except NotFound:
                if attempts > 1:
                    return {"Pins": [path]}
                raise

        answer = self._translated(lambda: with_retry(once, **self._retry))
        pins = answer.get("Pins") or [path]
        return {"cid": str(pins[0]), "pinned": False}

    def pins(self) -> list[dict[str, str]]:
        """Recursive pins (what was added or pinned), sorted by CID."""
        answer = self._call("pin/ls", {"type": "recursive"})
        keys = answer.get("Keys") or {}
        return [{"cid": cid, "type": str(v.get("Type", ""))} for cid, v in sorted(keys.items())]

    def cat(self, cid: str, *, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """The bytes of a file (`<cid>` or `<cid>/<path>`), streamed. Checked at once; the node
        is asked when iteration starts, and its errors raise from the first `next`."""
        path = check_path(cid)
        return self._cat(path, chunk_size)

    def cat_bytes(self, cid: str) -> bytes:
        return b"".join(self.cat(cid))

    def gc(self) -> dict[str, Any]:
        """`repo/gc`: unpinned blocks removed. Kubo's answer (and js-ipfs's, and the embedded
        node's) names each removed block, not its size, so the count is what can be told."""
        removed = 0
        errors: list[str] = []
        for line in self._lines("repo/gc", {}):
            if line.get("Error"):
                errors.append(str(line["Error"]))
            elif line.get("Key"):
                removed += 1
        return {"removed": removed, "errors": errors}

    def version(self) -> dict[str, Any]:
        return self._call("version", {})

    # -- the wire ----------------------------------------------------------------------------

    @property
    def _retry(self) -> dict[str, Any]:
        return {"max_retries": 3, "delay": 0.2, "deadline": self.timeout, "retry_on": retryable}

    def _add(
        self,
        entries: list[Entry],
        *,
        wrap: bool = False,
        cid_version: int | None = None,
        pin: bool = True,
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        version = self.cid_version if cid_version is None else cid_version
        if version not in (0, 1):
            raise InvalidInput("cid version must be 0 or 1")
        params = {
            "cid-version": str(version),
            "pin": str(pin).lower(),
            "wrap-with-directory": str(wrap).lower(),
        }
        if version == 1:
            params["cid-base"] = "base32"
        body = Body(entries, on_progress)
        headers = {"Content-Type": body.content_type}
        lines = self._lines("add", params, content=body, headers=headers)
        roots = [line for line in lines if "Hash" in line]
        if not roots:
            raise Unavailable(f"the IPFS node at {mask_url(self.api_url)} answered the add without a CID")
        root = roots[-1]
        cid = str(root["Hash"])
        return {
            "cid": cid,
            "size": int(root.get("Size") or 0),
            "url": self.get_ipfs_url(cid),
            "name": root.get("Name", ""),
        }

    def _call(self, command: str, params: dict[str, str]) -> dict[str, Any]:
        return self._translated(lambda: with_retry(lambda: self._request(command, params), **self._retry))

    def _request(self, command: str, params: dict[str, str]) -> dict[str, Any]:
        reply = self.client.post(command, params=params)
        self._check(reply, command)
        answer = reply.json() if reply.content else {}
        return answer if isinstance(answer, dict) else {"value": answer}

    def _lines(self, command: str, params: dict[str, str], **kwargs: Any) -> list[dict[str, Any]]:
        """A command answering NDJSON (add, repo/gc), read whole (its lines are small), with
        an error line or trailer after a 200 raised as the node's error."""

        def once() -> list[dict[str, Any]]:
            with self.client.stream("POST", command, params=params, **kwargs) as reply:
                if reply.status_code != 200:
                    reply.read()
                    self._check(reply, command)
                lines = [json.loads(line) for line in reply.iter_lines() if line.strip()]
                trailer = reply.headers.get("X-Stream-Error")
            for line in lines:
                if line.get("Type") == "error":
                    raise self._refusal(500, str(line.get("Message", "")), command)
            if trailer:
                raise self._refusal(500, trailer, command)
            return lines

        return self._translated(lambda: with_retry(once, **self._retry))

    def _cat(self, path: str, chunk_size: int) -> Iterator[bytes]:
        def open_stream() -> httpx.Response:
            reply = self.client.send(
                self.client.build_request("POST", "cat", params={"arg": path}), stream=True
            )
            if reply.status_code != 200:
                reply.read()
                reply.close()
                self._check(reply, "cat")
            return reply

        reply = self._translated(lambda: with_retry(open_stream, **self._retry))
        try:
            with self._translating():
                yield from reply.iter_bytes(chunk_size)
                trailer = reply.headers.get("X-Stream-Error")
                if trailer:
                    raise self._refusal(500, trailer, "cat")
        finally:
            reply.close()

    def _check(self, reply: httpx.Response, command: str) -> None:
        if reply.status_code == 200:
            return
        message = _message(reply)
        if reply.status_code in (502, 503, 504):
            raise _NodeBusy(reply.status_code, message)
        raise self._refusal(reply.status_code, message, command)

    def _refusal(self, status: int, message: str, command: str) -> DomainError:
        said = f"the IPFS node refused {command}: {message}"
        lowered = message.lower()
        if status == 404 or any(words in lowered for words in _NOT_FOUND):
            return NotFound(said)
        if status == 413:
            return TooLarge(said)
        if status in (400, 405, 411, 414, 422) or "invalid" in lowered:
            return InvalidInput(said)
        return Unavailable(said, retry_after=RETRY_AFTER)

    def _translated(self, fn: Callable[[], T]) -> T:
        with self._translating():
            return fn()

    @contextlib.contextmanager
    def _translating(self) -> Iterator[None]:
        """Outside errors become domain errors here, at the boundary (raised from the original)."""
        try:
            yield
        except DomainError:
            raise
        except (_NodeBusy, httpx.TransportError) as exc:
            raise self._unavailable(exc) from exc
        except (ValueError, httpx.DecodingError) as exc:  # not JSON where JSON was due
            raise Unavailable(
                f"the IPFS node at {mask_url(self.api_url)} answered something that is not the Kubo RPC API",
                retry_after=RETRY_AFTER,
            ) from exc

    def _unavailable(self, exc: BaseException) -> Unavailable:
        where = mask_url(self.api_url)
        if isinstance(exc, _NodeBusy):
            text = f"the IPFS node at {where} is busy or down (HTTP {exc.status}); try again shortly"
        elif isinstance(exc, httpx.TimeoutException):
            text = f"the IPFS node at {where} did not answer within {self.timeout:g} s"
        else:
            text = f"the IPFS node at {where} cannot be reached; try again shortly"
        return Unavailable(text, retry_after=RETRY_AFTER)


def _message(reply: httpx.Response) -> str:
    """Kubo's error body is `{"Message": ..., "Code": ..., "Type": "error"}`; anything else is
    shown as its first line."""
    try:
        body = reply.json()
        if isinstance(body, dict) and body.get("Message"):
            return str(body["Message"])[:500]
    except ValueError:
        pass
    text = reply.text.strip().splitlines()
    return (text[0] if text else f"HTTP {reply.status_code}")[:500]
