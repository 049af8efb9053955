"""Gated keys: GET /api/keys/<id>/<period> per second through the dev server with the chain read
cached (TIDECAST_PAYMENT_CACHE_SECONDS=2) and uncached (0), and the latency a gated segment
start adds over an ungated one.

One embedded chain (eth-tester over JSON-RPC, in this process) with the contracts deployed; a
creator and a viewer with linked wallets; a priced stream with sealed keys; a real payment
stream. Two dev servers (own uvicorn processes, the same database), one per cache setting; wrk
drives each for a bounded time at fixed concurrency, A B A B, the better of each pair kept. The
key asked for is one already granted (a player re-asking, the common case), so each request
does the whole check: token, stream row, wallets, chain read (or cache), grant lookup.

A first ask (a period not granted before) also inserts the grant and counts the payment's and
the viewer's other payment streams' grants (the look-ahead is lent per viewer and media stream):
its latency, sequential, against a re-ask of a granted period, medians of up to 12 each.

Segment start, measured sequentially (one viewer): ungated = GET the first segment; gated =
POST playback (token) + GET its key + GET the segment. Medians of `--starts` runs each.
Anchor: the uncached server; the ratio cached/uncached is the cache's worth.

    .venv/bin/python bench/keys.py [--seconds 5] [--concurrency 8] [--starts 30]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _common import DEV_APP, ROOT, bench_env, start

SEGMENT_BYTES = 256 * 1024  # about a 2 s 360p segment
FIRST_ASKS = 12  # periods 1-12: within the budget once the wrk runs (24 s or more) have paid


def seed(env: dict[str, str], chain: object) -> dict[str, str]:
    """Users, wallets, a priced stream with keys and a payment stream, in this process."""
    from sqlalchemy import update

    from tests.support.accounts import add_user
    from tests.support.chain import link_wallet
    from tidecast.config import load_settings
    from tidecast.container import create_services
    from tidecast.db.migrate import upgrade
    from tidecast.db.schema import streams

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        svc = create_services(load_settings())
        upgrade(svc.engine)
        c = chain  # tests.support.chain.Chain
        add_user(svc.engine, "uc", "cara", "cara@example.com")
        add_user(svc.engine, "uv", "vic", "vic@example.com")
        link_wallet(svc.engine, "uc", c.accounts[3].address, c.deployment.chain_id)  # type: ignore[attr-defined]
        link_wallet(svc.engine, "uv", c.accounts[2].address, c.deployment.chain_id)  # type: ignore[attr-defined]
        sid = svc.streams.create(title="bench", owner_id="uc").id
        with svc.engine.begin() as conn:
            conn.execute(
                update(streams)
                .where(streams.c.id == sid)
                .values(
                    status="ready",
                    price_per_second="0.01",
                    key_period_seconds=2.0,
                    key_periods=FIRST_ASKS + 1,
                )
            )
            svc.media_keys.store(conn, sid, [svc.media_keys.new_key() for _ in range(FIRST_ASKS + 1)])
        pay = svc.chain_signer.open_stream(
            c.accounts[2].private_key,  # type: ignore[attr-defined]
            c.accounts[3].address,  # type: ignore[attr-defined]
            "0.01",
            "1000",
        )
        login = svc.accounts.issue_login("uv").token
        svc.close()
        return {"stream": sid, "pay": str(pay), "login": login}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def site_root(tmp: Path, stream_id: str) -> Path:
    """A site root whose functions are the project's and whose publish dir holds one segment."""
    root = tmp / "site"
    (root / "public" / "streams" / stream_id).mkdir(parents=True)
    (root / "netlify.toml").write_text((ROOT / "netlify.toml").read_text())
    (root / "tidecast").symlink_to(ROOT / "tidecast")
    (root / "public" / "streams" / stream_id / "seg0.ts").write_bytes(os.urandom(SEGMENT_BYTES))
    return root


def wrk(url: str, token: str, seconds: int, concurrency: int) -> float:
    header = ["-H", f"Authorization: Bearer {token}"]
    subprocess.run(["wrk", "-t1", "-c2", "-d1s", *header, url], check=True, capture_output=True)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", *header, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    found = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    assert found is not None, out
    return float(found[1])


