"""Watch while it transcodes: from an upload's last byte to its first playable segment, and to
`ready`, for a long 1080p source, through the real pipeline.

Source: bench/hls.py's synthetic 1080p30 clip (five hard scenes with sensor-like grain, stereo
audio; `--clip-seconds`, default 60), repeated by stream copy to `--seconds` (default 600, ten
minutes), so the encoder meets the same content throughout. Made once per run in a temporary
directory.

The platform as `make dev` runs it, in process: SQLite, the embedded IPFS node, the default
ladder (720p/480p/360p), x264's medium preset and 10 s segments (or the environment's
TIDECAST_HLS_* and HLS_SEGMENT_LENGTH), one key period a segment. The video is sent as tus
PATCHes of 4 MiB to the uploads function; the clock starts when the last one is answered (the
stream exists, its job is queued) and the job runs on a thread while this one reads the stream's
row every 50 ms, as the watch page's poll would.

Figures: seconds to `playable` (the master and every rendition's first segment published, keys
stored) and to `ready` (the whole ladder, the measured master, the thumbnails, the IPFS add and
pin). Anchor: `ready`, which is when the stream became watchable before this issue; the ratio
is first playable / ready. Equal output: the playlist published at the first playable moment is
checked to be the start of the final one, byte for byte (it only grew). Aim: first playable in
under 15 s.

    .venv/bin/python bench/live.py [--seconds 600] [--clip-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hls as hls_bench

CHUNK = 4 * 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--clip-seconds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tidecast-bench-live-") as tmp:
        run(Path(tmp), args.seconds, args.clip_seconds)


def run(tmp: Path, seconds: int, clip_seconds: int) -> None:
    from tidecast.media.ffmpeg import ffmpeg_path

    ffmpeg = ffmpeg_path(None)
    clip, source = tmp / "clip.mp4", tmp / "source.mp4"
    started = time.monotonic()
    hls_bench.make_source(ffmpeg, clip_seconds, clip)
    loops = -(-seconds // clip_seconds) - 1
    hls_bench.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-stream_loop", str(loops),
         "-i", str(clip), "-t", str(seconds), "-c", "copy", "-movflags", "+faststart", str(source)]
    )  # fmt: skip
    size = source.stat().st_size
    print(f"source: {seconds} s of 1080p30 ({size / 1e6:.0f} MB), made in {time.monotonic() - started:.0f} s")

    from tests.support.ipfs_node import running_node

    with running_node(tmp / "ipfs") as node:
        measure(tmp, source, seconds, node.url)


def measure(tmp: Path, source: Path, seconds: int, ipfs_url: str) -> None:
    from tests.support.services import build_services
    from tests.support.uploads import create, patch, user_token
    from tidecast.db.migrate import upgrade

    os.environ.setdefault("TIDECAST_DATA_DIR", str(tmp / "data"))
    svc = build_services(
        None,
        quiet=("jobs", "events"),
        bind=True,
        DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        TIDECAST_DATA_DIR=str(tmp / "data"),
        HLS_OUTPUT_DIR=str(tmp / "streams"),
        IPFS_API_URL=ipfs_url,
        TIDECAST_IPFS_TIMEOUT="600",
    )
    upgrade(svc.engine)
    settings = svc.settings
    print(
        f"ladder {settings.tidecast_hls_ladder}, preset {settings.tidecast_hls_preset}, "
        f"{settings.hls_segment_length} s segments"
    )
    token = user_token(svc, svc.engine)
    size = source.stat().st_size
    created = create(token, size)
    assert created.status == 201, created
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    offset, reply = 0, created
    with source.open("rb") as body:
        while offset < size:
            reply = patch(token, upload_id, offset, body.read(CHUNK))
            assert reply.status == 204, reply
            offset = int(reply.headers["upload-offset"])
    last_byte = time.monotonic()
    stream_id = reply.headers["tidecast-stream-id"]

    failure: list[BaseException] = []

    def work() -> None:
        try:
            svc.jobs.run_due()
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    out = tmp / "streams" / stream_id
    playable_at: float | None = None
    ready_at: float | None = None
    first_playlist = ""
    while worker.is_alive() and ready_at is None:
        stream = svc.streams.get(stream_id)
        if playable_at is None and stream.playable:
            playable_at = time.monotonic() - last_byte
            first_playlist = (out / "720p" / "playlist.m3u8").read_text()
        if stream.status == "ready":
            ready_at = time.monotonic() - last_byte
        time.sleep(0.05)
    worker.join()
    if failure:
        raise failure[0]
    stream = svc.streams.get(stream_id)
    assert stream.status == "ready" and ready_at is not None, (stream.status, stream.error)
    assert playable_at is not None, "never playable before ready"
    grew = (out / "720p" / "playlist.m3u8").read_text().startswith(first_playlist)
    listed = first_playlist.count("#EXTINF")
    print(
        f"first playable        {playable_at:7.1f} s after the last byte ({listed} segment(s) of 720p listed)"
    )
    print(f"ready (anchor)        {ready_at:7.1f} s  ({seconds / ready_at:.2f}x realtime end to end)")
    print(f"ratio playable/ready  {playable_at / ready_at:7.3f}")
    print(f"equal output: the first playlist is the start of the final one: {grew}")
    print(f"aim: first playable under 15 s: {'met' if playable_at < 15 else 'missed'}")
    svc.close()


if __name__ == "__main__":
    main()
