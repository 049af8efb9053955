"""The Blockchain Data Service and the chain watcher against real nodes: the embedded chain and
Anvil (each test runs on both), mail through a real SMTP server, SQLite (and PostgreSQL where
workers race)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from tests.support.accounts import add_user
from tests.support.anvil import rpc
from tests.support.auth import deliver
from tests.support.chain import Chain, chain_services, deployed, link_wallet
from tests.support.parts import free_port
from tests.support.smtp import SmtpServer
from tidecast.chain.service import BlockchainDataService
from tidecast.container import Services
from tidecast.db.schema import chain_logs, event_deliveries, events, payment_streams
from tidecast.errors import InvalidInput, Reverted, Unavailable
from tidecast.imports import sane_import

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def chain(node: str) -> Chain:
    return deployed(node)


@pytest.fixture
def svc(engine: Engine, chain: Chain, smtp: SmtpServer) -> Iterator[Services]:
    services = chain_services(engine, chain, **smtp.env(), TIDECAST_BCRYPT_ROUNDS="4")
    yield services
    services.close()


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def names(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(conn.execute(select(events.c.name)).scalars())


# -- reads --------------------------------------------------------------------------------------


@SQLITE
def test_balances_in_one_batch_agree_with_one_call_each(svc: Services, chain: Chain) -> None:
    token = chain.deployment.token
    addresses = [a.address for a in chain.accounts] + ["0x000000000000000000000000000000000000dEaD"]
    batched = svc.chain.get_token_balances(addresses, token)
    single = {a: svc.chain.get_token_balance(a.lower(), token) for a in addresses}
    assert list(batched.values()) == list(single.values())
    assert batched[chain.accounts[2].address] == 1_000_000 * 10**18 and batched[addresses[-1]] == 0
    with pytest.raises(InvalidInput, match="address"):
        svc.chain.get_token_balance("0x1234", token)
    with pytest.raises(InvalidInput, match="address"):
        svc.chain.get_token_balances([addresses[0], "0x1234"], token)
    # Past one batch of 100: every answer in its address's place (the funded ones come last).
    many = [f"0x{i:040x}" for i in range(1, 141)] + [a.address for a in chain.accounts]
    answers = svc.chain.get_token_balances(many, token)
    assert list(answers) == [svc.chain.w3.to_checksum_address(a) for a in many]
    assert list(answers.values()) == [0] * 140 + [1_000_000 * 10**18] * len(chain.accounts)
    # No contract at the token's address: both ways refuse rather than answer 0, with a domain
    # error (the platform's own contracts are there: the caller named a wrong one, a 409).
    nowhere = "0x" + "12" * 20
    with pytest.raises(Reverted, match="interface does not allow"):
        svc.chain.get_token_balances(addresses, nowhere)
    with pytest.raises(Reverted, match="interface does not allow"):
        svc.chain.get_token_balance(addresses[0], nowhere)


def test_an_unconfigured_contract_and_an_unreachable_node_are_clear(node: str) -> None:
    bare = BlockchainDataService(node, payment_stream_address=None, token_address=None)
    with pytest.raises(Unavailable, match="PAYMENT_STREAM_CONTRACT_ADDRESS"):
        bare.get_payment_stream_details(1)
    gone = BlockchainDataService(
        f"http://user:s3cret@127.0.0.1:{free_port()}",
        payment_stream_address=None,
        token_address=None,
        timeout=2,
    )
    with pytest.raises(Unavailable) as caught:
        gone.block_number()
    assert caught.value.retry_after == 5 and "s3cret" not in caught.value.message


@SQLITE
def test_the_money_path_and_its_reverts(svc: Services, chain: Chain) -> None:
    viewer, creator, stranger = chain.accounts[2], chain.accounts[3], chain.accounts[4]
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.5", "100")
    s = svc.chain.get_payment_stream_details(sid)
    assert (s.sender, s.recipient, s.flow_rate, s.deposit, s.active) == (
        viewer.address,
        creator.address,
        5 * 10**17,
        100 * 10**18,
        True,
    )
    assert s.depletion_time == s.start_time + 200
    chain.advance(20)
    before = svc.chain.get_token_balance(creator.address, chain.deployment.token)
    svc.chain_signer.withdraw(creator.private_key, sid)  # all that accrued
    got = svc.chain.get_token_balance(creator.address, chain.deployment.token) - before
    assert 10 * 10**18 <= got <= 11 * 10**18  # 20 s at 0.5, plus the seconds blocks took
    with pytest.raises(Reverted) as refused:
        svc.chain_signer.withdraw(viewer.private_key, sid, "1")
    assert refused.value.reason and "recipient" in refused.value.reason
    with pytest.raises(Reverted):
        svc.chain_signer.top_up(stranger.private_key, sid, "1")
    svc.chain_signer.top_up(viewer.private_key, sid, "10")
    assert svc.chain.get_payment_stream_details(sid).deposit == 110 * 10**18
    svc.chain_signer.cancel(creator.private_key, sid)
    assert svc.chain.get_payment_stream_details(sid).active is False
    with pytest.raises(Reverted):
        svc.chain_signer.cancel(viewer.private_key, sid)
    with pytest.raises(Reverted):
        svc.chain.get_payment_stream_details(10_000)
    with pytest.raises(InvalidInput, match="decimal places"):
        svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.0000000000000000001", "1")


@SQLITE
def test_history_is_newest_first_from_logs_and_then_from_the_index(svc: Services, chain: Chain) -> None:
    viewer, creator = chain.accounts[2], chain.accounts[3]
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "1", "50")
    chain.advance(5)
    svc.chain_signer.top_up(viewer.private_key, sid, "5")
    svc.chain_signer.withdraw(creator.private_key, sid, "2")
    fresh = svc.chain.get_transaction_history(viewer.address, limit=20)
    kinds = [e["event"] for e in fresh]
    blocks = [e["blockNumber"] for e in fresh]
    assert blocks == sorted(blocks, reverse=True)
    assert {"StreamCreated", "ToppedUp", "Withdrawn", "Transfer"} <= set(kinds)
    assert all(viewer.address in (e["from"], e["to"]) for e in fresh)
    assert fresh[0]["event"] == "Withdrawn" and fresh[0]["streamId"] == str(sid) and fresh[0]["timestamp"]
    assert len(svc.chain.get_transaction_history(viewer.address, limit=2)) == 2

    assert svc.watcher.drain() is not None
    assert count(svc.engine, chain_logs) > 0
    indexed = svc.chain.get_transaction_history(viewer.address, limit=20)
    assert indexed == fresh  # the index answers the same, now without eth_getLogs
    assert svc.chain.get_transaction_history("0x000000000000000000000000000000000000dEaD") == []


@SQLITE
def test_transactions_whose_cost_grows_after_the_estimate_still_land(svc: Services, chain: Chain) -> None:
    """A node estimates gas against its latest block; the transaction runs in a later one, where
    the stream has streamed more and a top-up or cancel writes more (tidecast/chain/gas.py). The
    clock moves on between the two here as it does whenever a second boundary falls between."""
    viewer, creator = chain.accounts[2], chain.accounts[3]
    token = svc.chain.contract(
        chain.deployment.token, sane_import("tidecast.chain.artifacts").load("DemoToken").abi
    )
    # A standing allowance, so no approval block lands between the stream's block and the estimate.
    svc.chain_signer.transact(
        token.functions.approve(chain.deployment.payment_stream, 10**21), viewer.private_key
    )
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.01", "10")
    before = svc.chain.get_token_balance(creator.address, chain.deployment.token)
    rpc(chain.url, "evm_increaseTime", 100)
    svc.chain_signer.top_up(viewer.private_key, sid, "2")
    topped = svc.chain.get_payment_stream_details(sid)
    assert topped.deposit == 12 * 10**18 and topped.active
    rpc(chain.url, "evm_increaseTime", 100)
    svc.chain_signer.cancel(viewer.private_key, sid)
    cancelled = svc.chain.get_payment_stream_details(sid)
    assert not cancelled.active and cancelled.withdrawn >= 200 * 10**16  # 0.01 a second, 200 s on
    paid = svc.chain.get_token_balance(creator.address, chain.deployment.token) - before
    assert paid == cancelled.withdrawn


@SQLITE
@pytest.mark.parametrize("node", ["anvil"], indirect=True)  # the embedded chain estimates later
def test_without_the_headroom_anvil_runs_the_cancel_out_of_gas(
    svc: Services, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the headroom is for, with it taken away: the cancel reverts, and says why."""
    viewer, creator = chain.accounts[2], chain.accounts[3]
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.01", "10")
    monkeypatch.setattr("tidecast.chain.signer.gas_limit", lambda estimate, block_limit=None: estimate)
    rpc(chain.url, "evm_increaseTime", 100)
    with pytest.raises(Reverted, match="ran out of gas") as caught:
        svc.chain_signer.cancel(viewer.private_key, sid)
    assert caught.value.reason == "out of gas"
    assert svc.chain.get_payment_stream_details(sid).active  # nothing changed


