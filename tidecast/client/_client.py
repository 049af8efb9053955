"""`Tidecast`: the platform's API as Python calls, over the generated client (_generated).

Each method calls one generated operation and returns its generated model (`Stream`,
`Playback`, `Wallet`...), or raises ApiError with the platform's `{error, code}` and status.
What the generated code cannot say is written here, and only that: following a page cursor,
the tus exchange's headers (the upload's offset and stream id arrive in headers, the generated
operations return them untyped), and signing the SIWE message.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import time
from collections.abc import Callable, Collection, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import httpx

from tidecast.client import _siwe
from tidecast.client._errors import ApiError, TidecastError, Unreachable
from tidecast.client._generated.api.auth import login, me, wallet_link, wallet_nonce
from tidecast.client._generated.api.keys import get_key
from tidecast.client._generated.api.streams import get_stream, list_streams, start_playback
from tidecast.client._generated.api.uploads import create_upload, upload_bytes, upload_offset
from tidecast.client._generated.client import AuthenticatedClient, Client
from tidecast.client._generated.models import (
    GetStreamResponse200,
    ListStreamsResponse200,
    Login,
    LoginBody,
    Me,
    MeResponse200,
    NonceBody,
    Playback,
    PlaybackBody,
    PublicUser,
    SignedBody,
    StartPlaybackResponse200,
    StatusFilter,
    Stream,
    TusResumable,
    Wallet,
    WalletLinkResponse200,
    WalletNonceResponse201,
)
from tidecast.client._generated.types import UNSET, File, Response

T = TypeVar("T")
TUS_VERSION: TusResumable = "1.0.0"
#: At most what one Lambda request carries once base64 (the platform's tus limit).
CHUNK_BYTES = 4 * 1024 * 1024
#: Containers mimetypes may not know on a machine without /etc/mime.types.
VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".ts": "video/mp2t",
    ".ogv": "video/ogg",
}
Progress = Callable[[int, int], None]


class Tidecast:
    """A tidecast platform at `base_url`, as an anonymous caller or, after `login` (or given a
    `token`), as that account. Use as a context manager, or call `close`."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 60) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// address, not {base_url[:80]!r}")
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout)
        self._last: httpx.Response | None = None
        self._anonymous = Client(self.base_url, timeout=self._timeout, httpx_args=self._hooks())
        self._account: AuthenticatedClient | None = None
        if token:
            self.use_token(token)

    # -- sessions ----------------------------------------------------------------------------

    def use_token(self, token: str) -> None:
        """Call as the account whose login token this is (from `login`, or kept from before)."""
        if self._account is not None:
            self._account.get_httpx_client().close()
        self._account = AuthenticatedClient(
            self.base_url, token=token, timeout=self._timeout, httpx_args=self._hooks()
        )

    @property
    def token(self) -> str | None:
        return self._account.token if self._account is not None else None

    def close(self) -> None:
        self._anonymous.get_httpx_client().close()
        if self._account is not None:
            self._account.get_httpx_client().close()

    def __enter__(self) -> Tidecast:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _logged_in(self) -> AuthenticatedClient:
        if self._account is None:
            raise TidecastError("this needs a login: call login(username, password) or pass token=")
        return self._account

    def _caller(self) -> AuthenticatedClient:
        """The account when logged in, else the anonymous client. The generator types operations
        that also take no login (`security: [bearer, {}]`) as wanting an AuthenticatedClient;
        they only ever call its httpx client, which the anonymous one has too."""
        return self._account or cast(AuthenticatedClient, self._anonymous)

    def _hooks(self) -> dict[str, Any]:
        """Keep each answer: when the generated code cannot parse one (a proxy's HTML 502, a
        body that breaks the model), the error is built from the answer itself."""

        def keep(response: httpx.Response) -> None:
            self._last = response

        return {"event_hooks": {"response": [keep]}}

    def _ok(self, call: Callable[[], Response[Any]], status: int = 200) -> Response[Any]:
        """The answer of `call` when its status is `status`; otherwise the ApiError it carries."""
        self._last = None
        try:
            answer = call()
        except httpx.TransportError as exc:
            raise Unreachable(f"the platform does not answer: {type(exc).__name__}: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            last = self._last
            if last is None:
                raise
            error = ApiError.from_answer(last.status_code, last.read(), last.headers)
            if 200 <= last.status_code < 300:  # a success body the contract does not allow
                error = ApiError(
                    last.status_code, f"undocumented answer: {exc}", "UNEXPECTED_ANSWER", error.request_id
                )
            raise error from exc
        if answer.status_code != status:
            raise ApiError.from_answer(answer.status_code, answer.content, answer.headers, answer.parsed)
        return answer

    # -- accounts ----------------------------------------------------------------------------

    def login(self, username: str, password: str) -> PublicUser:
        """Log in; later calls are made as this account."""
        answer = self._ok(
            lambda: login.sync_detailed(client=self._anonymous, body=LoginBody(username, password))
        )
        self.use_token(_model(answer, Login).token)
        return _model(answer, Login).user

    def me(self) -> Me:
        answer = self._ok(lambda: me.sync_detailed(client=self._logged_in()))
        return _model(answer, MeResponse200).data

    def link_wallet(self, private_key: str, *, chain_ids: Collection[int] | None = None) -> Wallet:
        """Link the wallet of `private_key` to this account by Sign-In with Ethereum: the
        platform writes the message, it is checked and signed here, the platform verifies.
        With `chain_ids`, a message for any other chain is refused before anything is signed
        (the CLI's demo keys are for development chains only)."""
        signer = _siwe.account(private_key)
        address = str(signer.address)
        body = NonceBody(purpose="link", address=address)
        answer = self._ok(lambda: wallet_nonce.sync_detailed(client=self._logged_in(), body=body), 201)
        nonce = _model(answer, WalletNonceResponse201).data
        if chain_ids is not None and nonce.chain_id not in chain_ids:
            raise _siwe.RefusedToSign(
                f"the platform is on chain {nonce.chain_id}, not one of {sorted(chain_ids)}; not signing"
            )
        message = nonce.message if isinstance(nonce.message, str) else ""
        _siwe.check(message, domain=nonce.domain, address=address, purpose="link")
        signed = SignedBody(message=message, signature=_siwe.sign(signer, message))
        answer = self._ok(lambda: wallet_link.sync_detailed(client=self._logged_in(), body=signed))
        return _model(answer, WalletLinkResponse200).data

    # -- streams and playback ----------------------------------------------------------------

    def streams(
        self,
        *,
        status: StatusFilter | None = None,
        mine: bool = False,
        page_size: int = 20,
    ) -> Iterator[Stream]:
        """Every stream, newest first (only mine with `mine=True`), page after page."""
        cursor: str | None = None
        owner: Literal["me"] | None = "me" if mine else None
        client = self._logged_in() if mine else self._caller()
        while True:
            page = _model(
                self._ok(
                    partial(
                        list_streams.sync_detailed,
                        client=client,
                        limit=page_size,
                        cursor=cursor if cursor is not None else UNSET,
                        status=status if status is not None else UNSET,
                        owner=owner if owner is not None else UNSET,
                    )
                ),
                ListStreamsResponse200,
            ).data
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def stream(self, stream_id: str) -> Stream:
        answer = self._ok(lambda: get_stream.sync_detailed(stream_id, client=self._caller()))
        return _model(answer, GetStreamResponse200).data

    def playback_token(self, stream_id: str, payment_stream_id: int | None = None) -> Playback:
        """A playback token for the stream: free (its owner, a price of 0) or paid by the
        on-chain payment stream `payment_stream_id` (a 402 ApiError says what is missing)."""
        body = PlaybackBody(payment_stream_id=payment_stream_id if payment_stream_id is not None else UNSET)
        answer = self._ok(
            lambda: start_playback.sync_detailed(stream_id, client=self._logged_in(), body=body)
        )
        return _model(answer, StartPlaybackResponse200).data

    def key(self, stream_id: str, period: int, playback_token: str) -> bytes:
        """The 16-byte AES-128 key of one key period; the Bearer is the playback token."""
        player = AuthenticatedClient(
            self.base_url, token=playback_token, timeout=self._timeout, httpx_args=self._hooks()
        )
        with player:
            answer = self._ok(lambda: get_key.sync_detailed(stream_id, str(period), client=player))
        return answer.content

    def wait_ready(
        self,
        stream_id: str,
        *,
        poll: float = 1.0,
        timeout: float | None = None,
        seen: Callable[[Stream], None] | None = None,
    ) -> Stream:
        """The stream once it is `ready`; a TidecastError if it `failed` (with its reason)
        or `timeout` seconds pass. `seen` gets each state read on the way."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            stream = self.stream(stream_id)
            if seen is not None:
                seen(stream)
            if stream.status == "ready":
                return stream
            if stream.status == "failed":
                raise TidecastError(f"stream {stream_id} failed: {stream.error}")
            if deadline is not None and time.monotonic() > deadline:
                raise TidecastError(f"stream {stream_id} is still {stream.status} after {timeout} s")
            time.sleep(poll)

    # -- uploads (tus 1.0: creation and core) ------------------------------------------------

    def upload(
        self,
        path: Path | str,
        title: str | None = None,
        *,
        filetype: str | None = None,
        chunk: int = CHUNK_BYTES,
        upload_id: str | None = None,
        progress: Progress | None = None,
        attempts: int = 5,
    ) -> str:
        """Upload a video in chunks of at most `chunk` bytes; return the stream made of it.

        A chunk whose connection fails is sent again from the offset the platform reports
        (HEAD), up to `attempts` times in a row. With `upload_id` (the last segment of a
        previous upload's Location), an interrupted upload of the same file resumes."""
        path = Path(path)
        if not 0 < chunk <= CHUNK_BYTES:
            raise ValueError(f"chunk must be 1 to {CHUNK_BYTES} bytes, not {chunk}")
        size = path.stat().st_size
        if size == 0:
            raise ValueError(f"{path} is empty")
        account = self._logged_in()
        if upload_id is None:
            upload_id = self.create_upload(path, title, filetype=filetype, size=size)
            offset = 0
        else:
            offset = self.upload_offset(upload_id)
        failures = 0
        with path.open("rb") as source:
            while True:
                source.seek(offset)
                body = File(payload=io.BytesIO(source.read(chunk)))
                try:
                    answer = self._ok(
                        partial(
                            upload_bytes.sync_detailed,
                            upload_id,
                            client=account,
                            body=body,
                            tus_resumable=TUS_VERSION,
                            upload_offset=str(offset),
                        ),
                        204,
                    )
                except Unreachable:
                    failures += 1
                    if failures > attempts:
                        raise
                    time.sleep(min(2**failures, 30))
                    offset = self.upload_offset(upload_id)  # what the platform kept of the lost chunk
                    continue
                failures = 0
                offset = int(answer.headers["upload-offset"])
                if progress is not None:
                    progress(offset, size)
                if offset >= size:
                    stream_id = answer.headers.get("tidecast-stream-id")
                    if not stream_id:
                        raise TidecastError(f"upload {upload_id} completed but the platform named no stream")
                    return stream_id

    def create_upload(
        self, path: Path, title: str | None = None, *, filetype: str | None = None, size: int | None = None
    ) -> str:
        """Declare an upload of `path` (tus creation); its id, for `upload(upload_id=...)`."""
        filetype = filetype or VIDEO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        if not filetype or not filetype.startswith("video/"):
            raise ValueError(f"cannot tell {path.name}'s video type from its name; pass filetype='video/...'")
        metadata = {"filename": path.name, "filetype": filetype, "title": title or path.stem}
        answer = self._ok(
            lambda: create_upload.sync_detailed(
                client=self._logged_in(),
                tus_resumable=TUS_VERSION,
                upload_length=str(size if size is not None else path.stat().st_size),
                upload_metadata=",".join(
                    f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items()
                ),
            ),
            201,
        )
        return answer.headers["location"].rstrip("/").rsplit("/", 1)[-1]

    def upload_offset(self, upload_id: str) -> int:
        """How many bytes of the upload the platform holds (tus HEAD)."""
        answer = self._ok(
            lambda: upload_offset.sync_detailed(
                upload_id, client=self._logged_in(), tus_resumable=TUS_VERSION
            )
        )
        return int(answer.headers["upload-offset"])


def _model(answer: Response[Any], kind: type[T]) -> T:
    """The parsed body, checked to be the documented success model."""
    if not isinstance(answer.parsed, kind):
        raise ApiError.from_answer(answer.status_code, answer.content, answer.headers)
    return answer.parsed
