"""The SeaweedFS harness (tests/support/seaweed.py) stops what it started, in bounded time, and
leaves none of weed's sockets behind; its S3 gateway checks signatures."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from tests.support.seaweed import SOCKETS, SeaweedServer


def test_stop_is_bounded_and_leaves_nothing(s3_server: SeaweedServer, tmp_path: Path) -> None:
    server = SeaweedServer(s3_server.binary, tmp_path / "weed").start()
    proc = server.proc
    assert proc is not None
    assert server.make_bucket("second") == "second"
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    assert proc.poll() is not None
    tmp = Path(tempfile.gettempdir())
    assert [name for name in SOCKETS if (tmp / name.format(**server.grpc)).exists()] == []


def test_unsigned_and_wrongly_signed_requests_are_refused(s3_server: SeaweedServer) -> None:
    import boto3
    from botocore.exceptions import ClientError

    wrong = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id="tidecast-test",
        aws_secret_access_key="not-the-secret",
        region_name="us-east-1",
    )
    with pytest.raises(ClientError) as refused:
        wrong.list_objects_v2(Bucket="tidecast")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
