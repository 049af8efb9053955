"""Objects in an S3-compatible store (AWS S3, SeaweedFS, MinIO, R2), through boto3.

Credentials come from boto3's own chain (the Lambda or ECS role, or AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY), never from tidecast's settings, so the storage URL is safe to print.
A put above `multipart_threshold` goes as a multipart upload (s3transfer), which S3 makes
visible only when it completes: a reader never sees part of an object, as with the local
directory's rename. Errors are translated here: a missing key is MissingObject, anything the
store or the network refuses is Unavailable naming the bucket.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from tidecast.errors import Unavailable
from tidecast.storage.base import MissingObject, Storage, StoredObject, check_key, check_prefix

#: Above this a put is a multipart upload (S3's parts are at least 5 MiB).
MULTIPART_THRESHOLD = 8 << 20
MULTIPART_CHUNK = 8 << 20
#: DeleteObjects takes at most this many keys a request.
DELETE_BATCH = 1000
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        public_base: str | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = check_prefix(prefix.strip("/") + "/") if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.public_base = (public_base or self._default_public_base(endpoint_url, region)).rstrip("/")
        self.multipart_threshold = multipart_threshold
        self.region = region
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """boto3's client, built on first use: importing boto3 and loading S3's service model
        costs about 0.6 s, which `url` (string work) must not make a cold start pay."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _client(self.endpoint_url, self.region)
        return self._client

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3Storage(s3://{self.bucket}/{self.prefix}{where})"

    def _default_public_base(self, endpoint_url: str | None, region: str | None) -> str:
        if endpoint_url:  # path-style, as the store serves it
            return f"{endpoint_url.rstrip('/')}/{self.bucket}"
        return f"https://{self.bucket}.s3.{region or 'us-east-1'}.amazonaws.com"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> int:
        full = self._key(key)
        extra = {
            name: value
            for name, value in (("ContentType", content_type), ("CacheControl", cache_control))
            if value is not None
        }
        body: BinaryIO = io.BytesIO(bytes(data)) if isinstance(data, bytes | bytearray | memoryview) else data
        from boto3.s3.transfer import TransferConfig  # lazy: boto3 only where S3 is configured

        counted = _Counting(body)
        config = TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=max(MULTIPART_CHUNK, 5 << 20),
            use_threads=False,
        )
        with self._translate(key):
            self.client.upload_fileobj(counted, self.bucket, full, ExtraArgs=extra or None, Config=config)
        return counted.count

    def get(self, key: str) -> bytes:
        full = self._key(key)
        with self._translate(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=full)
            return bytes(answer["Body"].read())

    def download(self, key: str, target: Path) -> int:
        full = self._key(key)
        with self._translate(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=full)
            body = answer["Body"]
            size = 0
            with Path(target).open("wb") as out:
                for chunk in body.iter_chunks(1 << 20):
                    out.write(chunk)
                    size += len(chunk)
            return size

    def size(self, key: str) -> int:
        full = self._key(key)
        with self._translate(key):
            return int(self.client.head_object(Bucket=self.bucket, Key=full)["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except MissingObject:
            return False
        return True

    def delete(self, key: str) -> None:
        full = self._key(key)
        with self._translate(key):
            self.client.delete_object(Bucket=self.bucket, Key=full)

    def list(self, prefix: str = "") -> list[StoredObject]:
        full = self.prefix + check_prefix(prefix)
        found = []
        with self._translate(prefix or "/"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", ()):
                    found.append(
                        StoredObject(item["Key"][len(self.prefix) :], int(item["Size"]), item["LastModified"])
                    )
        return sorted(found, key=lambda item: item.key)

    def delete_prefix(self, prefix: str) -> int:
        """One DeleteObjects request per thousand keys, not one request per object."""
        if check_prefix(prefix) == "":
            return super().delete_prefix(prefix)  # refuses
        keys = [self.prefix + item.key for item in self.list(prefix)]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            with self._translate(prefix):
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise Unavailable(
                    f"storage: s3://{self.bucket} refused to delete {len(errors)} objects under "
                    f"{prefix!r} ({first.get('Code')}: {first.get('Message')})",
                    retry_after=60,
                )
        return len(keys)

    def url(self, key: str) -> str:
        return f"{self.public_base}/{quote(self._key(key))}"

    # -- errors ------------------------------------------------------------------------------

    @contextmanager
    def _translate(self, key: str) -> Iterator[None]:
        """botocore's errors as the domain's, at the boundary."""
        from botocore.exceptions import BotoCoreError, ClientError  # lazy: loaded with boto3

        where = f"s3://{self.bucket}/{self.prefix}"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _MISSING:
                raise MissingObject(f"no object {key!r} in storage") from None
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise Unavailable(
                f"storage: {where} refused ({code or status}: {error.get('Message') or exc})",
                retry_after=60,
            ) from exc
        except BotoCoreError as exc:
            raise Unavailable(f"storage: {where} unreachable ({exc})", retry_after=60) from exc


class _Counting(io.RawIOBase):
    """A reader that counts what went through it (a put answers the size it stored)."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3  # lazy: boto3 costs ~0.6 s with its client; only an S3-configured part pays it
    from botocore.config import Config  # lazy: with boto3 above

    # Its own session, not boto3's module-level default one, which keeps the credentials it
    # first resolved for the life of the process (a container built later, with other
    # settings, would silently sign with the old ones).
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        ),
    )
