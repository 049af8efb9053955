"""Driving the production-shape platform (tests/support/production.py) under load: seeding what
the load needs through the API (a creator, a priced stream, viewers with payment streams on
chain), running Locust (tests/support/locustfile.py) as its own process, breaking parts while it
runs, and reading the figures off what Locust recorded.

Shared by tests/integration/test_production_load.py (a short run whose invariants are asserted)
and bench/production_load.py (longer runs whose figures go to BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tests.support.procs import alive
from tests.support.production import Production, viewer_accounts, wait_for
from tests.support.uploads import make_video

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PRICE = "0.001"  # TIDE a second
#: Answers that are the platform saying no on purpose, never a failure of it.
REFUSALS = frozenset({400, 401, 402, 403, 404, 409, 413, 429})


@dataclass(frozen=True)
class Seeded:
    plan: dict[str, Any]
    creator_token: str


def seed(prod: Production, work: Path, *, viewers: int, seconds: int, clip_seconds: float = 3) -> Seeded:
    """A creator with a wallet and a priced stream of `seconds`; `viewers` viewers, each with a
    wallet and a payment stream to the creator open; a short clip for the creators to upload."""
    from tests.support.services import build_services
    from tidecast.chain.devnet import demo_accounts
    from tidecast.chain.signer import ChainSigner

    with httpx.Client(base_url=prod.base, timeout=60) as client:
        creator = prod.register(client, "maker")
        creator_wallet = demo_accounts(2)[1]
        prod.link_wallet("maker", creator_wallet.address)
        film = make_video(work / "film.mp4", seconds=seconds, size="160x90").read_bytes()
        stream_id = prod.upload(client, creator, film, "film")
        prod.wait_ready(stream_id, timeout=180)
        priced = client.patch(
            f"/api/streams/{stream_id}",
            json={"pricePerSecond": PRICE},
            headers={"Authorization": f"Bearer {creator}"},
        )
        assert priced.status_code == 200, priced.text
        stream = client.get(f"/api/streams/{stream_id}").json()["data"]
        master_url = stream["masterPlaylist"]
        master = httpx.get(master_url, timeout=30)
        master.raise_for_status()
        variant_url = urljoin(
            master_url, next(line for line in master.text.splitlines() if line and line[0] != "#")
        )
        variant = httpx.get(variant_url, timeout=30)
        variant.raise_for_status()
        segments = [
            urljoin(variant_url, line) for line in variant.text.splitlines() if line and line[0] != "#"
        ]
        logins = []
        for index in range(viewers):
            name = f"viewer{index}"
            logins.append(prod.register(client, name))
        wallets = viewer_accounts(viewers)
        for index, wallet in enumerate(wallets):
            prod.link_wallet(f"viewer{index}", wallet.address)

    (work / "driver").mkdir(exist_ok=True)
    svc = build_services(
        prod.engine,
        TIDECAST_DATA_DIR=str(work / "driver"),
        **{
            k: prod.env[k]
            for k in (
                "RPC_URL",
                "TOKEN_ADDRESS",
                "PAYMENT_STREAM_CONTRACT_ADDRESS",
                "STREAM_REGISTRY_ADDRESS",
                "TIDECAST_CHAIN_ID",
            )
        },
    )
    try:

        def open_one(wallet: Any) -> int:
            signer = ChainSigner(svc.chain)  # one each: a signer sends one transaction at a time
            return signer.open_stream(wallet.private_key, creator_wallet.address, PRICE, "100")

        with ThreadPoolExecutor(max_workers=8) as pool:
            payments = list(pool.map(open_one, wallets))
    finally:
        svc.close()
    video = work / "clip.mp4"
    make_video(video, seconds=clip_seconds, size="160x90")
    plan = {
        "runId": secrets.token_hex(3),
        "stream": {
            "id": stream_id,
            "periods": int(stream["keyPeriods"]),
            "periodSeconds": float(stream["keyPeriodSeconds"]),
            "segments": segments,
        },
        "viewers": [
            {"login": login, "payment": str(pay)} for login, pay in zip(logins, payments, strict=True)
        ],
        "creators": [creator],
        "video": str(video),
    }
    assert len(segments) == plan["stream"]["periods"], (segments, stream)
    return Seeded(plan, creator)


@dataclass
class Fault:
    name: str
    start: float  # epoch seconds
    restored: float = 0.0
    #: For a killed worker: its stream, and when it became ready.
    stream_id: str | None = None
    ready: float = 0.0


@dataclass
class Run:
    records: list[tuple[float, str, int, float]]
    errors: list[str]
    uploaded: list[str]
    registered: list[tuple[str, int]]
    started: float
    seconds: float
    cpu_seconds: float
    faults: list[Fault] = field(default_factory=list)

    def statuses(self, name: str | None = None) -> Counter[int]:
        return Counter(status for _, n, status, _ in self.records if name is None or n == name)

    def server_errors(self) -> list[tuple[float, str, int]]:
        """5xx answers other than 503, and requests that got no answer at all (status 0)."""
        return [(t, n, s) for t, n, s, _ in self.records if (s >= 500 and s != 503) or s == 0]

    def latency(self, name: str, q: float) -> float:
        times = sorted(ms for _, n, s, ms in self.records if n == name and 200 <= s < 300)
        if not times:
            return float("nan")
        return times[min(len(times) - 1, int(q * len(times)))]

    def rate(self, name: str) -> float:
        return sum(1 for _, n, s, _ in self.records if n == name and s == 200) / self.seconds

    def window(self, fault: Fault) -> tuple[float, float]:
        """A fault's window: from a second before it to the next fault's start (or the run's end
        plus a minute), so each 503 is put down to one fault."""
        later = [f.start for f in self.faults if f.start > fault.start]
        return fault.start - 1, min(later, default=self.started + self.seconds + 60) - 1

    def unavailable(self, fault: Fault) -> Counter[str]:
        """The 503s and unanswered requests in the fault's window, by request name."""
        start, end = self.window(fault)
        return Counter(n for t, n, s, _ in self.records if start <= t < end and s in (503, 0))

    def recovery(self, fault: Fault) -> float:
        """Seconds from the part's return (or the process's replacement) to the last 503 or
        unanswered request in its window (0: none after it)."""
        start, end = self.window(fault)
        last = max(
            (t for t, _, s, _ in self.records if start <= t < end and s in (503, 0)),
            default=fault.restored,
        )
        return max(0.0, last - fault.restored)


