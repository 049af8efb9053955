"""Encrypting as ffmpeg writes: what the segment receiver costs over the bare command.

Since issue 18 no plaintext segment is written: HLSService hands ffmpeg a loopback HTTP
receiver (tidecast/media/receiver.py) that encrypts each segment as it arrives. This measures,
on one source, interleaved, medians of `--repeats`:
  anchor   the bare ladder command (the argument list HLSService builds) writing plaintext
           segments and playlists straight to files: no receiver, no encryption;
  tidecast HLSService.create_hls_stream with a KeyRing, as the transcode job runs it: probe,
           the same command PUTting each segment to the receiver, AES-128-CBC per segment with a
           random IV, the key lines added, the playlists measured, the thumbnail.
Equal output: every tidecast segment, decrypted with its key and IV, must be byte for byte the
anchor's segment of the same name, so the figure compares the same work. x264's rate control
with frame threads gives slightly different bytes on every run (measured: the bare command
twice, segment 0 differs at byte 23,915), so both arms run x264 on one thread (`-threads 1`),
which is deterministic; the receiver's work does not depend on how x264 is threaded.
Aim: tidecast within 5 % of the anchor's wall time (HLSService's fixed work, probe and
thumbnail, included).

    .venv/bin/python bench/receiver.py [--seconds 20] [--size 1280x720] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tidecast.media import ffmpeg as ff
from tidecast.media.encrypt import KeyRing, decrypt
from tidecast.media.hls import HLSService
from tidecast.media.ladder import DEFAULT_LADDER, plan
from tidecast.media.probe import probe

AIM = 0.05
SEGMENT = 4
THREADS = 1
_KEY = re.compile(r'#EXT-X-KEY:METHOD=AES-128,URI="[^"]*/(\d+)",IV=0x([0-9a-f]{32})')


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def make_source(ffmpeg: str, out: Path, seconds: int, size: str) -> None:
    subprocess.run(
        [
            ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds},noise=alls=6:allf=t",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-shortest", str(out),
        ],
        check=True,
    )  # fmt: skip


def bare_command(ffmpeg: str, source: Path, out: Path, preset: str) -> list[str]:
    """HLSService's argument list, to files."""
    info = probe(source)
    renditions = plan(DEFAULT_LADDER, info.width, info.height)
    for r in renditions:
        (out / r.name).mkdir(parents=True)
    return ff.ladder_command(
        ffmpeg, source, str(out / "%v" / "segment%d.ts"), str(out / "%v" / "playlist.m3u8"), renditions,
        fps=ff.output_fps(info.fps, info.base_fps, info.variable_frame_rate), has_audio=info.has_audio,
        segment_length=SEGMENT, encoding=ff.Encoding(preset=preset, threads=THREADS),
    )  # fmt: skip


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(go: Callable[[], None]) -> tuple[float, float]:
    start, cpu = time.monotonic(), children_cpu() + own_cpu()
    go()
    return time.monotonic() - start, children_cpu() + own_cpu() - cpu


def check_equal(bare: Path, encrypted: Path, keys: list[bytes]) -> int:
    """Every encrypted segment decrypts to the bare run's segment of that name; how many."""
    checked = 0
    for playlist in sorted(encrypted.glob("*/playlist.m3u8")):
        pending: tuple[bytes, bytes] | None = None
        for line in playlist.read_text().splitlines():
            found = _KEY.match(line)
            if found:
                pending = (keys[int(found[1])], bytes.fromhex(found[2]))
            elif line and not line.startswith("#") and pending is not None:
                plain = decrypt((playlist.parent / line).read_bytes(), *pending)
                if plain != (bare / playlist.parent.name / line).read_bytes():
                    sys.exit(f"bench: {playlist.parent.name}/{line} differs from the bare command's")
                checked += 1
    if not checked:
        sys.exit("bench: no segments compared")
    return checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    ffmpeg = ff.ffmpeg_path(None)
    work = Path(tempfile.mkdtemp(prefix="tidecast-bench-receiver-", dir=args.work))
    try:
        source = work / "source.mp4"
        make_source(ffmpeg, source, args.seconds, args.size)
        print(
            f"source: {args.seconds} s {args.size} 30 fps with audio, {source.stat().st_size:,} bytes; "
            + load_note()
        )
        walls: dict[str, list[float]] = {
            "anchor bare command to files": [],
            "tidecast receiver, encrypted": [],
        }
        cpus: dict[str, list[float]] = {name: [] for name in walls}
        for repeat in range(args.repeats):
            bare_out = work / f"bare-{repeat}"
            command = bare_command(ffmpeg, source, bare_out, args.preset)

            def bare(command: list[str] = command) -> None:
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, start_new_session=True)

            service = HLSService(
                work / f"enc-{repeat}",
                ffmpeg=ffmpeg,
                segment_length=SEGMENT,
                preset=args.preset,
                threads=THREADS,
            )
            ring = KeyRing(1, lambda period: f"/api/keys/bench/{period}")

            def encrypted(service: HLSService = service, ring: KeyRing = ring) -> None:
                service.create_hls_stream(source, "s", keys=ring)

            order = [("anchor bare command to files", bare), ("tidecast receiver, encrypted", encrypted)]
            for name, go in order if repeat % 2 == 0 else reversed(order):
                wall, cpu = timed(go)
                walls[name].append(wall)
                cpus[name].append(cpu)
                print(f"  repeat {repeat + 1} {name:<30} {wall:6.2f} s wall {cpu:6.2f} s CPU")
            segments = check_equal(bare_out, work / f"enc-{repeat}" / "s", ring.keys())
            shutil.rmtree(bare_out)
            shutil.rmtree(work / f"enc-{repeat}")
        print(f"equal output: {segments} segments a run decrypt to the bare command's bytes")
        anchor, tidecast = (statistics.median(walls[n]) for n in walls)
        anchor_cpu, tidecast_cpu = (statistics.median(cpus[n]) for n in cpus)
        print(f"medians of {args.repeats}; {load_note()}")
        print(f"  anchor bare command to files   {anchor:6.2f} s wall {anchor_cpu:6.2f} s CPU  1.00x")
        print(
            f"  tidecast receiver, encrypted   {tidecast:6.2f} s wall {tidecast_cpu:6.2f} s CPU  "
            f"{tidecast / anchor:.3f}x wall, {tidecast_cpu / anchor_cpu:.3f}x CPU"
        )
        over = tidecast / anchor - 1
        verdict = "met" if over <= AIM else "MISSED"
        print(f"  tidecast over the bare command {over * 100:+.1f} %: aim <= {AIM * 100:g} %: {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