# -- the watcher --------------------------------------------------------------------------------


@SQLITE
def test_new_streams_and_top_ups_mail_the_linked_sender(
    svc: Services, chain: Chain, smtp: SmtpServer, engine: Engine
) -> None:
    viewer, creator, unlinked = chain.accounts[2], chain.accounts[3], chain.accounts[4]
    user = add_user(engine, "u1", "ann", "ann@example.com")
    link_wallet(engine, user["id"], viewer.address, chain.deployment.chain_id)
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.01", "12.5")
    svc.chain_signer.top_up(viewer.private_key, sid, "2")
    svc.chain_signer.open_stream(unlinked.private_key, creator.address, "0.01", "3")
    svc.watcher.drain()
    assert names(engine)["payment.created"] == 3
    mails = deliver(svc, smtp, 2)
    subjects = Counter(m.message["Subject"] for m in mails)
    assert subjects == Counter({"Payment Confirmation": 2}) and all(
        m.envelope_to == ["ann@example.com"] for m in mails
    )
    texts = " ".join(m.message.get_body(("plain",)).get_content() for m in mails)
    assert "12.5 TIDE" in texts and "2 TIDE" in texts
    with engine.connect() as conn:
        tx = conn.execute(
            select(chain_logs.c.transaction_hash).where(chain_logs.c.event == "StreamCreated")
        ).first()
    assert tx is not None and tx.transaction_hash in texts
    svc.watcher.drain()  # nothing new: nothing published twice
    assert names(engine)["payment.created"] == 3


