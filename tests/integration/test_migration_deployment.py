"""Migration 0009 on rows written before it, on SQLite and PostgreSQL: key grants are kept under
"legacy-<chain id>" (no deployment's key equals it, so they count for no payment stream); the
watcher's cursor and stream rows are adopted by the next poll when the genesis matches, so an
upgrade neither re-indexes the chain nor mails anything twice; and the downgrade goes back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, insert

from tests.support.accounts import add_user
from tests.support.chain import Chain, chain_services, deployed
from tidecast.chain.index import CURSOR
from tidecast.db.engine import build_engine
from tidecast.db.migrate import downgrade, upgrade
from tidecast.db.schema import streams
from tidecast.db.times import now_utc


@pytest.fixture
def old_engine(db_url: str) -> Iterator[Engine]:
    eng = build_engine(db_url)
    upgrade(eng, "0008")
    yield eng
    eng.dispose()


def test_rows_from_before_keep_their_meaning(old_engine: Engine, anvil: str) -> None:
    chain: Chain = deployed(anvil)
    cid, now = chain.deployment.chain_id, now_utc()
    w3 = chain_services(old_engine, chain).chain.w3
    genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
    head = int(w3.eth.block_number)
    add_user(old_engine, "u1")  # users and streams are as they were at 0008
    with old_engine.begin() as conn:
        conn.execute(insert(streams).values(id="s1", title="t", created_at=now, updated_at=now))
        conn.execute(
            sa.text("INSERT INTO key_grants (chain_id, payment_stream_id, media_stream_id, period, user_id,"
                    " granted_at) VALUES (:c, '1', 's1', 0, 'u1', :t)"),
            {"c": cid, "t": now},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO payment_streams (chain_id, stream_id, sender, recipient, token, flow_rate,"
                    " deposit, start_time, status, top_ups, updated_block, updated_at) VALUES (:c, '1',"
                    " :a, :b, :a, '1', '1', :t, 'active', 0, :n, :t)"),
            {"c": cid, "a": chain.accounts[2].address, "b": chain.accounts[3].address, "t": now, "n": head},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO chain_cursors (name, chain_id, genesis_hash, last_block, last_block_hash,"
                    " updated_at) VALUES (:name, :c, :g, :n, :h, :t)"),
            {"name": CURSOR, "c": cid, "g": genesis, "n": head,
             "h": "0x" + bytes(w3.eth.get_block(head)["hash"]).hex(), "t": now},
        )  # fmt: skip
    upgrade(old_engine)
    with old_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT deployment FROM key_grants")).scalar_one() == f"legacy-{cid}"
        assert conn.execute(sa.text("SELECT deployment FROM payment_streams")).scalar_one() == f"legacy-{cid}"
        assert conn.execute(sa.text("SELECT deployment FROM chain_cursors")).scalar_one() is None

    svc = chain_services(old_engine, chain)
    key = svc.chain.deployment().key
    assert svc.watcher.poll() is None  # nothing new: the cursor stood where it was
    with old_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT deployment, last_block FROM chain_cursors")).one() == (key, head)
        assert conn.execute(sa.text("SELECT deployment FROM payment_streams")).scalar_one() == key
        assert conn.execute(sa.text("SELECT deployment FROM key_grants")).scalar_one() == f"legacy-{cid}"
        # A second deployment's grant of the same (id, film, period): another row now.
        conn.execute(
            sa.text("INSERT INTO key_grants (deployment, chain_id, payment_stream_id, media_stream_id,"
                    " period, user_id, granted_at) VALUES (:d, :c, '1', 's1', 0, 'u1', :t)"),
            {"d": key, "c": cid, "t": now},
        )  # fmt: skip
        conn.commit()
    svc.close()
    downgrade(old_engine, "0008")  # the old key holds one of the two: the latest stays
    with old_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM key_grants")).scalar_one() == 1
    upgrade(old_engine)