def run_locust(
    prod: Production,
    plan: dict[str, Any],
    work: Path,
    *,
    classes: list[str],
    seconds: int,
    mode: str = "watch",
    during: Callable[[float], list[Fault]] | None = None,
) -> Run:
    """Locust for `seconds` with the user `classes`; `during(t0)` runs beside it (the faults)."""
    out = work / f"locust-{mode}-{int(time.time())}.json"
    plan_file = work / "plan.json"
    plan_file.write_text(json.dumps({**plan, "out": str(out)}))
    users = sum({"Viewer": len(plan["viewers"]), "Creator": 1, "Newcomer": 1}[c] for c in classes)
    env = {**os.environ, "TIDECAST_LOAD_PLAN": str(plan_file), "TIDECAST_LOAD_MODE": mode}
    cpu_before = prod.cpu_seconds()
    started = time.time()
    log = (work / "locust.log").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--only-summary",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--stop-timeout",
            "5",
            "--host",
            prod.base,
            "--loglevel",
            "WARNING",
            *classes,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    faults: list[Fault] = []
    if during is not None:
        faults = during(started)
    proc.wait(timeout=seconds + 120)
    cpu = prod.cpu_seconds() - cpu_before
    assert out.exists(), (
        f"locust wrote no results (exit {proc.returncode})\n{(work / 'locust.log').read_text()[-3000:]}"
    )
    got = json.loads(out.read_text())
    return Run(
        records=[tuple(r) for r in got["records"]],  # type: ignore[misc]
        errors=got["errors"],
        uploaded=got["uploaded"],
        registered=[tuple(r) for r in got["registered"]],  # type: ignore[misc]
        started=started,
        seconds=float(seconds),
        cpu_seconds=cpu,
        faults=faults,
    )