def test_two_workers_polling_at_once_index_each_event_once(engine: Engine, chain: Chain) -> None:
    """Both databases: the cursor moves conditioned on where it was, so one poll wins a range."""
    first, second = (chain_services(engine, chain) for _ in range(2))
    viewer, creator = chain.accounts[2], chain.accounts[3]
    for _ in range(3):
        first.chain_signer.open_stream(viewer.private_key, creator.address, "0.01", "1")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def poll(services: Services) -> None:
        try:
            barrier.wait(timeout=10)
            services.watcher.drain()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=poll, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert count(engine, chain_logs, chain_logs.c.event == "StreamCreated") == 3
    assert names(engine)["payment.created"] == 3


@SQLITE
def test_two_first_polls_both_making_the_cursor_go_on(engine: Engine, chain: Chain) -> None:
    """`tidecast dev`'s worker runs two chain drains at start-up, and both found no cursor: the
    second insert failed (a traceback in every `tidecast dev`). Here the other worker makes
    the cursor, and polls, between this poll's read and its insert, every time."""
    first, second = (chain_services(engine, chain) for _ in range(2))
    first.chain_signer.open_stream(chain.accounts[2].private_key, chain.accounts[3].address, "0.01", "1")
    raced: list[str] = []

    def meanwhile(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.startswith("INSERT INTO chain_cursors") and not raced:
            raced.append(statement)
            second.watcher.poll()  # on another connection, committed before this insert runs

    event.listen(engine, "before_cursor_execute", meanwhile)
    try:
        first.watcher.drain()
    finally:
        event.remove(engine, "before_cursor_execute", meanwhile)
    assert raced
    assert count(engine, chain_logs, chain_logs.c.event == "StreamCreated") == 1
    assert names(engine)["payment.created"] == 1


@SQLITE
def test_a_reorg_shallower_than_the_depth_never_reaches_the_index(engine: Engine, chain: Chain) -> None:
    svc = chain_services(engine, chain, TIDECAST_CHAIN_CONFIRMATIONS="3")
    svc.watcher.drain()
    snapshot = rpc(chain.url, "evm_snapshot")
    svc.chain_signer.open_stream(chain.accounts[2].private_key, chain.accounts[3].address, "0.01", "1")
    chain.mine(1)
    created = chain_logs.c.event == "StreamCreated"
    svc.watcher.drain()  # the stream's block is not 3 deep yet
    assert count(engine, chain_logs, created) == 0
    assert rpc(chain.url, "evm_revert", snapshot) is True  # the blocks are replaced
    chain.mine(6)
    svc.watcher.drain()
    assert count(engine, chain_logs, created) == 0 and names(engine)["payment.created"] == 0


@SQLITE
def test_a_reorg_deeper_than_the_depth_is_reindexed(engine: Engine, chain: Chain) -> None:
    svc = chain_services(engine, chain, TIDECAST_CHAIN_CONFIRMATIONS="0")
    svc.watcher.drain()
    viewer, creator, other = chain.accounts[2], chain.accounts[3], chain.accounts[4]
    snapshot = rpc(chain.url, "evm_snapshot")
    svc.chain_signer.open_stream(viewer.private_key, creator.address, "0.01", "1")
    svc.watcher.drain()
    created = chain_logs.c.event == "StreamCreated"
    assert count(engine, chain_logs, created, chain_logs.c.sender == viewer.address) == 1
    rpc(chain.url, "evm_revert", snapshot)
    chain.mine(1)  # a different block at the same height
    svc.chain_signer.open_stream(other.private_key, creator.address, "0.01", "2")
    svc.watcher.drain()
    with engine.connect() as conn:
        senders = (
            conn.execute(select(chain_logs.c.sender).where(chain_logs.c.event == "StreamCreated"))
            .scalars()
            .all()
        )
    assert senders == [other.address]


@pytest.mark.slow  # deploys to two chains
@SQLITE
def test_a_restarted_development_chain_is_indexed_from_the_start(engine: Engine) -> None:
    from tests.support.anvil import running_embedded_chain

    port = free_port()
    for run in range(2):
        with running_embedded_chain(port=port) as url:
            chain = deployed(url)
            svc = chain_services(engine, chain)
            svc.chain_signer.open_stream(
                chain.accounts[2].private_key, chain.accounts[3].address, "0.01", str(run + 1)
            )
            svc.watcher.drain()
            with engine.connect() as conn:
                deposits = conn.execute(select(payment_streams.c.deposit)).scalars().all()
            assert deposits == [str((run + 1) * 10**18)]  # the first run's stream is gone with its chain
            svc.close()


@SQLITE
def test_low_balance_mail_once_per_stream_per_top_up(
    svc: Services, chain: Chain, smtp: SmtpServer, engine: Engine
) -> None:
    viewer, creator = chain.accounts[2], chain.accounts[3]
    user = add_user(engine, "u1", "ann", "ann@example.com")
    link_wallet(engine, user["id"], viewer.address, chain.deployment.chain_id)
    sid = svc.chain_signer.open_stream(viewer.private_key, creator.address, "1", "300")  # dry in 5 min
    svc.watcher.drain()
    svc.watcher.drain()
    mails = deliver(svc, smtp, 2)  # confirmation + one low-balance notice
    low = [m for m in mails if "running low" in m.message["Subject"]]
    assert len(low) == 1 and low[0].envelope_to == ["ann@example.com"]
    text = low[0].message.get_body(("plain",)).get_content()
    assert "TIDE" in text and "min" in text
    svc.chain_signer.top_up(viewer.private_key, sid, "60")  # still under 10 minutes: a new notice
    svc.watcher.drain()
    svc.watcher.drain()
    mails = deliver(svc, smtp, 4)
    assert sum("running low" in m.message["Subject"] for m in mails) == 2
    with engine.connect() as conn:
        row = conn.execute(select(payment_streams)).one()
    assert (row.top_ups, row.low_balance_for, row.status) == (1, 1, "active")


@SQLITE
@pytest.mark.parametrize(
    "payload",
    # The id (now), and the stream's API JSON (events stored before payloads carried ids).
    [{"streamId": "media-1"}, {"stream": {"id": "media-1", "title": "t"}}],
    ids=["ids", "old-api-json"],
)
def test_stream_started_is_recorded_on_chain_once(
    svc: Services, chain: Chain, engine: Engine, payload: dict[str, Any]
) -> None:
    from sqlalchemy import update

    from tidecast.chain.artifacts import load
    from tidecast.db.tx import transaction

    with transaction(engine) as conn:
        svc.events.publish(conn, "stream.started", payload)
    svc.events.deliver_due()
    with engine.begin() as conn:  # at-least-once: the delivery runs again
        conn.execute(update(event_deliveries).values(status="pending"))
    svc.events.deliver_due()
    registry = svc.chain.contract(chain.deployment.registry, load("StreamRegistry").abi)
    found = registry.events.StreamStarted().get_logs(from_block=0)
    assert [e["args"]["mediaStreamId"] for e in found] == ["media-1"]
    assert count(engine, event_deliveries, event_deliveries.c.status == "done") == 1
