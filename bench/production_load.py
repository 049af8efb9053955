"""The platform in its production shape on real engines, under load and faults (issue 20).

PostgreSQL, Redis, SeaweedFS, Anvil (a block a second), js-ipfs and aiosmtpd, started on free
ports; the functions in two processes in production mode behind one round-robin address; a
media and a general worker (tests/support/production.py). Locust drives the load
(tests/support/locustfile.py; driver: tests/support/load.py). Three runs, one after another:

1. keys, cached: every viewer re-asks its granted keys with no pause (TIDECAST_PAYMENT_CACHE_SECONDS=2,
   the default): key requests/s and per CPU-second of the function processes.
2. keys, uncached: the same after a rolling restart of the functions with the cache off (0), so
   every key reads the chain. The anchor: ratio cached / uncached.
3. watch, with faults: viewers play as players do (a key per key period and its segment from the
   store, the playback token renewed at half its life), a creator uploads a clip every few
   seconds, newcomers register; meanwhile the media worker is SIGKILLed mid-transcode, a
   function process SIGKILLed, Redis killed and restarted empty, PostgreSQL stopped 5 s.
   Figures: key requests/s, p50/p99, every status, 503s a fault, recovery times, every upload
   ready (and how long after the run), every registration's mail delivered once.

The load generator runs on the same two cores as everything else, so the rates are this
machine's floor, not the platform's ceiling; the CPU per key request is the figure that scales.

    .venv/bin/python bench/production_load.py [--viewers 16] [--keys-seconds 20] [--watch-seconds 90]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts the project on the path

from tests.support.load import REFUSALS, Run, faults, mail_counts, run_locust, seed, wait_all_ready
from tests.support.production import Production, running_production


def key_figures(run: Run) -> tuple[float, float]:
    served = run.statuses("key")[200]
    return served / run.seconds, served / run.cpu_seconds if run.cpu_seconds else float("nan")


def restart_functions(prod: Production, cache_seconds: str) -> None:
    """A rolling restart of the function processes with the payment cache at `cache_seconds`."""
    prod.env["TIDECAST_PAYMENT_CACHE_SECONDS"] = cache_seconds
    for index in range(len(prod.function_ports)):
        prod.kill_function(index)
        prod.start_function(index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=16)
    parser.add_argument("--keys-seconds", type=int, default=20)
    parser.add_argument("--watch-seconds", type=int, default=90)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_production(Path(tmp), viewers=args.viewers) as prod:
        work = Path(tmp)
        seeded = seed(prod, work, viewers=args.viewers, seconds=60)
        print(f"platform up, {args.viewers} viewers with payment streams open")

        cached = run_locust(
            prod, seeded.plan, work, classes=["Viewer"], seconds=args.keys_seconds, mode="keys"
        )
        restart_functions(prod, "0")
        uncached = run_locust(
            prod, seeded.plan, work, classes=["Viewer"], seconds=args.keys_seconds, mode="keys"
        )
        restart_functions(prod, "2")
        for name, run in (("cached", cached), ("uncached", uncached)):
            assert not run.server_errors(), run.errors[:5]
            rps, per_cpu = key_figures(run)
            print(
                f"keys {name:8}: {rps:7.1f} key requests/s, {per_cpu:7.1f} per function CPU-second "
                f"({1000 / per_cpu:.2f} ms CPU each), p50 {run.latency('key', 0.5):.1f} ms, "
                f"p99 {run.latency('key', 0.99):.1f} ms, statuses {dict(sorted(run.statuses().items()))}"
            )
        ratio = key_figures(cached)[0] / key_figures(uncached)[0]
        print(f"ratio cached / uncached (key requests/s): {ratio:.2f}")

        at = {"worker": 10.0, "function": 30.0, "redis": 50.0, "postgres": 70.0}
        at = {k: v * args.watch_seconds / 90 for k, v in at.items()}
        watch = run_locust(
            prod,
            {**seeded.plan, "uploadEvery": 5},
            work,
            classes=["Viewer", "Creator", "Newcomer"],
            seconds=args.watch_seconds,
            during=faults(prod, seeded.creator_token, work, at=at),
        )
        after = wait_all_ready(prod, watch)
        rps, per_cpu = key_figures(watch)
        print(f"watch ({args.watch_seconds} s, {args.viewers} viewers, a creator, newcomers), with faults:")
        print(f"  key requests/s {rps:.1f}")
        for name in ("key", "playback", "segment", "upload create", "upload patch", "register"):
            print(
                f"  {name:14} {dict(sorted(watch.statuses(name).items()))}, "
                f"p50 {watch.latency(name, 0.5):.1f} ms, p99 {watch.latency(name, 0.99):.1f} ms"
            )
        print(f"  all statuses {dict(sorted(watch.statuses().items()))}")
        bad = watch.server_errors()
        print(f"  5xx other than 503, and unanswered: {len(bad)} {bad[:5]}")
        print(f"  503 from the balancer (an instance died mid-request): {prod.balancer.failed_over}")
        other = {s for s in watch.statuses() if s not in REFUSALS | {200, 201, 202, 204, 503}}
        print(f"  statuses outside 2xx, the refusals and 503: {sorted(other)}")
        for fault in watch.faults:
            window = dict(watch.unavailable(fault))
            line = f"  {fault.name}: down {fault.restored - fault.start:.1f} s, 503s {window}, "
            line += f"last 503 {watch.recovery(fault):.1f} s after it was back"
            if fault.stream_id:
                line += f"; its stream ready {fault.ready - fault.start:.1f} s after the kill"
            print(line)
        print(
            f"  uploads accepted {len(watch.uploaded)} (+1 killed mid-transcode): every one ready, "
            f"the last {max(after.values()):.1f} s after the load stopped"
        )
        counts = mail_counts(prod, watch)
        accepted = [mails for status, mails in counts.values() if status in (201, 202)]
        refused = [mails for status, mails in counts.values() if status not in (201, 202)]
        print(
            f"  registrations {len(counts)}: {len(accepted)} accepted, "
            f"{sum(1 for m in accepted if m == 1)} of them mailed exactly once, "
            f"{sum(1 for m in accepted if m > 1)} twice or more; {len(refused)} refused (503), "
            f"{sum(refused)} mails to those"
        )


if __name__ == "__main__":
    main()
