"""Key requests per CPU-second, in process: what one Lambda invocation of the keys function costs.

The keys function's handler is called on an HTTP API v2 event through the deployment's
`/api/{proxy+}` route (AWS's sample event, as API Gateway delivers it), `GET /api/keys/<id>/0` with
a playback token: a key granted before, re-asked (what a player does most). Each call is timed
with the process's CPU clock (`time.process_time`), so neither an HTTP server nor a load tool is in
the figure: it is the function's own work per request, what Lambda bills.

Two containers on one database, as `bench/keys.py` seeds it (the embedded chain in this process,
the contracts deployed, a priced stream with sealed keys, a real payment stream): the chain read
cached (TIDECAST_PAYMENT_CACHE_SECONDS=2) and read every time (0). Anchor: the uncached one
(its chain read's JSON-RPC round trip, client and the embedded node's side, is in the same
process's CPU clock). Rounds alternate A B A B; the best round of each is kept.

`--postgres` seeds and serves from a PostgreSQL server the bench starts (production's engine:
psycopg, network round trips, the pool's pre-ping) in place of the SQLite file; the server's
own CPU is not in the figure, the client's side of every round trip is.

    .venv/bin/python bench/keys_cpu.py [--calls 2000] [--rounds 3] [--profile] [--postgres]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import tempfile
import time
from contextlib import ExitStack
from typing import Any

from _common import bench_env
from keys import seed

from tests.support.events import routed_event


def event(stream: str, token: str) -> dict[str, Any]:
    path = f"/api/keys/{stream}/0"
    return routed_event(
        "2.0",
        "GET",
        path,
        "/api/{proxy+}",
        path.removeprefix("/api/"),
        headers={"authorization": f"Bearer {token}"},
    )


def round_trips(engine: Any, handler: Any, request: dict[str, Any], calls: int = 50) -> tuple[float, float]:
    """Per call: statements sent to the database (the pool's pings and the rollback each
    checked-in connection gets included) and connections checked out. Counts, not times: the
    same on a noisy machine as on a quiet one."""
    from sqlalchemy import event

    counts = {"statements": 0, "checkouts": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    def rollback(*_: Any) -> None:
        counts["statements"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine, "rollback", rollback)
    event.listen(engine.pool, "reset", rollback)
    try:
        for _ in range(calls):
            assert handler(request, None)["statusCode"] == 200
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine, "rollback", rollback)
        event.remove(engine.pool, "reset", rollback)
    return counts["statements"] / calls, counts["checkouts"] / calls


def cpu_per_call(handler: Any, request: dict[str, Any], calls: int) -> float:
    """Seconds of this process's CPU per call, over `calls` calls (each must answer 200)."""
    answer = handler(request, None)
    assert answer["statusCode"] == 200, answer
    start = time.process_time()
    for _ in range(calls):
        answer = handler(request, None)
    spent = time.process_time() - start
    assert answer["statusCode"] == 200, answer
    return spent / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where a cached call's time goes")
    parser.add_argument("--postgres", action="store_true", help="on a PostgreSQL server, not SQLite")
    args = parser.parse_args()

    from tests.support.anvil import running_embedded_chain
    from tests.support.chain import deployed
    from tests.support.functions import bind_functions
    from tests.support.postgres import running_postgres
    from tidecast.config import load_settings
    from tidecast.container import create_services
    from tidecast.functions import keys

    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(running_embedded_chain())
        chain = deployed(url)
        env = {**bench_env(tmp), **chain.env(), "TIDECAST_CHAIN_CONFIRMATIONS": "0"}
        if args.postgres:
            env["DATABASE_URL"] = stack.enter_context(running_postgres()).url
        ids = seed(env, chain)
        saved = dict(os.environ)
        containers = {}
        try:
            for name, ttl in (("cached", "2"), ("uncached", "0")):
                os.environ.update({**env, "TIDECAST_PAYMENT_CACHE_SECONDS": ttl})
                containers[name] = create_services(load_settings())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        best: dict[str, float] = {}
        try:
            for _ in range(args.rounds):
                for name, services in containers.items():
                    bind_functions(services)
                    grant = services.playback.start("uv", ids["stream"], ids["pay"], session_version=0)
                    request = event(ids["stream"], grant.token)
                    calls = args.calls if name == "cached" else max(50, args.calls // 10)
                    spent = cpu_per_call(keys.handler, request, calls)
                    best[name] = min(best.get(name, float("inf")), spent)
            cached_services = containers["cached"]
            bind_functions(cached_services)
            grant = cached_services.playback.start("uv", ids["stream"], ids["pay"], session_version=0)
            statements, checkouts = round_trips(
                cached_services.engine, keys.handler, event(ids["stream"], grant.token)
            )
            if args.profile:
                cached = containers["cached"]
                bind_functions(cached)
                grant = cached.playback.start("uv", ids["stream"], ids["pay"], session_version=0)
                request = event(ids["stream"], grant.token)
                profile = cProfile.Profile()
                profile.runcall(cpu_per_call, keys.handler, request, args.calls)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        finally:
            bind_functions(None)
            for services in containers.values():
                services.close()
    cached, uncached = best["cached"], best["uncached"]
    print(
        json.dumps(
            {
                "cpu_ms_per_key_cached": round(cached * 1000, 3),
                "cpu_ms_per_key_uncached": round(uncached * 1000, 3),
                "keys_per_cpu_second_cached": round(1 / cached),
                "keys_per_cpu_second_uncached": round(1 / uncached),
                "ratio_cached_over_uncached": round(uncached / cached, 2),
            }
        )
    )
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(
        f"a cached re-ask: {statements:.1f} statements (pings, rollbacks included), {checkouts:.1f} checkouts"
    )
    print(f"keys per CPU-second, chain read cached (2 s): {1 / cached:8.0f} ({cached * 1000:.3f} ms)")
    print(f"keys per CPU-second, chain read every time:   {1 / uncached:8.0f} ({uncached * 1000:.3f} ms)")
    print(f"ratio cached / uncached:                      {uncached / cached:8.2f}")


if __name__ == "__main__":
    main()
