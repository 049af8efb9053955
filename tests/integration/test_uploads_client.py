"""A real tus client (tuspy) against the real dev server: chunked upload, a resume by a new
client from the server's offset, then the transcode, and the HLS files served under
/streams/<id>/ with their content types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from tusclient.client import TusClient

from tests.support.devserver import running_devserver
from tests.support.ipfs_node import running_node
from tests.support.uploads import make_video, user_token
from tidecast.container import Services
from tidecast.functions.uploads import CHUNK_BYTES
from tidecast.media.encrypt import decrypt

NETLIFY = """
[build]
  functions = "fns"
  publish = "public"
[[redirects]]
  from = "/api/*"
  to = "/.netlify/functions/:splat"
  status = 200
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_tuspy_uploads_resumes_and_the_stream_is_served(
    engine: Engine, tmp_path: Path, make_services: Callable[..., Services]
) -> None:
    project = tmp_path / "site"
    (project / "fns").mkdir(parents=True)
    (project / "public").mkdir()
    (project / "public" / "404.html").write_text("missing")
    (project / "netlify.toml").write_text(NETLIFY)
    for name in ("uploads", "streams"):  # the project's own function modules, under this site
        (project / "fns" / f"{name}.py").write_text(
            f"from tidecast.functions.{name} import app, handler  # noqa\n"
        )
    video = make_video(tmp_path / "in.mp4", seconds=2)
    with running_node(tmp_path / "ipfs") as node:
        svc = make_services(
            engine,
            quiet=("jobs", "events"),
            bind=True,
            IPFS_API_URL=node.url,
            HLS_OUTPUT_DIR=project / "public" / "streams",
            TIDECAST_HLS_LADDER="180p:300k:32k,90p:100k:32k",
            TIDECAST_HLS_PRESET="ultrafast",
        )
        token = user_token(svc, engine)
        with running_devserver(project) as base:
            headers = {"Authorization": f"Bearer {token}"}
            chunk = 16 * 1024
            assert chunk < CHUNK_BYTES
            meta = {"filename": "in.mp4", "filetype": "video/mp4", "title": "From tuspy"}
            first = TusClient(f"{base}/api/uploads", headers=headers).uploader(
                str(video), chunk_size=chunk, metadata=meta
            )
            first.upload_chunk()
            first.upload_chunk()  # then the client "crashes"; the server has two chunks
            assert first.url is not None and first.url.startswith(f"{base}/api/uploads/")
            with httpx.Client(base_url=base, timeout=20) as http:
                head = http.head(first.url, headers={**headers, "Tus-Resumable": "1.0.0"})
                assert head.status_code == 200 and head.headers["upload-offset"] == str(2 * chunk)

                resumed = TusClient(f"{base}/api/uploads", headers=headers).uploader(
                    str(video), chunk_size=chunk, url=first.url
                )
                assert resumed.offset == 2 * chunk  # it asked the server where to go on from
                resumed.upload()
                head = http.head(first.url, headers={**headers, "Tus-Resumable": "1.0.0"})
                assert head.headers["upload-offset"] == str(video.stat().st_size)
                stream_id = head.headers["tidecast-stream-id"]

                svc.jobs.run_due()
                stream = http.get(f"/api/streams/{stream_id}").json()["data"]
                assert stream["status"] == "ready" and stream["title"] == "From tuspy"
                master = http.get(stream["masterPlaylist"])
                assert master.status_code == 200
                assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
                playlist = http.get(stream["variants"][0]["playlist"])
                assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
                lines = playlist.text.splitlines()
                segment = next(line for line in lines if line.endswith(".ts"))
                key_line = next(line for line in lines if line.startswith("#EXT-X-KEY:"))
                assert f'URI="/api/keys/{stream_id}/0"' in key_line
                ts = http.get(stream["variants"][0]["playlist"].rsplit("/", 1)[0] + "/" + segment)
                assert ts.status_code == 200 and ts.headers["content-type"] == "video/mp2t"
                # Published encrypted (HLS AES-128): not MPEG-TS as served, MPEG-TS once opened.
                assert ts.content[:1] != b"G" or ts.content[188:189] != b"G"
                iv = bytes.fromhex(key_line.split("IV=0x", 1)[1].split(",", 1)[0])
                plain = decrypt(ts.content, svc.media_keys.key(stream_id, 0), iv)
                assert plain[:1] == b"G" and plain[188:189] == b"G"  # MPEG-TS sync bytes
                thumb = http.get(stream["thumbnail"])
                assert thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
        svc.close()
