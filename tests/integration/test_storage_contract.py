"""The storage contract (tidecast/storage): the same tests on the local directory and on a real
S3 server (SeaweedFS), so code written against the interface behaves the same on both."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.parts import free_port
from tests.support.seaweed import S3_BUCKET, SeaweedServer
from tidecast.errors import ConfigError, InvalidInput, Unavailable
from tidecast.storage import LocalStorage, MissingObject, Storage, open_storage
from tidecast.storage.s3 import S3Storage


@pytest.fixture(params=["local", "seaweedfs"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "objects", public_base="/streams")
        return
    server: SeaweedServer = request.getfixturevalue("s3_server")
    # A fresh prefix a test: the session's one bucket is shared, and a test sees only its own.
    yield S3Storage(
        S3_BUCKET, f"t-{secrets.token_hex(6)}", endpoint_url=server.endpoint, client=server.client()
    )


def test_round_trip_bytes(storage: Storage, tmp_path: Path) -> None:
    data = os.urandom(1000) + b"\x00\r\n"
    assert storage.put("uploads/abc/00000000000000000000", data) == len(data)
    assert storage.get("uploads/abc/00000000000000000000") == data
    assert storage.size("uploads/abc/00000000000000000000") == len(data)
    assert storage.exists("uploads/abc/00000000000000000000")
    assert storage.download("uploads/abc/00000000000000000000", tmp_path / "copy") == len(data)
    assert (tmp_path / "copy").read_bytes() == data
    # A second put replaces the object whole.
    storage.put("uploads/abc/00000000000000000000", b"short")
    assert storage.get("uploads/abc/00000000000000000000") == b"short"


def test_empty_object(storage: Storage) -> None:
    assert storage.put("streams/s/empty", b"") == 0
    assert storage.get("streams/s/empty") == b""
    assert storage.size("streams/s/empty") == 0


def test_large_object_is_streamed_both_ways(storage: Storage, tmp_path: Path) -> None:
    """A file object goes up without being read whole (multipart above the threshold on S3) and
    comes down into a file; the bytes are the same."""
    if isinstance(storage, S3Storage):
        storage.multipart_threshold = 5 << 20  # S3's smallest part: a 12 MiB put is 3 parts
    source = tmp_path / "big"
    digest = hashlib.sha256()
    with source.open("wb") as out:
        for _ in range(12):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    with source.open("rb") as handle:
        assert storage.put("uploads/big/source", handle) == 12 << 20
    assert storage.size("uploads/big/source") == 12 << 20
    assert storage.download("uploads/big/source", tmp_path / "back") == 12 << 20
    assert hashlib.sha256((tmp_path / "back").read_bytes()).hexdigest() == digest.hexdigest()


def test_missing_key_is_a_domain_error(storage: Storage, tmp_path: Path) -> None:
    for attempt in (
        lambda: storage.get("streams/none/master.m3u8"),
        lambda: storage.size("streams/none/master.m3u8"),
        lambda: storage.download("streams/none/master.m3u8", tmp_path / "x"),
    ):
        with pytest.raises(MissingObject, match=r"streams/none/master\.m3u8"):
            attempt()
    assert not storage.exists("streams/none/master.m3u8")


def test_delete_is_idempotent(storage: Storage) -> None:
    storage.put("streams/s1/a.ts", b"a")
    storage.delete("streams/s1/a.ts")
    assert not storage.exists("streams/s1/a.ts")
    storage.delete("streams/s1/a.ts")  # again: no error
    storage.delete("streams/never/was.ts")
    assert storage.list("streams/") == []


def test_list_by_prefix_sorted_and_delete_prefix(storage: Storage) -> None:
    for key in (
        "uploads/u1/00000000000004194304",
        "uploads/u1/00000000000000000000",
        "uploads/u10/00000000000000000000",
        "streams/s1/master.m3u8",
        "streams/s1/720p/segment0.ts",
    ):
        storage.put(key, key.encode())
    listed = storage.list("uploads/u1/")
    assert [item.key for item in listed] == [
        "uploads/u1/00000000000000000000",
        "uploads/u1/00000000000004194304",
    ]
    assert [item.size for item in listed] == [len(item.key) for item in listed]
    assert all(item.modified.tzinfo is not None for item in listed)
    assert [item.key for item in storage.list("streams/")] == [
        "streams/s1/720p/segment0.ts",
        "streams/s1/master.m3u8",
    ]
    assert len(storage.list()) == 5
    assert storage.list("nothing/") == []

    assert storage.delete_prefix("uploads/u1/") == 2
    assert [item.key for item in storage.list("uploads/")] == ["uploads/u10/00000000000000000000"]
    assert storage.delete_prefix("uploads/u1/") == 0
    with pytest.raises(InvalidInput, match="refusing to delete everything"):
        storage.delete_prefix("")


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/etc/passwd",
        "streams/../../x",
        "streams//x",
        "streams/./x",
        "a\\b",
        "a\x00b",
        "",
        "a/",
    ],
)
def test_keys_refuse_escapes(storage: Storage, key: str, tmp_path: Path) -> None:
    for attempt in (
        lambda: storage.put(key, b"x"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.url(key),
    ):
        with pytest.raises(InvalidInput, match="storage key"):
            attempt()
    with pytest.raises(InvalidInput, match=r"storage (key|prefix)"):
        storage.list(key + "/")
    assert list(tmp_path.parent.glob("passwd")) == []


def test_public_url_serves_the_object(storage: Storage) -> None:
    storage.put("streams/s2/master.m3u8", b"#EXTM3U\n")
    url = storage.url("streams/s2/master.m3u8")
    if isinstance(storage, LocalStorage):
        assert url == "/streams/streams/s2/master.m3u8"
        return
    # SeaweedFS as configured refuses anonymous reads (a bucket policy or a CDN opens them in
    # production); the URL is the object's, so a signed read of it answers the bytes.
    assert isinstance(storage, S3Storage)
    key = f"{storage.prefix}streams/s2/master.m3u8"
    signed = storage.client.generate_presigned_url("get_object", Params={"Bucket": S3_BUCKET, "Key": key})
    assert url == f"{storage.endpoint_url}/{S3_BUCKET}/{key}"
    assert signed.split("?", 1)[0] == url
    with urllib.request.urlopen(signed, timeout=10) as answer:
        assert answer.read() == b"#EXTM3U\n"


def test_local_put_never_leaves_a_partial_object(tmp_path: Path) -> None:
    """A put whose source fails mid-way leaves the old object, and no temporary file listed."""
    storage = LocalStorage(tmp_path / "objects")
    storage.put("streams/s/a.ts", b"old")

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            raise OSError(5, "Input/output error")

    with pytest.raises(Unavailable, match="storage"):
        storage.put("streams/s/a.ts", Broken())  # type: ignore[arg-type]
    assert storage.get("streams/s/a.ts") == b"old"
    assert [item.key for item in storage.list()] == ["streams/s/a.ts"]
    assert sorted(p.name for p in (tmp_path / "objects/streams/s").iterdir()) == ["a.ts"]


def test_s3_down_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that does not answer is Unavailable (retried), naming the bucket."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    down = open_storage(f"s3://nobucket/p?endpoint=http://127.0.0.1:{free_port()}", local_root=tmp_path)
    with pytest.raises(Unavailable, match="s3://nobucket/p/"):
        down.get("streams/x")


def test_open_storage_reads_the_setting(tmp_path: Path) -> None:
    assert isinstance(open_storage(None, local_root=tmp_path), LocalStorage)
    local = open_storage(f"file://{tmp_path / 'media'}", local_root=tmp_path)
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "media"
    s3 = open_storage(
        "s3://media-bucket/prod/v1?endpoint=http://127.0.0.1:9&region=eu-west-1&public_url=https://cdn.example/m",
        local_root=tmp_path,
    )
    assert isinstance(s3, S3Storage)
    assert s3.bucket == "media-bucket" and s3.prefix == "prod/v1/"
    assert s3.url("streams/s/master.m3u8") == "https://cdn.example/m/prod/v1/streams/s/master.m3u8"
    assert s3._client is None  # a URL needs no client (boto3 costs a cold start ~0.6 s)
    for bad, why in (
        ("ftp://x/y", "unknown scheme"),
        ("s3://key:secret@bucket/p", "credentials do not belong"),
        ("s3:///p", "needs a bucket"),
        ("s3://b/p?endpont=http://x", "unknown option"),
        ("s3://b/p?endpoint=127.0.0.1:9000", "must be an http"),
        ("s3://b/../p", "TIDECAST_STORAGE_URL"),
    ):
        with pytest.raises(ConfigError, match=why):
            open_storage(bad, local_root=tmp_path)
