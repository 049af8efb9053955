"""Card credit: what a Stripe webhook costs the billing function, and what a card-paid play costs
beside a wallet-paid one.

1. Webhook deliveries per CPU-second, in process: `checkout.session.completed` events, each for
   its own checkout, signed with the `stripe` library as Stripe signs them, through the billing
   function's handler on an HTTP API v2 event (verify, record the event id, credit the ledger in
   one transaction); then the same events delivered again (Stripe's retries: found by event id,
   nothing written). Anchor, measured in the same run: the signature check and JSON parse alone
   (`WebhookSignature.verify_header` + `json.loads`), the floor any handler pays. Equal output:
   every checkout credited exactly once (one purchase row each, the balance the sum of them).
2. Seconds from pressing play to holding the first key, then stopping and being charged, on the
   embedded chain (blocks mined on each transaction): card credit (hold, treasury stream, key,
   cancel, settlement) against the wallet path a browser takes (approve + createStream, key,
   cancel). Anchor: the wallet path. Equal output: what each was charged equals what its stream
   streamed on chain.

`--postgres` runs both on a PostgreSQL server the bench starts, in place of SQLite.

    .venv/bin/python bench/billing.py [--events 400] [--plays 8] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from contextlib import ExitStack
from typing import Any

from _common import bench_env

from tests.support.events import aws_event

WEBHOOK_SECRET = "whsec_bench_0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--plays", type=int, default=8)
    parser.add_argument("--postgres", action="store_true", help="on a PostgreSQL server, not SQLite")
    args = parser.parse_args()

    from sqlalchemy import func, select, update
    from stripe._webhook import WebhookSignature

    from tests.support.accounts import add_user
    from tests.support.anvil import running_embedded_chain
    from tests.support.billing import checkout_on_record, completed
    from tests.support.chain import deployed, link_wallet
    from tests.support.functions import bind_functions
    from tests.support.postgres import running_postgres
    from tidecast.billing import ledger
    from tidecast.config import load_settings
    from tidecast.container import create_services
    from tidecast.db.migrate import upgrade
    from tidecast.db.schema import ledger_entries, streams
    from tidecast.functions import billing
    from tidecast.functions.keys import handler as keys_handler

    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        chain = deployed(stack.enter_context(running_embedded_chain()))
        env = {
            **bench_env(tmp),
            **chain.env(),
            "TREASURY_PRIVATE_KEY": chain.accounts[5].private_key,
            "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TIDECAST_PAYMENT_CACHE_SECONDS": "0",
            "TIDECAST_CREDIT_HOLD_SECONDS": "600",
        }
        if args.postgres:
            env["DATABASE_URL"] = stack.enter_context(running_postgres()).url
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            svc = create_services(load_settings())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        stack.callback(svc.close)
        upgrade(svc.engine)
        svc.billing.kick_reconcile = None
        bind_functions(svc)
        stack.callback(bind_functions, None)
        for user, name in (("uc", "cara"), ("uv", "vic"), ("uw", "wes")):
            add_user(svc.engine, user, name, f"{name}@example.com")
        link_wallet(svc.engine, "uc", chain.accounts[3].address, chain.deployment.chain_id)
        link_wallet(svc.engine, "uw", chain.accounts[2].address, chain.deployment.chain_id)

        # -- 1. webhooks -------------------------------------------------------------------------
        credit = 5 * 10**18
        payloads = []
        for n in range(args.events):
            session = checkout_on_record(svc.engine, "uv", credit=credit, session=f"cs_bench_{n:06d}")
            payloads.append(json.dumps(completed(session, f"pi_bench_{n:06d}")))
        signed = [(p, WebhookSignature.generate_signature_header(p, WEBHOOK_SECRET)) for p in payloads]
        requests = [
            aws_event(
                "2.0",
                "POST",
                "/.netlify/functions/billing/webhook",
                body=p,
                headers={"Stripe-Signature": h, "Content-Type": "application/json"},
            )
            for p, h in signed
        ]
        billing.handler(requests[0], None)  # warm: imports, the first connection
        started = time.process_time()
        for request in requests[1:]:
            answer = billing.handler(request, None)
            assert answer["statusCode"] == 200, answer
        applied = (time.process_time() - started) / (len(requests) - 1)
        started = time.process_time()
        for request in requests:
            answer = billing.handler(request, None)
            assert '"duplicate"' in answer["body"], answer
        duplicate = (time.process_time() - started) / len(requests)
        started = time.process_time()
        for payload, header in signed:
            WebhookSignature.verify_header(payload, header, WEBHOOK_SECRET, 300)
            json.loads(payload)
        floor = (time.process_time() - started) / len(signed)
        with svc.engine.connect() as conn:
            purchases = conn.execute(
                select(func.count()).select_from(ledger_entries).where(ledger_entries.c.kind == "purchase")
            ).scalar_one()
            balance = ledger.balance(conn, ledger.available("uv"))
        assert purchases == 2 * args.events and balance == credit * args.events, (purchases, balance)

        # -- 2. pressing play, first key, stop ---------------------------------------------------
        sid = svc.streams.create(title="bench", owner_id="uc").id
        with svc.engine.begin() as conn:
            conn.execute(
                update(streams)
                .where(streams.c.id == sid)
                .values(status="ready", price_per_second="0.01", key_period_seconds=2.0, key_periods=4)
            )
            svc.media_keys.store(conn, sid, [svc.media_keys.new_key() for _ in range(4)])

        def first_key(user: str, pay: int | str) -> None:
            grant = svc.playback.start(user, sid, pay, session_version=0)
            key = aws_event(
                "2.0",
                "GET",
                f"/.netlify/functions/keys/{sid}/0",
                headers={"Authorization": f"Bearer {grant.token}"},
            )
            assert keys_handler(key, None)["statusCode"] == 200

        card: list[float] = []
        wallet: list[float] = []
        for _ in range(args.plays):
            begun = time.perf_counter()
            playback = svc.credit.open("uv", sid)
            assert playback.payment_stream_id is not None
            first_key("uv", playback.payment_stream_id)
            done = svc.credit.stop("uv", playback.id)
            card.append(time.perf_counter() - begun)
            on_chain = svc.chain.get_payment_stream_details(playback.payment_stream_id)
            assert done.charged == on_chain.withdrawn, (done.charged, on_chain.withdrawn)

            begun = time.perf_counter()
            pay = svc.chain_signer.open_stream(
                chain.accounts[2].private_key, chain.accounts[3].address, "0.01", "6"
            )
            first_key("uw", pay)
            svc.chain_signer.cancel(chain.accounts[2].private_key, pay)
            wallet.append(time.perf_counter() - begun)
        report = svc.credit.reconcile()
        assert report.mismatches == [] and report.balance_mismatches == [], report

    card.sort()
    wallet.sort()
    figures: dict[str, Any] = {
        "database": "PostgreSQL" if args.postgres else "SQLite",
        "webhooks_applied_per_cpu_second": round(1 / applied),
        "webhooks_duplicate_per_cpu_second": round(1 / duplicate),
        "signature_checks_per_cpu_second_anchor": round(1 / floor),
        "ratio_applied_over_anchor": round(floor / applied, 3),
        "card_play_to_first_key_and_stop_s_median": round(card[len(card) // 2], 3),
        "wallet_play_to_first_key_and_stop_s_median": round(wallet[len(wallet) // 2], 3),
        "ratio_card_over_wallet": round(card[len(card) // 2] / wallet[len(wallet) // 2], 2),
    }
    print(json.dumps(figures))
    print(f"database: {figures['database']}; {args.events} events, {args.plays} plays of each kind")
    print(f"webhook applied (verify, record, credit):  {1 / applied:8.0f} /CPU-s ({applied * 1000:.2f} ms)")
    print(
        f"webhook delivered again (found by its id): {1 / duplicate:8.0f} /CPU-s ({duplicate * 1000:.2f} ms)"
    )
    print(f"anchor: signature check + JSON alone:      {1 / floor:8.0f} /CPU-s ({floor * 1000:.3f} ms)")
    card_s, wallet_s = (
        figures["card_play_to_first_key_and_stop_s_median"],
        figures["wallet_play_to_first_key_and_stop_s_median"],
    )
    print(f"play -> first key -> stop, card credit:    {card_s:8.3f} s (median)")
    print(f"play -> first key -> stop, wallet-paid:    {wallet_s:8.3f} s (median, the anchor)")
    print(f"ratio card / wallet:                       {figures['ratio_card_over_wallet']:8.2f}")


if __name__ == "__main__":
    main()