def token(client: httpx.Client, base: str, ids: dict[str, str]) -> str:
    got = client.post(
        f"{base}/api/streams/{ids['stream']}/playback",
        json={"paymentStreamId": ids["pay"]},
        headers={"Authorization": f"Bearer {ids['login']}"},
    )
    got.raise_for_status()
    return str(got.json()["data"]["token"])


def starts(base: str, ids: dict[str, str], runs: int) -> tuple[float, float]:
    """Median ms of an ungated segment start and of a gated one."""
    segment = f"{base}/streams/{ids['stream']}/seg0.ts"
    ungated, gated = [], []
    with httpx.Client(timeout=10) as client:
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get(segment).raise_for_status()
            ungated.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            play = token(client, base, ids)
            client.get(
                f"{base}/api/keys/{ids['stream']}/0", headers={"Authorization": f"Bearer {play}"}
            ).raise_for_status()
            client.get(segment).raise_for_status()
            gated.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ungated), statistics.median(gated)


def first_asks(base: str, ids: dict[str, str], periods: int) -> tuple[float, float]:
    """Median ms of a key re-asked (granted before) and of a key asked for the first time."""
    again, first = [], []
    with httpx.Client(timeout=10) as client:
        play = token(client, base, ids)
        auth = {"Authorization": f"Bearer {play}"}
        for period in range(1, periods + 1):
            t0 = time.perf_counter()
            client.get(f"{base}/api/keys/{ids['stream']}/0", headers=auth).raise_for_status()
            again.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            got = client.get(f"{base}/api/keys/{ids['stream']}/{period}", headers=auth)
            first.append((time.perf_counter() - t0) * 1000)
            if got.status_code != 200:  # past the budget: the bench ran too briefly
                raise RuntimeError(f"period {period}: {got.status_code} {got.text}")
    return statistics.median(again), statistics.median(first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--starts", type=int, default=30)
    args = parser.parse_args()

    from tests.support.anvil import running_embedded_chain
    from tests.support.chain import deployed

    with tempfile.TemporaryDirectory() as tmp, running_embedded_chain() as url:
        chain = deployed(url)
        env = {**bench_env(tmp), **chain.env(), "TIDECAST_CHAIN_CONFIRMATIONS": "0"}
        ids = seed(env, chain)
        root = site_root(Path(tmp), ids["stream"])
        servers = {}
        try:
            for name, ttl in (("cached", "2"), ("uncached", "0")):
                proc, base = start(
                    DEV_APP.replace("pathlib.Path(sys.argv[2])", f"pathlib.Path({str(root)!r})"),
                    {**env, "TIDECAST_PAYMENT_CACHE_SECONDS": ttl},
                )
                servers[name] = (proc, base)
            with httpx.Client(timeout=10) as client:
                tokens = {n: token(client, b, ids) for n, (_, b) in servers.items()}
            best: dict[str, float] = {}
            for _ in range(2):  # A B A B
                for name, (_, base) in servers.items():
                    # Renewed each round: the token lives two key periods.
                    with httpx.Client(timeout=10) as client:
                        tokens[name] = token(client, base, ids)
                    rps = wrk(
                        f"{base}/api/keys/{ids['stream']}/0", tokens[name], args.seconds, args.concurrency
                    )
                    best[name] = max(best.get(name, 0.0), rps)
            ungated, gated = starts(servers["cached"][1], ids, args.starts)
            again, first = first_asks(servers["cached"][1], ids, FIRST_ASKS)
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=10)
    print(f"key requests/s, chain read cached (2 s):  {best['cached']:8.0f}")
    print(f"key requests/s, chain read every time:    {best['uncached']:8.0f}")
    print(f"ratio cached / uncached:                  {best['cached'] / best['uncached']:8.2f}")
    print(f"segment start, ungated (segment only):    {ungated:8.1f} ms (median of {args.starts})")
    print(f"segment start, gated (token+key+segment): {gated:8.1f} ms")
    print(f"added by gating:                          {gated - ungated:8.1f} ms ({gated / ungated:.2f}x)")
    print(f"key, granted before (re-ask):             {again:8.1f} ms (median of {FIRST_ASKS})")
    print(f"key, first ask (grant + budget):          {first:8.1f} ms ({first / again:.2f}x)")


if __name__ == "__main__":
    main()
