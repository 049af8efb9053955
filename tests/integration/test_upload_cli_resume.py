"""`tidecast upload` against the real dev server through a proxy the test cuts mid-chunk: the
command asks the server where it stopped (HEAD, Upload-Offset) and sends the rest, and the
upload completes into a stream; nothing is sent twice or lost."""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.support.devserver import running_devserver
from tests.support.ipfs_node import running_node
from tests.support.media import ffmpeg
from tests.support.proxy import TcpProxy
from tests.support.seaweed import S3_BUCKET
from tests.support.services import build_services
from tests.support.uploads import user_token
from tidecast.cli import app

NETLIFY = """
[build]
  functions = "fns"
  publish = "public"
[[redirects]]
  from = "/api/*"
  to = "/.netlify/functions/:splat"
  status = 200
"""
MIB = 1024 * 1024


@pytest.mark.parametrize("storage", ["local", "seaweedfs"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_upload_resumes_a_chunk_cut_mid_transfer(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    storage: str,
    request: pytest.FixtureRequest,
) -> None:
    """On the local directory and on an object store (SeaweedFS), where each chunk is an object."""
    stored: dict[str, str] = {}
    if storage == "seaweedfs":
        server = request.getfixturevalue("s3_server")
        for name, value in server.credentials_env().items():
            monkeypatch.setenv(name, value)
        prefix = f"t-{secrets.token_hex(6)}"
        stored["TIDECAST_STORAGE_URL"] = f"s3://{S3_BUCKET}/{prefix}?endpoint={server.endpoint}"
    project = tmp_path / "site"
    (project / "fns").mkdir(parents=True)
    (project / "public").mkdir()
    (project / "netlify.toml").write_text(NETLIFY)
    for name in ("uploads", "streams"):
        (project / "fns" / f"{name}.py").write_text(
            f"from tidecast.functions.{name} import app, handler  # noqa\n"
        )
    video = tmp_path / "big.mp4"  # about 3 MB: three 1 MiB chunks
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "8M", "-pix_fmt", "yuv420p", str(video),
    )  # fmt: skip
    size = video.stat().st_size
    assert size > 2 * MIB
    with running_node(tmp_path / "ipfs") as node:
        # No transcode here (its drains stay quiet): the upload is what is under test.
        svc = build_services(
            engine,
            quiet=("jobs", "events"),
            bind=True,
            IPFS_API_URL=node.url,
            HLS_OUTPUT_DIR=str(project / "public" / "streams"),
            **stored,
        )
        token = user_token(svc, engine)
        with running_devserver(project) as base:
            proxy = TcpProxy(("127.0.0.1", int(base.rsplit(":", 1)[1]))).up()
            proxy.cut_after(int(1.5 * MIB))  # in the middle of the second chunk
            cut = threading.Event()

            def come_back() -> None:  # the proxy returns a moment after it went down
                while proxy._listener is not None:
                    time.sleep(0.05)
                cut.set()
                time.sleep(0.5)
                proxy.up()

            threading.Thread(target=come_back, daemon=True).start()
            result = CliRunner().invoke(
                app,
                [
                    "upload",
                    str(video),
                    "--title",
                    "Cut",
                    "--chunk-mib",
                    "1",
                    "--url",
                    proxy.url,
                    "--token",
                    token,
                ],
            )
            assert cut.is_set(), "the proxy was never cut: the test did not test a resume"
            assert result.exit_code == 0, result.output
            stream_id = result.stdout.strip().splitlines()[-1]
            stream = httpx.get(f"{base}/api/streams/{stream_id}", timeout=20).json()["data"]
            assert stream["title"] == "Cut" and stream["status"] == "processing"
            proxy.down()
        if svc.uploads.objects is None:
            kept = [path.read_bytes() for path in svc.uploads.directory.iterdir() if path.is_file()]
        else:
            assert not svc.uploads.directory.exists()  # nothing on the local disk
            upload_ids = {o.key.split("/")[1] for o in svc.uploads.objects.storage.list("uploads/")}
            kept = []
            for upload_id in upload_ids:
                with svc.uploads.source_file(upload_id) as source:
                    kept.append(source.read_bytes())
        svc.close()
    # The server holds the file exactly: the lost part of the cut chunk was sent again, once.
    assert kept == [video.read_bytes()]