def faults(
    prod: Production,
    creator_token: str,
    work: Path,
    *,
    at: dict[str, float],
    film_seconds: float = 30,
    film_size: str = "320x180",
) -> Callable[[float], list[Fault]]:
    """The four faults at `at` seconds into the run (names: worker, function, redis, postgres),
    each brought back as its replacement would be (a new task, a new instance, a restart)."""
    film = make_video(work / "long.mp4", seconds=film_seconds, size=film_size).read_bytes()

    def sleep_until(t0: float, offset: float) -> None:
        time.sleep(max(0.0, t0 + offset - time.time()))

    def run(t0: float) -> list[Fault]:
        done: list[Fault] = []
        for name, offset in sorted(at.items(), key=lambda item: item[1]):
            sleep_until(t0, offset)
            if name == "worker":
                # A transcode long enough to be caught in the act, then SIGKILL: no clean-up.
                with httpx.Client(base_url=prod.base, timeout=60) as client:
                    stream_id = prod.upload(client, creator_token, film, "killed")
                deadline = time.monotonic() + 60
                while not (encoders := prod.encoders()):  # polled often: a short encode is caught
                    assert time.monotonic() < deadline, "the media worker never started encoding"
                    time.sleep(0.02)
                fault = Fault("worker SIGKILLed mid-transcode", time.time(), stream_id=stream_id)
                prod.workers["media"].kill()
                prod.workers["media"].wait(timeout=10)
                wait_for("its ffmpeg gone", lambda: not any(alive(p) for p in encoders), timeout=10)
                prod.start_worker("media")  # the service replaces the task
                fault.restored = time.time()
            elif name == "function":
                fault = Fault("a function process SIGKILLed", time.time())
                prod.kill_function(0)
                time.sleep(2)
                prod.start_function(0)  # a new instance
                fault.restored = time.time()
            elif name == "redis":
                fault = Fault("Redis killed and restarted (empty)", time.time())
                prod.redis.kill()
                time.sleep(3)
                prod.redis.start()
                fault.restored = time.time()
            elif name == "postgres":
                fault = Fault("PostgreSQL stopped 5 s and restarted", time.time())
                prod.postgres.pause()
                time.sleep(5)
                prod.postgres.start()
                fault.restored = time.time()
            else:
                raise ValueError(name)
            done.append(fault)
        return done

    return run


def wait_all_ready(prod: Production, run: Run, timeout: float = 180) -> dict[str, float]:
    """Every stream uploaded during the run ready; seconds from the run's end to the last."""
    ids = list(run.uploaded) + [f.stream_id for f in run.faults if f.stream_id]
    ended = run.started + run.seconds
    ready_at: dict[str, float] = {}

    def check() -> bool:
        for sid in ids:
            if sid not in ready_at and prod.stream_status(sid) == "ready":
                ready_at[sid] = time.time()
        return len(ready_at) == len(ids)

    try:
        wait_for("every upload ready", check, timeout=timeout)
    except AssertionError:
        missing = {sid: prod.stream_status(sid) for sid in ids if sid not in ready_at}
        raise AssertionError(f"not ready within {timeout} s: {missing}\n{prod.logs()}") from None
    for fault in run.faults:
        if fault.stream_id:
            fault.ready = ready_at[fault.stream_id]
    return {sid: max(0.0, t - ended) for sid, t in ready_at.items()}


def mail_counts(prod: Production, run: Run, timeout: float = 60) -> dict[str, tuple[int, int]]:
    """For each address registered during the run: (status of the registration, mails to it),
    once every registration answered 2xx has its mail (or `timeout` has passed)."""
    accepted = [email for email, status in run.registered if status in (201, 202)]
    try:
        wait_for("the registrations' mail", lambda: all(prod.mails_to(e) for e in accepted), timeout=timeout)
    except AssertionError:
        pass  # the counts say which
    return {email: (status, len(prod.mails_to(email))) for email, status in run.registered}


def summary(run: Run) -> dict[str, Any]:
    return {
        "key requests/s": round(run.rate("key"), 1),
        "key p50 ms": round(run.latency("key", 0.5), 1),
        "key p99 ms": round(run.latency("key", 0.99), 1),
        "statuses": dict(sorted(run.statuses().items())),
    }
