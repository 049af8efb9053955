"""HLS: tidecast's single-pass ladder against the reference's three ffmpeg processes, and the
speed/quality frontier of the single pass.

Source: one generated 1080p30 clip with stereo sine audio (`--seconds`, default 60), made once
and stored as x264 crf 18 capped at 25 Mb/s, about what a phone records (every arm decodes
the same file; the quality figures are against this decoded file, so its own loss does not count). Plain
`testsrc2` is too easy for x264, so the clip cycles through five 4 s scenes with hard cuts
between them (none on a segment boundary): `testsrc2` panned inside a larger frame (global
motion), a `mandelbrot` zoom (fine detail, zoom motion), `life` and `cellauto` blown up with
nearest-neighbour scaling (hard edges, much motion), and a second mandelbrot region; temporal
grain (`noise=alls=6:allf=t`) on all of it, like a camera's sensor noise. Each 20 s holds all
five scenes, so the 20 s frontier source (the first 20 s of the same file, stream-copied) has
the same mix.

Main run, arms interleaved (order rotating each repeat), medians of `--repeats`:
  anchor  reference: three ffmpeg processes in parallel, one per quality, with the reference's
          options (`-c:v libx264 -c:a aac -b:v R -s WxH -hls_time 10 -hls_playlist_type vod`,
          x264 defaults, so preset medium), and its hand-written master playlist.
  tidecast: tidecast's single pass (one decode, split + scale, one x264 encode per rung,
          forced keyframes at segment boundaries, scene-cut keyframes off, the reference's
          bitrates as -b:v with -maxrate/-bufsize caps), with its progress parsing and master
          playlist (real peak BANDWIDTH) - through HLSService when that is importable.
  bare:   the same ffmpeg argument list run by subprocess alone. Aim: tidecast within 5 %.
Held equal: the source file, the ladder's sizes (the reference's 1280x720, 854x480, 640x360)
and video bitrates, 10 s segments, the ffmpeg binary (imageio-ffmpeg's). Not equal: audio
(the reference's AAC default, 128 kb/s per rung; HLSService's 128/96/64 kb/s).
Figures: x realtime (source seconds / wall seconds), CPU seconds (user+sys of the child
processes, getrusage(RUSAGE_CHILDREN) deltas), output bytes, and picture quality of each rung
against the source: VMAF (libvmaf, its built-in vmaf_v0.6.1 model, every `--vmaf-every`-th
frame) and SSIM (all frames), both with the rung upscaled to 1920x1080 with bicubic, as is
usual for VMAF. Quality is measured once per distinct output (encodes are deterministic up to
x264's thread scheduling). Aim: >= 1.5x the reference's speed with VMAF per rung within
1 point of the reference's.

Frontier (`--frontier`, on a `--frontier-seconds` source, default 20): single-pass variants
(preset, capped CRF vs ABR, x264 threads per rung, filter threads, scaler, lookahead), each
timed `--frontier-repeats` times interleaved with the reference anchor, then its quality.

    .venv/bin/python bench/hls.py [--seconds 60] [--repeats 3] [--frontier] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tidecast.media.ffmpeg import Encoding  # after the path insert

AIM_SPEED = 1.5
AIM_VMAF = 1.0
AIM_BARE = 0.05
FPS = 30
SCENE = 4  # seconds; cuts at 4, 8, 12, 16 ... never on a 10 s segment boundary
TIMEOUT = 3600


@dataclass(frozen=True)
class Rung:
    name: str
    width: int
    height: int
    bitrate: int  # bits/s


LADDER = (
    Rung("720p", 1280, 720, 2_500_000),
    Rung("480p", 854, 480, 1_000_000),
    Rung("360p", 640, 360, 500_000),
)
SEGMENT = 10


@dataclass(frozen=True)
class Knobs:
    """One point of the single pass's settings space."""

    preset: str = "medium"
    crf: float | None = None  # None: ABR at the rung's bitrate; else capped CRF
    maxrate: float = Encoding.maxrate_factor  # cap, times the rung's bitrate (HLSService's)
    bufsize: float = Encoding.bufsize_factor  # VBV buffer, times the rung's bitrate (HLSService's)
    threads: int = 0  # x264 threads per encoder; 0 is x264's own choice
    filter_threads: int = 0  # -filter_complex_threads; 0 is ffmpeg's default
    scaler: str = "bicubic"
    x264: str = ""  # extra -x264-params, e.g. "rc-lookahead=20"
    label: str = field(default="", compare=False)

    def name(self) -> str:
        if self.label:
            return self.label
        parts = [self.preset, f"crf{self.crf:g}" if self.crf is not None else "abr"]
        if self.threads:
            parts.append(f"threads={self.threads}")
        if self.filter_threads:
            parts.append(f"fct={self.filter_threads}")
        if self.scaler != "bicubic":
            parts.append(self.scaler)
        if self.x264:
            parts.append(self.x264)
        if (self.maxrate, self.bufsize) != (Encoding.maxrate_factor, Encoding.bufsize_factor):
            parts.append(f"maxrate {self.maxrate:g}x bufsize {self.bufsize:g}x")
        return " ".join(parts)


