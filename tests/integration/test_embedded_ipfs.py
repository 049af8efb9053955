"""The IPFS part's plan (IPFS_API_URL elsewhere, a node already there, nothing there, something
else there), its settings, and `running_node` for one CLI command."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ipfs_node import running_node as node_on_free_port
from tests.support.parts import free_port
from tidecast import embedded
from tidecast.config import Settings
from tidecast.ipfs.embedded import IpfsNode, IpfsPart, running_node
from tidecast.net.sockets import PortTaken


def settings(tmp_path: Path, api_url: str, **extra: object) -> Settings:
    return Settings.model_validate({"tidecast_data_dir": tmp_path / "data", "ipfs_api_url": api_url, **extra})


def test_another_host_starts_nothing(tmp_path: Path) -> None:
    assert IpfsPart.plan(settings(tmp_path, "http://ipfs.internal:5001")) is None
    assert IpfsPart.plan(settings(tmp_path, "https://127.0.0.1:5001")) is None


def test_nothing_listening_starts_the_embedded_node(tmp_path: Path) -> None:
    port = free_port()
    config = settings(tmp_path, f"http://127.0.0.1:{port}", tidecast_public_url="http://localhost:9999")
    part = IpfsPart.plan(config)
    assert part is not None and part.node is not None
    part.start()
    try:
        assert httpx.post(f"http://127.0.0.1:{port}/api/v0/version").status_code == 200
        effective = part.configure(config)
        assert effective.ipfs_gateway == "http://localhost:9999"
        assert "127.0.0.1" in part.banner("http://localhost:9999")
        routes = part.public_routes()  # the content's own host first, then the /ipfs/ redirect
        assert [getattr(r, "host", None) or getattr(r, "path", None) for r in routes] == [
            "{label}.ipfs.{domain}",
            "/ipfs/{path:path}",
        ]
        assert part.routes() == []
        # the store is private, under the data directory
        assert oct((tmp_path / "data" / "ipfs").stat().st_mode & 0o777) == "0o700"
        # a gateway chosen in the environment is kept
        chosen = settings(tmp_path, f"http://127.0.0.1:{port}", ipfs_gateway="https://cdn.example")
        assert part.configure(chosen).ipfs_gateway == "https://cdn.example"
    finally:
        part.stop()


def test_a_node_already_answering_is_used(tmp_path: Path) -> None:
    with node_on_free_port(tmp_path / "other") as node:
        config = settings(tmp_path, node.url)
        part = IpfsPart.plan(config)
        assert part is not None and part.node is None
        part.start()  # nothing to start
        assert part.configure(config).ipfs_gateway == config.ipfs_gateway  # its own gateway
        assert part.public_routes() == []
        assert "already there" in part.banner("http://localhost:8888")
        with running_node(config) as url:
            assert url == node.url


@pytest.fixture
def not_a_node() -> Iterator[int]:
    """A TCP server that answers every connection with something that is not HTTP JSON."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_something_else_on_the_port_names_the_setting(tmp_path: Path, not_a_node: int) -> None:
    with pytest.raises(PortTaken, match="IPFS_API_URL"):
        IpfsPart.plan(settings(tmp_path, f"http://127.0.0.1:{not_a_node}"))
    # a CLI command still gets a node: on a free port instead
    with running_node(settings(tmp_path, f"http://127.0.0.1:{not_a_node}")) as url:
        assert url != f"http://127.0.0.1:{not_a_node}"
        assert httpx.post(url + "/api/v0/version").status_code == 200


def test_running_node_for_one_command(tmp_path: Path) -> None:
    port = free_port()
    config = settings(tmp_path, f"http://localhost:{port}")
    with running_node(config) as url:
        assert url == f"http://127.0.0.1:{port}"
        added = httpx.post(url + "/api/v0/add", files={"file": ("a.txt", b"hello world\n")})
        assert added.json()["Hash"] == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{port}/api/v0/version")
    # what it added stays in the store under the data directory, pinned
    node = IpfsNode.from_settings(config, port=0)
    assert [str(c) for c in node.store.pins()] == ["QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"]


def test_plan_includes_the_ipfs_part(tmp_path: Path) -> None:
    config = settings(
        tmp_path,
        f"http://127.0.0.1:{free_port()}",
        smtp_host="mail.example",
        rpc_url="http://chain.example:8545",
        stripe_secret_key="sk_test_stripe_itself",  # Stripe's test mode: no local fake of it
    )
    parts = embedded.plan(config)
    assert [type(p).__name__ for p in parts] == ["IpfsPart"]
