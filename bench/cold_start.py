"""Cold start: a fresh interpreter imports the streams function and answers one event.

Anchor: `python -c pass` in the same run. Each is started N times; medians are reported, with
the import share split out. Aim: <= 300 ms for the cold start on this 2-core machine.

With `--before PATH` (a checkout of an earlier commit, e.g. `git worktree add /tmp/before REF`),
that checkout's streams function is started in the same run, interleaved, on its own database
of the same content, so before and after are compared under the same machine noise. Both answer
the same event with the same stream (the same JSON body, checked).

    .venv/bin/python bench/cold_start.py [--runs 15] [--before PATH]

With `--lambda` it measures the Lambda way instead (bench/cold_start_lambda.py): the packaged
zip under AWS's runtime client, process start to first response, beside `python -c pass`.

    .venv/bin/python bench/cold_start.py --lambda [--runs 11] [--zip dist/lambda.zip]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, bench_env, seed_stream

EVENT = ROOT / "tests" / "fixtures" / "events" / "apigw-rest-v1.json"

COLD = """
import json, sys, time
t0 = time.perf_counter()
from tidecast.functions.streams import handler
t1 = time.perf_counter()
event = json.load(open({event!r}))
event.update(path="/api/streams/" + {sid!r}, httpMethod="GET", body=None,
             queryStringParameters=None, multiValueQueryStringParameters=None)
reply = handler(event, None)
t2 = time.perf_counter()
assert reply["statusCode"] == 200, reply
data = json.loads(reply["body"])["data"]
print(json.dumps({{"import": t1 - t0, "call": t2 - t1, "title": data["title"], "modules": len(sys.modules)}}))
"""

#: Seeding an earlier checkout: its container is built as this one's (`create_services`) or,
#: before issue 19, was a module-level global (`get_services`).
SEED_BEFORE = """
import tidecast.container as c
from tidecast.db.migrate import upgrade
if hasattr(c, "create_services"):
    from tidecast.config import load_settings
    s = c.create_services(load_settings())
else:
    s = c.get_services()
upgrade(s.engine)
print(s.streams.create(title="bench").id)
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    # cwd: `python -c` puts the working directory first on sys.path; it must not pick a checkout.
    out = subprocess.run(
        cmd, env=env, capture_output=True, text=True, check=True, cwd=env["TIDECAST_DATA_DIR"]
    ).stdout
    return time.perf_counter() - start, out


def sample(src: str, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    elapsed, out = timed([sys.executable, "-c", src], env)
    return elapsed, json.loads(out)


def report(label: str, colds: list[float], parts: list[dict[str, float]], anchor: float) -> float:
    cold = statistics.median(colds)
    print(f"{label}")
    print(f"  cold start (total)        {cold * 1000:7.1f} ms (median)")
    print(f"  import streams function   {statistics.median(p['import'] for p in parts) * 1000:7.1f} ms")
    print(f"  first event (connect+query) {statistics.median(p['call'] for p in parts) * 1000:5.1f} ms")
    print(f"  modules loaded            {int(statistics.median(p['modules'] for p in parts)):7d}")
    print(f"  overhead over anchor      {(cold - anchor) * 1000:7.1f} ms")
    print(f"  ratio cold/anchor         {cold / anchor:7.1f}x")
    return cold


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, help="a checkout of an earlier commit to compare")
    parser.add_argument(
        "--lambda", dest="lambda_way", action="store_true", help="the packaged zip under awslambdaric"
    )
    parser.add_argument("--zip", type=Path, help="with --lambda: a built package (default: build one now)")
    args = parser.parse_args()
    if args.lambda_way:
        from cold_start_lambda import run  # lazy: only the Lambda way needs the runtime harness

        run(args.runs, args.zip)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(tmp)
        sid = seed_stream(env)
        sides = {"after (this checkout)": (COLD.format(event=str(EVENT), sid=sid), env)}
        if args.before is not None:
            before_tmp = os.path.join(tmp, "before")
            os.mkdir(before_tmp)
            before_env = {**bench_env(before_tmp), "PYTHONPATH": str(args.before.resolve())}
            before_sid = timed([sys.executable, "-c", SEED_BEFORE], before_env)[1].strip()
            before_src = COLD.format(event=str(EVENT), sid=before_sid)
            sides = {f"before ({args.before})": (before_src, before_env), **sides}
        for src, side_env in sides.values():  # warm the .pyc caches and the page cache
            sample(src, side_env)
        anchors: list[float] = []
        colds: dict[str, list[float]] = {k: [] for k in sides}
        parts: dict[str, list[dict[str, float]]] = {k: [] for k in sides}
        for _ in range(args.runs):  # interleaved so machine noise hits every side alike
            anchors.append(timed([sys.executable, "-c", "pass"], env)[0])
            for label, (src, side_env) in sides.items():
                elapsed, got = sample(src, side_env)
                colds[label].append(elapsed)
                parts[label].append(got)
    titles = {p["title"] for ps in parts.values() for p in ps}
    assert titles == {"bench"}, titles  # every side answered the same stream
    anchor = statistics.median(anchors)
    print(f"runs                      {args.runs}")
    print(f"anchor  python -c pass    {anchor * 1000:7.1f} ms (median)")
    medians = {label: report(label, colds[label], parts[label], anchor) for label in sides}
    after = medians["after (this checkout)"]
    if len(medians) == 2:
        before = next(v for k, v in medians.items() if k.startswith("before"))
        print(f"after/before              {after / before:7.2f}x  ({(before - after) * 1000:+.1f} ms saved)")
    print(f"aim <= 300 ms             {'met' if after <= 0.300 else 'MISSED'}")


if __name__ == "__main__":
    main()