#: The main run's settings: HLSService's own (it exposes preset and threads; the frontier's
#: other knobs are applied to its argument list by `with_knobs`).
TIDECAST = Knobs()


def fail(message: str) -> None:
    sys.exit(f"bench/hls.py: FAILED: {message}")


def ffmpeg_binary() -> str:
    try:
        from tidecast.media.ffmpeg import ffmpeg_path  # type: ignore[import-not-found]

        return str(ffmpeg_path(None))
    except ImportError:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())


def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode:
        fail(f"{args[0]} exited {done.returncode}: {done.stderr[-800:]}")
    return done


# -- source ------------------------------------------------------------------------------------

SCENES = (
    "testsrc2=s=2560x1440:r={fps},crop=1920:1080:x='320+300*sin(t*0.9)':y='180+170*cos(t*0.6)'",
    "mandelbrot=s=960x540:r={fps}:maxiter=256:end_scale=0.02:end_pts=300,scale=1920:1080:flags=bicubic",
    "life=s=480x270:r={fps}:mold=10:ratio=0.15:life_color=#40ff40:death_color=#c03030"
    ":mold_color=#303080,scale=1920:1080:flags=neighbor",
    "cellauto=s=960x540:r={fps}:rule=110:scroll=1:random_fill_ratio=0.5,scale=1920:1080:flags=neighbor",
    "mandelbrot=s=960x540:r={fps}:maxiter=384:start_x=-0.7435669:start_y=0.1314023:start_scale=0.05"
    ":end_scale=0.0005:end_pts=200,scale=1920:1080:flags=bicubic",
)


