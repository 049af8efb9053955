"""Probe: what counting a video's real frames costs, and how fast the ladder makes pixels.

1. Probe time on a 10-minute 1080p30 H.264/AAC source (`--seconds`, default 600; about 6 Mb/s,
   a phone's rate): made from a 20 s `testsrc2` clip looped with stream copy, so it holds
   18,000 real video packets. Arms, interleaved, medians of `--repeats`:
     anchor   probe() as the upload completion runs it: headers and the first picture decoded;
     counted  probe(count_frames=True) as the transcode runs it: the same, then every video
              packet read (demuxed, not decoded) and counted.
   Figures: seconds, the counting's cost over the anchor, and packets per second. The file is
   read once before the arms, so both read from the page cache (a cold disk adds its read
   time to the counted arm). Aim: counted under 2 s (a fraction of any 10-minute encode).
2. Ladder throughput (`--encode-seconds`, default 10, of the same source) through HLSService,
   default ladder, preset medium: pixels a second (each source frame decoded plus each rung's
   frame made), against hls.MIN_PIXEL_RATE, the slowest the transcode's run-time limit allows.
   Aim: the limit at least 10x under what this machine does.

    .venv/bin/python bench/probe.py [--seconds 600] [--repeats 5] [--encode-seconds 10] [--source F]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tidecast.media.ffmpeg import ffmpeg_path
from tidecast.media.hls import MIN_PIXEL_RATE, HLSService
from tidecast.media.ladder import DEFAULT_LADDER, plan
from tidecast.media.probe import probe

AIM_COUNTED = 2.0
AIM_MARGIN = 10.0
CLIP = 20


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_path(None), "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_source(out: Path, seconds: int) -> Path:
    clip = out.with_suffix(".clip.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={CLIP}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={CLIP}",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-shortest", str(clip),
    )  # fmt: skip
    loops = max(0, seconds // CLIP - 1)
    ffmpeg("-stream_loop", str(loops), "-i", str(clip), "-c", "copy", str(out))
    clip.unlink()
    return out


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def probe_times(source: Path, repeats: int) -> None:
    source.read_bytes()  # into the page cache, for both arms alike
    arms = {"anchor": lambda: probe(source), "counted": lambda: probe(source, count_frames=True)}
    times: dict[str, list[float]] = {name: [] for name in arms}
    for i in range(repeats):
        order = list(arms) if i % 2 == 0 else list(reversed(arms))
        for name in order:
            times[name].append(timed(arms[name]))
    info = probe(source, count_frames=True)
    anchor, counted = (statistics.median(times[n]) for n in ("anchor", "counted"))
    print(
        f"1. probe, {info.duration:.0f} s {info.width}x{info.height} source, {source.stat().st_size:,} bytes"
    )
    print(f"  medians of {repeats}, interleaved; {load_note()}")
    print(f"  anchor   headers + first picture        {anchor:7.3f} s")
    print(f"  counted  + {info.frames:,} packets counted   {counted:7.3f} s")
    print(f"  counting cost                            {counted - anchor:7.3f} s")
    print(f"  ratio counted/anchor                     {counted / anchor:7.1f}x")
    print(f"  packets a second                         {info.frames / max(counted - anchor, 1e-9):,.0f}")
    verdict = "met" if counted <= AIM_COUNTED else "MISSED"
    print(f"  aim counted <= {AIM_COUNTED:g} s                       {verdict}")


def ladder_rate(source: Path, seconds: int, work: Path) -> None:
    clip = work / "encode.mp4"
    ffmpeg("-i", str(source), "-t", str(seconds), "-c", "copy", str(clip))
    info = probe(clip, count_frames=True)
    hls = HLSService(work / "out", ffmpeg=ffmpeg_path(None), preset="medium")
    rungs = plan(DEFAULT_LADDER, info.width, info.height)
    frames = info.frames or 0
    pixels = frames * (info.coded_width * info.coded_height + sum(r.width * r.height for r in rungs))
    took = timed(lambda: hls.create_hls_stream(clip, "bench"))
    rate = pixels / took
    print(f"2. ladder throughput, {frames} frames of 1080p -> {', '.join(r.name for r in rungs)}, medium")
    print(f"  {took:.1f} s: {rate / 1e6:.1f} MP/s ({frames / took:.1f} frames a second); {load_note()}")
    ratio = rate / MIN_PIXEL_RATE
    print(f"  run-time limit assumes {MIN_PIXEL_RATE / 1e6:.1f} MP/s: ratio measured/limit {ratio:.1f}x")
    verdict = "met" if rate >= AIM_MARGIN * MIN_PIXEL_RATE else "MISSED"
    print(f"  aim ratio >= {AIM_MARGIN:g}x: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--encode-seconds", type=int, default=10)
    parser.add_argument("--source", type=Path, help="a 1080p source to use instead of making one")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = options.source
        if source is None:
            started = time.perf_counter()
            source = make_source(work / "source.mp4", options.seconds)
            print(f"source made in {time.perf_counter() - started:.0f} s")
        probe_times(source, options.repeats)
        ladder_rate(source, options.encode_seconds, work)


if __name__ == "__main__":
    main()
