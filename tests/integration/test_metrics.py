"""The workers' backlog reaches the CloudWatch agent as `QueueDepth`, one EMF document a pool.

The agent itself does not run here; a UDP socket on 127.0.0.1 stands where it listens, and
each datagram is checked against the embedded metric format's rules (the `_aws` metadata, the
namespace, the dimension set, the metric value as a number at the top level). The counts come
from real job rows on both databases.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, update

from tidecast.container import Services, publish_queue_depth
from tidecast.db.schema import jobs
from tidecast.errors import ConfigError
from tidecast.metrics import EmfSender, queue_depth_documents


@pytest.fixture
def agent() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def received(sock: socket.socket, count: int) -> list[dict[str, Any]]:
    return [json.loads(sock.recvfrom(65536)[0]) for _ in range(count)]


def check_emf(document: dict[str, Any]) -> None:
    """The specification's rules for one document."""
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_600_000_000_000
    for directive in meta["CloudWatchMetrics"]:
        assert directive["Namespace"] == "tidecast"
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(document[name], str) for name in dimension_set)
        for metric in directive["Metrics"]:
            assert isinstance(document[metric["Name"]], int)


def test_each_pool_s_unfinished_jobs_are_sent_as_queue_depth(
    engine: Engine, make_services: Callable[..., Services], agent: socket.socket
) -> None:
    port = agent.getsockname()[1]
    svc = make_services(engine, quiet=("jobs", "events"), TIDECAST_METRICS_URL=f"udp://127.0.0.1:{port}")
    svc.jobs.handle("test.general", lambda job: None)  # a kind of the general pool
    with engine.begin() as conn:
        transcodes = [svc.jobs.enqueue(conn, "stream.transcode", f"s{i}", {"upload": "x"}) for i in range(3)]
        svc.jobs.enqueue(conn, "test.general")
    with engine.begin() as conn:  # one transcode running, one finished
        conn.execute(update(jobs).where(jobs.c.id == transcodes[0]).values(status="running"))
        conn.execute(update(jobs).where(jobs.c.id == transcodes[1]).values(status="done"))
    assert publish_queue_depth(svc) == 2
    documents = {d["Pool"]: d for d in received(agent, 2)}
    for document in documents.values():
        check_emf(document)
    assert documents["media"]["QueueDepth"] == 2  # one waiting, one running; the done one not
    assert documents["general"]["QueueDepth"] == 1


def test_unset_sends_nothing_and_a_bad_url_names_the_setting(
    engine: Engine, make_services: Callable[..., Services]
) -> None:
    assert publish_queue_depth(make_services(engine, quiet=("jobs", "events"))) == 0
    for bad in ("http://127.0.0.1:25888", "udp://127.0.0.1", "udp://:25888"):
        with pytest.raises(ConfigError, match="TIDECAST_METRICS_URL"):
            EmfSender(bad)


def test_an_agent_that_is_not_there_costs_nothing(agent: socket.socket) -> None:
    port = agent.getsockname()[1]
    agent.close()  # nobody listens: UDP sends anyway, and a refusal is logged, not raised
    sender = EmfSender(f"udp://127.0.0.1:{port}")
    # Handed to the network and forgotten: no exception, no wait.
    assert sender.send(queue_depth_documents({"media": 1, "general": 0}, at_ms=1_700_000_000_000)) == 2
