"""The site (issue 22): what browsing costs the API, and what each page weighs and takes to show.

1. The catalogue's listing on 10,000 streams, in process through the streams function's handler
   (an HTTP API v1 event, as API Gateway sends): a search (`q`, every word in the title,
   description or creator's name), each sort (title, price, duration), a creator's channel, and
   paging deep into a sort with its cursor. Anchor, measured in the same run: the plain listing
   (`?status=ready`, newest first), what the site asked before search and sort existed. Equal
   output: every variant's first page is checked against the same query done in Python over all
   rows (the same ids in the same order).
2. Each page in Debian's chromium against the dev server as `tidecast dev` runs it, with a few
   videos: bytes fetched (HTML, CSS, JavaScript, JSON, images), requests, and the time to the
   first contentful paint and to `load` (median of runs, a fresh context each, cache off).
   Anchor: the 404 page, the site's lightest page (the layout, the stylesheet, no data).

    .venv/bin/python bench/site.py [--streams 10000] [--calls 200] [--runs 5] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository on the path

from tests.support.events import aws_event

WORDS = ("tide", "reef", "storm", "harbour", "kelp", "gull", "surf", "dune", "swell", "pier")


def seed(engine: Any, count: int) -> None:
    """`count` ready streams by 50 creators, with titles, descriptions, prices and durations
    spread out (inserted in bulk: the listing reads rows, it does not care how they came)."""
    from sqlalchemy import insert

    from tidecast.db.schema import streams, users
    from tidecast.media.streams import price_key

    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(users),
            [
                {
                    "id": f"u{n}",
                    "username": f"creator_{n}",
                    "email": f"c{n}@example.com",
                    "email_key": f"c{n}@example.com",
                    "password_hash": "x",
                    "password_changed_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(50)
            ],
        )
        rows = []
        for n in range(count):
            price = f"0.{(n * 7919) % 1000:03d}".rstrip("0").rstrip(".") or "0"
            rows.append(
                {
                    "id": f"s{n:06d}",
                    "title": f"{WORDS[n % 10].title()} {WORDS[(n // 10) % 10]} {n}",
                    "description": f"A video about the {WORDS[(n * 3) % 10]} at dawn.",
                    "owner_id": f"u{n % 50}",
                    "status": "ready",
                    "progress": 100.0,
                    "duration": float((n * 37) % 3600 + 5),
                    "price_per_second": price,
                    "price_key": price_key(price),
                    "created_at": now + timedelta(seconds=n),
                    "updated_at": now,
                }
            )
        conn.execute(insert(streams), rows)


def expected(engine: Any, query: dict[str, str]) -> list[str]:
    """The first page's ids, by Python over every row: the listing's equal-output check."""
    from decimal import Decimal

    from sqlalchemy import select

    from tidecast.db.schema import streams, users

    with engine.connect() as conn:
        rows = conn.execute(
            select(streams, users.c.username).select_from(
                streams.outerjoin(users, users.c.id == streams.c.owner_id)
            )
        ).all()
    if "q" in query:
        words = query["q"].lower().split()
        rows = [
            r
            for r in rows
            if all(
                w in r.title.lower() or w in r.description.lower() or w in (r.username or "") for w in words
            )
        ]
    if "creator" in query:
        rows = [r for r in rows if r.username == query["creator"]]
    sort = query.get("sort", "newest")
    keys: dict[str, Any] = {
        "newest": lambda r: (r.created_at, r.id),
        "title": lambda r: (r.title.lower(), r.id),
        "price": lambda r: (Decimal(r.price_per_second), r.id),
        "duration": lambda r: (r.duration, r.id),
    }
    rows.sort(key=keys[sort], reverse=sort in ("newest", "duration"))
    return [r.id for r in rows[: int(query.get("limit", "20"))]]


def listing_bench(engine: Any, calls: int) -> list[dict[str, Any]]:
    from tidecast.functions.streams import handler

    def call(query: dict[str, str]) -> dict[str, Any]:
        reply = handler(aws_event("1.0", "GET", "/.netlify/functions/streams", query=query), None)
        assert reply["statusCode"] == 200, reply
        return json.loads(reply["body"])["data"]  # type: ignore[no-any-return]

    variants: list[tuple[str, dict[str, str]]] = [
        ("newest first (anchor)", {"status": "ready", "limit": "24"}),
        ("search q=storm kelp", {"status": "ready", "limit": "24", "q": "storm kelp"}),
        ("sort=title", {"status": "ready", "limit": "24", "sort": "title"}),
        ("sort=price", {"status": "ready", "limit": "24", "sort": "price"}),
        ("sort=duration", {"status": "ready", "limit": "24", "sort": "duration"}),
        ("channel creator=creator_7", {"status": "ready", "limit": "24", "creator": "creator_7"}),
    ]
    results = []
    for name, query in variants:
        first = call(query)
        assert [s["id"] for s in first["items"]] == expected(engine, query), name
        timings = []
        for _ in range(calls):
            started = time.perf_counter()
            call(query)
            timings.append(time.perf_counter() - started)
        results.append({"variant": name, **summary(timings)})
    # Deep paging: the 20th page of a sort, by its cursor (keyset: no OFFSET to skip).
    query = {"status": "ready", "limit": "24", "sort": "price"}
    for _ in range(19):
        query["cursor"] = call(query)["nextCursor"]
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        call(query)
        timings.append(time.perf_counter() - started)
    results.append({"variant": "sort=price, page 20 by cursor", **summary(timings)})
    return results


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
    }


PAGES = (
    ("404 (anchor)", "/no-such-page"),
    ("browse", "/"),
    ("browse, searched", "/?q=tide&sort=price"),
    ("channel", "/channel/?name=creator_1"),
    ("watch", "/watch/?id={stream}"),
    ("studio (signed out)", "/studio/"),
    ("account (signed out)", "/account/"),
    ("credit", "/credit/"),
)


def page_bench(base: str, stream: str, runs: int) -> list[dict[str, Any]]:
    from tests.support.browser import chromium

    results = []
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as context:
        for name, path in PAGES:
            fcp, load, weights, counts = [], [], [], []
            for _ in range(runs):
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                fetched: list[int] = []
                cdp.on(
                    "Network.loadingFinished",
                    lambda e, fetched=fetched: fetched.append(int(e["encodedDataLength"])),
                )
                page.goto(base + path.format(stream=stream), wait_until="networkidle")
                timing = page.evaluate(
                    """() => {
                      const nav = performance.getEntriesByType("navigation")[0];
                      const paint = performance.getEntriesByName("first-contentful-paint")[0];
                      return {fcp: paint ? paint.startTime : null, load: nav.loadEventEnd};
                    }"""
                )
                fcp.append(timing["fcp"] or 0.0)
                load.append(timing["load"])
                weights.append(sum(fetched))
                counts.append(len(fetched))
                page.close()
            results.append(
                {
                    "page": name,
                    "requests": int(statistics.median(counts)),
                    "kB": round(statistics.median(weights) / 1000, 1),
                    "fcp_ms": round(statistics.median(fcp), 1),
                    "load_ms": round(statistics.median(load), 1),
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="the listing on PostgreSQL, not SQLite")
    args = parser.parse_args()

    from tests.support.functions import bind_functions
    from tests.support.platform import running_platform
    from tests.support.postgres import running_postgres
    from tidecast.config import load_settings
    from tidecast.container import create_services
    from tidecast.db.migrate import upgrade

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{tmp / 'bench.db'}"
        if args.postgres:
            url = stack.enter_context(running_postgres()).url
        services = create_services(
            load_settings(env_file=None, overrides={"DATABASE_URL": url, "TIDECAST_DATA_DIR": str(tmp)})
        )
        stack.callback(services.close)
        upgrade(services.engine)
        seed(services.engine, args.streams)
        bind_functions(services)
        stack.callback(bind_functions, None)
        listing = listing_bench(services.engine, args.calls)
        anchor = listing[0]["p50_ms"]
        print(
            f"## Listing {args.streams} streams ({'PostgreSQL' if args.postgres else 'SQLite'}), "
            f"in process, {args.calls} calls each"
        )
        print(f"{'variant':36} {'p50 ms':>8} {'p95 ms':>8} {'x anchor':>9}")
        for row in listing:
            print(
                f"{row['variant']:36} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['p50_ms'] / anchor:9.2f}"
            )

        (tmp / "platform").mkdir()
        platform = stack.enter_context(running_platform(tmp / "platform", {}))
        stream = seed_platform(platform)
        pages = page_bench(platform.base, stream, args.runs)
        base = pages[0]
        print(f"\n## Pages in chromium, median of {args.runs} cold loads (cache off)")
        print(f"{'page':24} {'requests':>8} {'kB':>8} {'FCP ms':>8} {'load ms':>8} {'x anchor load':>14}")
        for row in pages:
            ratio = row["load_ms"] / base["load_ms"] if base["load_ms"] else float("nan")
            print(
                f"{row['page']:24} {row['requests']:8d} {row['kB']:8.1f} {row['fcp_ms']:8.1f} "
                f"{row['load_ms']:8.1f} {ratio:14.2f}"
            )


def seed_platform(platform: Any) -> str:
    """A creator with one short video uploaded and processed: the watch page's subject."""
    from tests.e2e.test_front_end import register
    from tests.e2e.test_watch_page import login, ready_stream
    from tests.support import media

    register(platform.base, "creator_1")
    platform.verify_email("creator_1@example.com")
    token = login(platform.base, "creator_1")
    with tempfile.TemporaryDirectory() as work:
        clip = media.testsrc(Path(work) / "clip.mp4", size="320x240", seconds=4).read_bytes()
    return str(ready_stream(platform.base, token, clip, "Tide pools")["id"])


if __name__ == "__main__":
    main()