def make_source(ffmpeg: str, seconds: int, path: Path) -> None:
    count = -(-seconds // SCENE)
    inputs: list[str] = []
    for i in range(count):
        scene = SCENES[i % len(SCENES)].format(fps=FPS)
        inputs += ["-f", "lavfi", "-t", str(SCENE), "-i", scene]
    inputs += ["-f", "lavfi", "-t", str(seconds), "-i", "sine=frequency=440:sample_rate=48000"]
    inputs += ["-f", "lavfi", "-t", str(seconds), "-i", "sine=frequency=660:sample_rate=48000"]
    streams = "".join(f"[{i}:v]setsar=1,format=yuv420p[c{i}];" for i in range(count))
    graph = (
        streams
        + "".join(f"[c{i}]" for i in range(count))
        + f"concat=n={count}:v=1:a=0,noise=alls=6:allf=t,trim=duration={seconds}[v];"
        + f"[{count}:a][{count + 1}:a]join=inputs=2:channel_layout=stereo[a]"
    )
    run(
        [
            ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            *inputs,
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            "-maxrate",
            "25M",
            "-bufsize",
            "50M",
            "-g",
            str(2 * FPS),
            "-c:a",
            "aac",
            "-b:a",
            "256k",
            "-movflags",
            "+faststart",
            str(path),
        ]
    )


def cut_source(ffmpeg: str, source: Path, seconds: int, path: Path) -> None:
    run(
        [
            ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(source),
            "-t",
            str(seconds),
            "-c",
            "copy",
            str(path),
        ]
    )


# -- the arms ----------------------------------------------------------------------------------


def kbit(bits: int) -> str:
    return f"{bits // 1000}k"


def reference_args(ffmpeg: str, source: Path, out: Path, rung: Rung) -> list[str]:
    """What fluent-ffmpeg runs for one of the reference's qualities (it adds -y)."""
    folder = out / rung.name
    return [
        ffmpeg,
        "-i",
        str(source),
        "-y",
        "-c:v",
        "libx264",
        "-c:a",
        "aac",
        "-b:v",
        kbit(rung.bitrate),
        "-s",
        f"{rung.width}x{rung.height}",
        "-hls_time",
        str(SEGMENT),
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(folder / "segment%d.ts"),
        str(folder / "playlist.m3u8"),
    ]


def run_reference(ffmpeg: str, source: Path, out: Path, ladder: Sequence[Rung]) -> None:
    """Three processes at once, as the reference's Promise.all does, then its master playlist."""
    procs = []
    for rung in ladder:
        (out / rung.name).mkdir(parents=True)
        procs.append(
            subprocess.Popen(
                reference_args(ffmpeg, source, out, rung),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    codes = [p.wait(timeout=TIMEOUT) for p in procs]
    if any(codes):
        fail(f"reference ffmpeg exited {codes}")
    master = "#EXTM3U\n" + "".join(
        f"#EXT-X-STREAM-INF:BANDWIDTH={r.bitrate},RESOLUTION={r.width}x{r.height}\n{r.name}/playlist.m3u8\n"
        for r in ladder
    )
    (out / "master.m3u8").write_text(master)


def tidecast_command(ffmpeg: str, source: Path, out: Path, knobs: Knobs) -> list[str]:
    """The exact argument list HLSService.create_hls_stream runs for `source` (built from the
    same pieces, in the same way; HLSService has no method that answers it without running)."""
    from tidecast.media import ffmpeg as ff
    from tidecast.media.ladder import DEFAULT_LADDER, plan
    from tidecast.media.probe import probe

    info = probe(source)
    renditions = plan(DEFAULT_LADDER, info.width, info.height)
    fps = ff.output_fps(info.fps, info.base_fps, info.variable_frame_rate)
    encoding = ff.Encoding(preset=knobs.preset, threads=knobs.threads)
    # To files (HLSService hands them to its receiver over HTTP, which encrypts as they come).
    args = ff.ladder_command(
        ffmpeg, source, str(out / "%v" / "segment%d.ts"), str(out / "%v" / "playlist.m3u8"),
        renditions, fps=fps, has_audio=info.has_audio, segment_length=SEGMENT, encoding=encoding,
    )  # fmt: skip
    return with_knobs(args, knobs)


def _set(args: list[str], option: str, value: str) -> None:
    args[args.index(option) + 1] = value


def with_knobs(args: list[str], knobs: Knobs) -> list[str]:
    """tidecast's command with the knobs HLSService does not expose (frontier points only)."""
    args = list(args)
    for i, rung in enumerate(LADDER):
        if knobs.crf is not None:
            at = args.index(f"-b:v:{i}")
            args[at : at + 2] = [f"-crf:v:{i}", f"{knobs.crf:g}"]
        if knobs.maxrate != Encoding.maxrate_factor:
            _set(args, f"-maxrate:v:{i}", str(round(rung.bitrate * knobs.maxrate)))
        if knobs.bufsize != Encoding.bufsize_factor:
            _set(args, f"-bufsize:v:{i}", str(round(rung.bitrate * knobs.bufsize)))
    graph = args.index("-filter_complex") + 1
    args[graph] = args[graph].replace("flags=bicubic", f"flags={knobs.scaler}")
    if knobs.filter_threads:
        args[graph + 1 : graph + 1] = ["-filter_complex_threads", str(knobs.filter_threads)]
    if knobs.x264:
        at = args.index("-f")
        args[at:at] = ["-x264-params", knobs.x264]
    return args


def run_bare(args: Sequence[str], out: Path) -> None:
    """The command alone: its -progress output is discarded, no playlist is read or written."""
    for rung in LADDER:
        (out / rung.name).mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        list(args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=TIMEOUT, check=False, start_new_session=True,  # as HLSService starts it
    )  # fmt: skip
    if done.returncode:
        fail(f"ffmpeg exited {done.returncode}: {done.stderr[-800:]!r}")


def run_tidecast(ffmpeg: str, source: Path, out: Path, knobs: Knobs) -> None:
    """HLSService.create_hls_stream, as the transcode job calls it (probe, the command with
    progress parsing, variant playlists read back, the measured master playlist, thumbnail)."""
    from tidecast.media.hls import HLSService

    service = HLSService(out.parent, ffmpeg=ffmpeg, preset=knobs.preset, threads=knobs.threads)
    got = service.create_hls_stream(source, out.name, on_progress=lambda p: None)
    if len(got["variants"]) != len(LADDER):
        fail(f"HLSService made {len(got['variants'])} renditions")


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Arm:
    name: str
    go: Callable[[Path], None]  # writes the stream into the (fresh) directory given
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    kept: Path | None = None  # one output, kept for the quality measure

    def speed(self, seconds: float) -> float:
        return seconds / statistics.median(self.walls)

    def cpu(self) -> float:
        return statistics.median(self.cpus)


def children_cpu() -> float:
    """CPU of the child processes (ffmpeg), plus this process's own (HLSService's probe,
    progress parsing and playlists run here)."""
    total = 0.0
    for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.ts"))


def time_arm(arm: Arm, work: Path) -> None:
    out = work / f"{arm.name.split()[0]}-{len(arm.walls)}"
    cpu, start = children_cpu(), time.perf_counter()
    arm.go(out)
    arm.walls.append(time.perf_counter() - start)
    arm.cpus.append(children_cpu() - cpu)
    arm.sizes.append(tree_bytes(out))
    if arm.kept is None:
        arm.kept = out
    else:
        shutil.rmtree(out)


def interleave(arms: Sequence[Arm], repeats: int, work: Path, log: bool = True) -> None:
    for r in range(repeats):
        shift = r % len(arms)
        for arm in [*arms[shift:], *arms[:shift]]:
            time_arm(arm, work)
            if log:
                print(
                    f"  repeat {r + 1} {arm.name:<28} {arm.walls[-1]:7.1f} s wall {arm.cpus[-1]:7.1f} s CPU",
                    flush=True,
                )


SSIM_ALL = re.compile(r"SSIM .*All:([0-9.]+)")


@dataclass(frozen=True)
class Quality:
    vmaf: float
    ssim: float


def quality(ffmpeg: str, rendition: Path, source: Path, every: int) -> Quality:
    """VMAF and SSIM of one rendition against the source, the rendition upscaled to the
    source's 1920x1080 with bicubic; both streams restarted at time 0 (HLS output starts late)."""
    log = rendition.parent / "vmaf.json"
    graph = (
        "[0:v]scale=1920:1080:flags=bicubic,setpts=PTS-STARTPTS,split[d1][d2];"
        "[1:v]setpts=PTS-STARTPTS,split[r1][r2];"
        f"[d1][r1]libvmaf=n_subsample={every}:n_threads=2:log_fmt=json:log_path={log};"
        "[d2][r2]ssim"
    )
    done = run(
        [
            ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-i",
            str(rendition),
            "-i",
            str(source),
            "-lavfi",
            graph,
            "-f",
            "null",
            "-",
        ]
    )
    pooled = json.loads(log.read_text())
    frames = len(pooled["frames"])
    found = SSIM_ALL.search(done.stderr)
    if not found or not frames:
        fail(f"no quality figures for {rendition}")
    return Quality(pooled["pooled_metrics"]["vmaf"]["mean"], float(found.group(1)))


def qualities(ffmpeg: str, out: Path, source: Path, ladder: Sequence[Rung], every: int) -> list[Quality]:
    return [quality(ffmpeg, out / r.name / "playlist.m3u8", source, every) for r in ladder]


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min) on {os.cpu_count()} cores"


def qline(found: Sequence[Quality], anchor: Sequence[Quality] | None = None) -> str:
    cells = []
    for i, q in enumerate(found):
        delta = f" ({q.vmaf - anchor[i].vmaf:+.1f})" if anchor else ""
        cells.append(f"{q.vmaf:5.1f}{delta}/{q.ssim:.4f}")
    return "  ".join(cells)


# -- the runs ----------------------------------------------------------------------------------


def tidecast_arms(ffmpeg: str, source: Path, knobs: Knobs) -> tuple[Arm, Arm]:
    """The tidecast arm (HLSService) and the bare command it runs."""
    tidecast = Arm("tidecast HLSService", lambda out: run_tidecast(ffmpeg, source, out, knobs))
    bare = Arm("bare ffmpeg command", lambda out: run_bare(tidecast_command(ffmpeg, source, out, knobs), out))
    return tidecast, bare


def main_run(ffmpeg: str, source: Path, seconds: float, repeats: int, every: int, work: Path) -> None:
    reference = Arm("anchor reference x3 procs", lambda out: run_reference(ffmpeg, source, out, LADDER))
    tidecast, bare = tidecast_arms(ffmpeg, source, TIDECAST)
    arms = [reference, tidecast, bare]
    print(f"1. {seconds:g} s 1080p30 source, reference vs tidecast ({TIDECAST.name()}); {load_note()}")
    interleave(arms, repeats, work)
    print(f"  after the timings: {load_note()}")
    found = {arm.name: qualities(ffmpeg, arm.kept, source, LADDER, every) for arm in (reference, tidecast)}  # type: ignore[arg-type]
    anchor = found[reference.name]
    rungs = "  ".join(f"{r.name} VMAF/SSIM".ljust(18) for r in LADDER)
    print(f"  medians of {repeats}          x realtime   CPU s    bytes       {rungs}")
    for arm in arms:
        q = qline(found[arm.name], anchor) if arm.name in found else "(same command as tidecast)"
        print(
            f"  {arm.name:<28} {arm.speed(seconds):6.2f}x  {arm.cpu():7.1f}"
            f"  {round(statistics.median(arm.sizes)):>11,}  {q}"
        )
    speed = tidecast.speed(seconds) / reference.speed(seconds)
    cpu = tidecast.cpu() / reference.cpu()
    worst = min(t.vmaf - a.vmaf for t, a in zip(found[tidecast.name], anchor, strict=True))
    held = worst >= -AIM_VMAF
    met = "met" if speed >= AIM_SPEED and held else "MISSED"
    print(
        f"  speed tidecast/reference {speed:.2f}x, CPU {cpu:.2f} of the reference's;"
        f" worst VMAF change {worst:+.2f}: aim >= {AIM_SPEED}x within {AIM_VMAF:g} VMAF: {met}"
    )
    over = statistics.median(tidecast.walls) / statistics.median(bare.walls) - 1
    verdict = "met" if over <= AIM_BARE else "MISSED"
    print(f"  tidecast over its bare command {over * 100:+.1f} %: aim <= {AIM_BARE * 100:g} %: {verdict}")


def frontier_points() -> list[Knobs]:
    """HLSService's settings first, then one or two knobs changed at a time."""
    base = Knobs()
    return [
        base,
        replace(base, preset="fast"),
        replace(base, preset="faster"),
        replace(base, preset="veryfast"),
        replace(base, maxrate=1.0, bufsize=2.0),  # the first cap: maxrate = bitrate
        replace(base, maxrate=1.5, bufsize=3.0),
        replace(base, maxrate=2.0, bufsize=4.0),
        replace(base, x264="rc-lookahead=20"),
        replace(base, preset="fast", scaler="bilinear"),
        replace(base, threads=2),
        replace(base, preset="fast", crf=20.0),
        replace(base, scaler="area"),
        replace(base, filter_threads=1),
    ]


def frontier(
    ffmpeg: str, source: Path, seconds: float, repeats: int, every: int, work: Path, points: Sequence[Knobs]
) -> None:
    print(
        f"2. frontier on a {seconds:g} s cut of the source, {repeats} timing(s) each, the reference"
        f" anchor timed between points; {load_note()}"
    )
    reference = Arm("anchor reference x3 procs", lambda out: run_reference(ffmpeg, source, out, LADDER))
    time_arm(reference, work)
    anchor = qualities(ffmpeg, reference.kept, source, LADDER, every)  # type: ignore[arg-type]
    rows = []
    for knobs in points:
        arm = Arm(knobs.name(), lambda out, k=knobs: run_bare(tidecast_command(ffmpeg, source, out, k), out))
        for _ in range(repeats):
            time_arm(arm, work)
            time_arm(reference, work)
        found = qualities(ffmpeg, arm.kept, source, LADDER, every)  # type: ignore[arg-type]
        shutil.rmtree(arm.kept)  # type: ignore[arg-type]
        ref_wall = statistics.median(reference.walls[-2 * repeats :])
        speed = ref_wall / statistics.median(arm.walls)
        cpu = arm.cpu() / statistics.median(reference.cpus)
        worst = min(q.vmaf - a.vmaf for q, a in zip(found, anchor, strict=True))
        rows.append((knobs, speed, cpu, worst))
        size = statistics.median(arm.sizes) / statistics.median(reference.sizes)
        print(
            f"  {knobs.name():<34} {speed:5.2f}x ref  CPU {cpu:4.2f}  bytes {size:4.2f}"
            f"  {qline(found, anchor)}",
            flush=True,
        )
    print(
        f"  anchor reference: {seconds / statistics.median(reference.walls):.2f}x realtime,"
        f" {reference.cpu():.1f} CPU s, VMAF/SSIM {qline(anchor)}; {load_note()}"
    )
    held = [r for r in rows if r[3] >= -AIM_VMAF]
    if held:
        best = max(held, key=lambda r: r[1])
        print(
            f"  fastest holding quality (VMAF within {AIM_VMAF:g} per rung): {best[0].name()}"
            f" {best[1]:.2f}x the reference, CPU {best[2]:.2f} of it"
        )


def own_session() -> None:
    """Run in a session of our own. HLSService starts ffmpeg in a new session, and with the
    kernel's autogroup scheduling a session is a scheduling group: on a shared machine an
    ffmpeg in a crowded session (say, the shell's) gets less CPU than one alone in its own.
    With the bench in its own session every arm's processes are alone in their group."""
    if os.getsid(0) != os.getpid():
        with contextlib.suppress(PermissionError):
            os.setsid()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60, help="source length (default 60)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vmaf-every", type=int, default=3, help="VMAF on every n-th frame")
    parser.add_argument("--frontier", action="store_true", help="also explore the single pass's settings")
    parser.add_argument("--frontier-only", action="store_true")
    parser.add_argument("--frontier-seconds", type=int, default=20)
    parser.add_argument("--frontier-repeats", type=int, default=1)
    parser.add_argument("--points", default="", help="frontier points by number, e.g. 0,4,8 (default all)")
    parser.add_argument("--quick", action="store_true", help="8 s source, 1 repeat, 3 frontier points")
    parser.add_argument("--source", type=Path, help="reuse (or create) the source at this path")
    args = parser.parse_args()
    own_session()
    if args.quick:
        args.seconds, args.repeats, args.frontier_seconds = 8, 1, 8
    ffmpeg = ffmpeg_binary()
    version = run([ffmpeg, "-version"]).stdout.split("\n")[0]
    print(f"{version.split(' Copyright')[0]}; x264 via libx264; {os.cpu_count()} cores; {load_note()}")
    with tempfile.TemporaryDirectory(prefix="bench-hls-") as tmp:
        work = Path(tmp)
        source = args.source or work / f"source-{args.seconds}s.mp4"
        if not source.exists():
            start = time.perf_counter()
            make_source(ffmpeg, args.seconds, source)
            print(f"source made in {time.perf_counter() - start:.0f} s: {source.stat().st_size:,} bytes")
        if args.frontier or args.frontier_only:
            short = work / "frontier-source.mp4"
            cut_source(ffmpeg, source, args.frontier_seconds, short)
            points = frontier_points()
            if args.points or args.quick:
                points = [points[int(i)] for i in (args.points or "0,1,2").split(",")]
            frontier(
                ffmpeg, short, args.frontier_seconds, args.frontier_repeats, args.vmaf_every, work, points
            )
        if not args.frontier_only:
            main_run(ffmpeg, source, args.seconds, args.repeats, args.vmaf_every, work)


if __name__ == "__main__":
    main()
