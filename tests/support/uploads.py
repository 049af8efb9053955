"""tus requests in-process (as API Gateway sends them), a logged-in user, and a tiny video."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.support.accounts import add_user
from tests.support.events import aws_event
from tidecast.container import Services
from tidecast.functions.streams import handler as streams_handler
from tidecast.functions.uploads import handler as uploads_handler

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.status: int = raw["statusCode"]
        self.headers: dict[str, str] = {k.lower(): v for k, v in raw["headers"].items()}
        text = base64.b64decode(raw["body"]) if raw.get("isBase64Encoded") else raw["body"].encode()
        self.body: dict[str, Any] = json.loads(text) if text else {}

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.headers}, {self.body})"


def user_token(
    svc: Services, engine: Engine, user_id: str = "u1", username: str = "ann", *, verified: bool = True
) -> str:
    """A login token of a new user, whose email address is verified unless `verified=False`
    (uploading needs it)."""
    add_user(engine, user_id, username, f"{username}@example.com", verified=verified)
    return svc.tokens.issue(user_id=user_id, username=username, session_version=0)


def tus(
    method: str,
    route: str = "",
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    version: str = "1.0",
) -> Reply:
    sent = {**TUS, **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    path = "/.netlify/functions/uploads" + (f"/{route}" if route else "")
    event = aws_event(version, method, path, headers=sent)
    if body:
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    return Reply(uploads_handler(event, None))


def streams(method: str, route: str = "", *, token: str | None = None) -> Reply:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = "/.netlify/functions/streams" + (f"/{route}" if route else "")
    return Reply(streams_handler(aws_event("1.0", method, path, headers=headers), None))


def metadata(**fields: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


def create(token: str, length: int, **fields: str) -> Reply:
    fields = fields or {"filename": "clip.mp4", "filetype": "video/mp4", "title": "My clip"}
    return tus(
        "POST", token=token, headers={"Upload-Length": str(length), "Upload-Metadata": metadata(**fields)}
    )


def patch(token: str, upload_id: str, offset: int, data: bytes, **headers: str) -> Reply:
    sent = {"Content-Type": OFFSET_TYPE, "Upload-Offset": str(offset), **headers}
    return tus("PATCH", upload_id, token=token, headers=sent, body=data)


def upload_all(token: str, data: bytes, chunk: int = 64 * 1024) -> tuple[str, Reply]:
    created = create(token, len(data))
    assert created.status == 201, created
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    offset, reply = 0, created
    while offset < len(data):
        reply = patch(token, upload_id, offset, data[offset : offset + chunk])
        assert reply.status == 204, reply
        offset = int(reply.headers["upload-offset"])
    return upload_id, reply


def make_video(path: Path, *, seconds: float = 2.0, size: str = "320x180", audio: bool = True) -> Path:
    """A tiny H.264/AAC MP4 from lavfi (testsrc2 + sine), with the ffmpeg tidecast uses."""
    from tidecast.media.ffmpeg import ffmpeg_path

    args = [
        ffmpeg_path(None),
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate=15:duration={seconds}",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-b:a", "32k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(args, check=True, timeout=60, capture_output=True)
    return path


def upload_over_http(client: Any, token: str, video: bytes, title: str) -> str:
    """A tus upload to a running platform (`client`: an httpx.Client on its base URL) in one
    PATCH, as a creator's client sends it; the stream id."""
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"filename": f"{title}.mp4", "filetype": "video/mp4", "title": title}.items()
    )
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    made = client.post(
        "/api/uploads", headers={**auth, "Upload-Length": str(len(video)), "Upload-Metadata": meta}
    )
    assert made.status_code == 201, made.text
    done = client.patch(
        made.headers["location"],
        headers={**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=video,
    )
    assert done.status_code == 204, done.text
    return str(done.headers["tidecast-stream-id"])
