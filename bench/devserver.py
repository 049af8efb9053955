"""Dev server throughput: GET /api/streams/:id against a bare Starlette endpoint doing the
same database read (the same StreamService on the same SQLite file), in one run.

Both servers run as separate uvicorn processes; a separate load process drives each in turn
with a bounded number of requests at fixed concurrency, twice, interleaved (A B A B), and the
better of each pair is kept. Aim: dev server >= 0.7 of the anchor's requests per second.

    .venv/bin/python bench/devserver.py [--seconds 8] [--concurrency 16]    (needs wrk: make bench)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile

from _common import DEV_APP, bench_env, seed_stream, start

ANCHOR_APP = """
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from tidecast.config import load_settings
from tidecast.container import create_services
from tidecast.errors import NotFound
from tidecast.functions.models.streams import Stream

services = create_services(load_settings())

def stream(request):
    try:
        found = services.streams.get(request.path_params["sid"])
        return JSONResponse({"success": True, "data": Stream.from_domain(found).model_dump(mode="json")})
    except NotFound as exc:
        return JSONResponse({"success": False, "error": exc.message, "code": "NOT_FOUND"}, status_code=404)

app = Starlette(routes=[Route("/api/streams/{sid}", stream)])
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="warning", access_log=False)
"""


def _ms(text: str) -> float:
    """wrk's latency ("731.45us", "3.09ms", "1.02s") in milliseconds."""
    for suffix, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    raise ValueError(f"unexpected wrk latency {text!r}")


def measure(url: str, seconds: int, concurrency: int) -> dict[str, float]:
    """wrk (C, its own process) drives the server: a Python client was the bottleneck here."""
    subprocess.run(["wrk", "-t1", "-c4", "-d1s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    result: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["Requests/sec:"]:
            result["rps"] = float(parts[1])
        elif parts[:1] == ["50%"]:
            result["p50"] = _ms(parts[1])
        elif parts[:1] == ["99%"]:
            result["p99"] = _ms(parts[1])
    return result


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/devserver.py needs wrk (Debian package 'wrk'; `make bench` installs it)")
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(tmp)
        sid = seed_stream(env)
        anchor, anchor_base = start(ANCHOR_APP, env)
        dev, dev_base = start(DEV_APP, env)
        try:
            results: dict[str, list[dict[str, float]]] = {"anchor": [], "dev": []}
            for _ in range(2):
                results["anchor"].append(
                    measure(f"{anchor_base}/api/streams/{sid}", args.seconds, args.concurrency)
                )
                results["dev"].append(
                    measure(f"{dev_base}/api/streams/{sid}", args.seconds, args.concurrency)
                )
        finally:
            for proc in (anchor, dev):
                proc.terminate()
                proc.wait(timeout=15)
    best = {k: max(v, key=lambda r: r["rps"]) for k, v in results.items()}
    print(
        f"wrk {args.seconds}s x2 per server (best kept), {args.concurrency} connections,"
        " SQLite, one uvicorn worker"
    )
    for name, label in (("anchor", "bare Starlette + same read"), ("dev", "dev server /api/streams/:id")):
        r = best[name]
        print(f"{label:<30} {r['rps']:8.0f} req/s   p50 {r['p50']:6.1f} ms   p99 {r['p99']:6.1f} ms")
    ratio = best["dev"]["rps"] / best["anchor"]["rps"]
    print(f"ratio dev/anchor (req/s)       {ratio:8.2f}   aim >= 0.70: {'met' if ratio >= 0.7 else 'MISSED'}")


if __name__ == "__main__":
    main()
