"""Login through the dev server against the bcrypt ceiling, and the unknown-user timing gap.

1. Throughput: wrk POSTs correct logins to /api/auth/login on the dev server (one uvicorn
   process, functions on its thread pool) at the production cost (bcrypt 12). The anchor is the
   bcrypt ceiling measured in this run: cores / the time of one bcrypt check at that cost. A
   login is one check plus a few SQLite reads, so the aim is >= 0.8 of the ceiling; reaching it
   needs handlers to run side by side (bcrypt releases the GIL).
2. Timing gap: one client, sequential pairs of logins, one for an unknown name and one for a
   known name with a wrong password, in alternating order. The gap is the median of the
   pairs' differences over the median wrong-password time. Aim: < 5 % (no user enumeration).

    .venv/bin/python bench/auth.py [--seconds 20] [--concurrency 8] [--pairs 40]   (needs wrk)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bcrypt
import httpx
from _common import DEV_APP, bench_env, start

PASSWORD = "correct horse battery"
ROUNDS = 12

SEED = f"""
from tidecast.config import load_settings
from tidecast.container import create_services
from tidecast.db.migrate import upgrade
s = create_services(load_settings()); upgrade(s.engine)
s.accounts.register("bench", "bench@example.com", {PASSWORD!r})
"""


WRK_SCRIPT = "\n".join(
    [
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "application/json"',
        "wrk.body = '" + json.dumps({"username": "bench", "password": PASSWORD}) + "'",
    ]
)


def one_check_seconds(samples: int = 7) -> float:
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(ROUNDS))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        bcrypt.checkpw(PASSWORD.encode(), stored)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(base: str, seconds: int, concurrency: int, script: Path) -> dict[str, float]:
    url = f"{base}/api/auth/login"
    subprocess.run(["wrk", "-t1", "-c2", "-d2s", "-s", str(script), url], check=True, capture_output=True)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"failed logins under load:\n{out}")
    result: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["Requests/sec:"]:
            result["rps"] = float(parts[1])
        elif len(parts) >= 2 and parts[1] == "requests" and parts[0].isdigit():
            result["requests"] = float(parts[0])
    return result


def timing_gap(base: str, pairs: int) -> tuple[float, float, float]:
    """Medians of (unknown name, wrong password) in seconds, and the median of the per-pair
    differences. Pairs alternate their order, and a pair's two requests run back to back, so
    the machine's drift (2x here within minutes) hits both sides of a difference alike."""
    unknown: list[float] = []
    wrong: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:

        def timed(name: str) -> float:
            start = time.perf_counter()
            reply = client.post("/api/auth/login", json={"username": name, "password": "wrong horse battery"})
            elapsed = time.perf_counter() - start
            assert reply.status_code == 401, reply.text
            return elapsed

        for i in range(pairs + 2):
            if i % 2:
                u, w = timed("nobody"), timed("bench")
            else:
                w, u = timed("bench"), timed("nobody")
            if i >= 2:  # the first pairs warm up the connection and the dummy hash
                unknown.append(u)
                wrong.append(w)
    paired = statistics.median(u - w for u, w in zip(unknown, wrong, strict=True))
    return statistics.median(unknown), statistics.median(wrong), paired


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/auth.py needs wrk (Debian package 'wrk'; `make bench` installs it)")
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **bench_env(tmp),
            "TIDECAST_BCRYPT_ROUNDS": str(ROUNDS),
            # Load from one address: keep the rate limit out of the measurement.
            "TIDECAST_LOGIN_MAX_FAILURES": "1000000",
        }
        subprocess.run([sys.executable, "-c", SEED], env=env, check=True, cwd=tmp)
        script = Path(tmp) / "login.lua"
        script.write_text(WRK_SCRIPT)
        check_before = one_check_seconds()
        proc, base = start(DEV_APP, env)
        try:
            load = throughput(base, args.seconds, args.concurrency, script)
            unknown, wrong, paired = timing_gap(base, args.pairs)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
        check_after = one_check_seconds()
    # The faster of the two measurements: the stricter ceiling on a machine whose speed drifts.
    check = min(check_before, check_after)
    ceiling = cores / check
    ratio = load["rps"] / ceiling
    gap = abs(paired) / wrong
    print(
        f"bcrypt cost {ROUNDS}: one check {check * 1000:.0f} ms (before {check_before * 1000:.0f}, "
        f"after {check_after * 1000:.0f}); ceiling {cores} cores / check = {ceiling:.2f} logins/s"
    )
    print(
        f"dev server POST /api/auth/login: {load['rps']:.2f} logins/s "
        f"({load.get('requests', 0):.0f} in {args.seconds}s, {args.concurrency} connections, all 200)"
    )
    print(
        f"ratio logins/ceiling             {ratio:6.2f}   aim >= 0.80: {'met' if ratio >= 0.8 else 'MISSED'}"
    )
    print(
        f"unknown name {unknown * 1000:.1f} ms vs wrong password {wrong * 1000:.1f} ms"
        f" (medians of {args.pairs} each); median paired difference {paired * 1000:+.1f} ms"
    )
    print(
        f"timing gap (paired / wrong)      {gap * 100:6.2f} %  aim < 5 %: {'met' if gap < 0.05 else 'MISSED'}"
    )
    print(json.dumps({"ratio": round(ratio, 3), "gap": round(gap, 4)}))


if __name__ == "__main__":
    main()
