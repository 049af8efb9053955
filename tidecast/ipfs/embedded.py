"""The embedded IPFS node (an embedded part): the block store under `.tidecast/ipfs`, the Kubo
RPC subset on IPFS_API_URL's port, and the gateway there and on the dev server: content on its
CID's own origin, `<cid>.ipfs.localhost:<port>`, and `/ipfs/<cid>` redirecting there (Kubo's
subdomain gateway; see tidecast/ipfs/gateway.py), so nothing on IPFS runs as the site.

`plan` looks at IPFS_API_URL as ChainPart looks at RPC_URL. Another host (or https): a real
node (Kubo, IPFS Cluster's proxy) is configured; nothing starts. A loopback address where a
Kubo RPC node already answers `POST /api/v0/version` (Kubo or js-ipfs started by hand): that
node is used. A loopback address where nothing listens: this node serves there. Anything else
holding the port stops `tidecast dev` before its banner, naming IPFS_API_URL.

`configure` points IPFS_GATEWAY at the dev server (which serves `/ipfs/` from the same store)
unless the environment set it; production keeps the reference's public gateway default.

`running_node(settings)` is the same node for one CLI command's duration, for `tidecast ipfs`
when nothing answers at a loopback IPFS_API_URL.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from tidecast.config import Settings, mask_url
from tidecast.ipfs.blockstore import BlockStore
from tidecast.ipfs.gateway import Gateway
from tidecast.ipfs.reader import Reader
from tidecast.ipfs.rpc import KuboRpc
from tidecast.net.sockets import PortTaken, bind_host, bind_socket, free_port, is_loopback
from tidecast.net.threaded import ThreadedServer

NODE_THREAD = "tidecast-ipfs-node"
STORE_DIR = "ipfs"


class IpfsNode:
    """The block store, the Kubo RPC routes and the gateway, served over HTTP on host:port in
    a thread of its own (`start`/`stop`), or mounted into another app (`rpc`, `gateway`)."""

    def __init__(
        self, store: BlockStore, host: str, port: int, *, max_add_bytes: int, header_timeout: float = 10.0
    ) -> None:
        self.store = store
        self.host = host
        self.port = port
        self.header_timeout = header_timeout
        self.rpc = KuboRpc(store, max_add_bytes=max_add_bytes)
        self.gateway = Gateway(Reader(store))
        self._server: ThreadedServer | None = None

    @classmethod
    def from_settings(cls, settings: Settings, host: str = "127.0.0.1", port: int = 5001) -> IpfsNode:
        store = BlockStore(settings.tidecast_data_dir / STORE_DIR)
        return cls(
            store,
            host,
            port,
            max_add_bytes=settings.tidecast_ipfs_max_add_bytes,
            header_timeout=settings.tidecast_header_timeout_seconds,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def app(self) -> Starlette:
        # The gateway's content host first: a request to `<cid>.ipfs.localhost:<port>` is content,
        # whatever its path, never the RPC.
        return Starlette(routes=[*self.gateway.routes(), *self.rpc.routes()])

    def start(self) -> None:
        """Bind first (a taken port is an OSError before anything else), then serve; returns
        once the server accepts connections."""
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._server = ThreadedServer(
            self.app(), name=NODE_THREAD, header_timeout=self.header_timeout, what="the embedded IPFS node"
        )
        self._server.start(sock)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None


class IpfsPart:
    """The embedded part. `node` is None when another node answers at IPFS_API_URL."""

    name = "embedded IPFS node"
    setting = "IPFS_API_URL"

    def __init__(self, settings: Settings, *, embedded: bool) -> None:
        parts = urlsplit(settings.ipfs_api_url)
        self.api_url = settings.ipfs_api_url
        self.port = parts.port or 80
        self.node = (
            IpfsNode.from_settings(settings, bind_host(parts.hostname or "127.0.0.1"), self.port)
            if embedded
            else None
        )
        self.gateway_url: str | None = None

    @classmethod
    def plan(cls, settings: Settings) -> IpfsPart | None:
        parts = urlsplit(settings.ipfs_api_url)
        if parts.scheme != "http" or not is_loopback(parts.hostname or ""):
            return None  # a real node elsewhere
        held_by = probe(settings.ipfs_api_url)
        if held_by == "node":
            return cls(settings, embedded=False)
        if held_by == "other":
            raise PortTaken(_taken(settings.ipfs_api_url))
        return cls(settings, embedded=True)

    @property
    def endpoint(self) -> str:
        return self.api_url

    def start(self) -> None:
        if self.node is not None:
            try:
                self.node.start()
            except OSError as exc:
                raise PortTaken(_taken(self.api_url)) from exc

    def stop(self) -> None:
        if self.node is not None:
            self.node.stop()

    def configure(self, settings: Settings) -> Settings:
        """IPFS_GATEWAY → the dev server's own /ipfs/ (when this node runs and the environment
        did not choose a gateway)."""
        if self.node is None:
            return settings
        moved = settings.with_default("ipfs_gateway", settings.tidecast_public_url)
        self.gateway_url = moved.ipfs_gateway
        return moved

    def routes(self) -> list[BaseRoute]:
        return []

    def public_routes(self) -> list[BaseRoute]:
        """The gateway on the dev server, for everyone (content by CID is public by nature):
        the `<cid>.ipfs.<domain>` host, and `/ipfs/` redirecting to it."""
        return self.node.gateway.routes() if self.node is not None else []

    def banner(self, base_url: str) -> str:
        if self.node is None:
            return f"ipfs      {mask_url(self.api_url)} (the node already there; its own gateway)"
        where = self.node.store.root
        line = f"ipfs      {mask_url(self.api_url)} (embedded node, blocks in {where})"
        line += f" → {base_url}/ipfs/<cid> (served from <cid>.ipfs.localhost)"
        if self.gateway_url and self.gateway_url != base_url:
            line += f"\n          IPFS_GATEWAY {mask_url(self.gateway_url)}"
        return line


@contextlib.contextmanager
def running_node(settings: Settings) -> Iterator[str]:
    """The Kubo RPC URL to use for one command: IPFS_API_URL when a node answers there (or it
    names another host), else this node started on that port for the block's duration (or on
    a free port if that one is taken by something else)."""
    parts = urlsplit(settings.ipfs_api_url)
    elsewhere = parts.scheme != "http" or not is_loopback(parts.hostname or "")
    if elsewhere or probe(settings.ipfs_api_url) == "node":
        yield settings.ipfs_api_url.rstrip("/")
        return
    host = bind_host(parts.hostname or "127.0.0.1")
    node = IpfsNode.from_settings(settings, host, parts.port or 80)
    try:
        node.start()
    except OSError:
        node = IpfsNode.from_settings(settings, host, 0)
        node.start()
    try:
        yield node.url
    finally:
        node.stop()


def command_gateway(settings: Settings, api_url: str) -> str:
    """IPFS_GATEWAY for a command run beside `tidecast dev`: what the environment set, else,
    when the node at `api_url` is this embedded node, the dev server's /ipfs/, as `tidecast dev`
    itself configures it (IpfsPart.configure), so the CLI prints the URLs the platform stores.
    Another node (a local Kubo) keeps the configured default."""
    if "ipfs_gateway" in settings.model_fields_set:
        return settings.ipfs_gateway

    try:
        answer = httpx.post(api_url.rstrip("/") + "/api/v0/version", timeout=3).json()
    except (httpx.HTTPError, ValueError):
        return settings.ipfs_gateway
    if isinstance(answer, dict) and answer.get("Repo") == "tidecast":
        return settings.tidecast_public_url
    return settings.ipfs_gateway


def probe(url: str) -> str:
    """What holds `url`: "none" (nothing listens), "node" (a Kubo RPC node answers
    `POST /api/v0/version`), or "other"."""
    parts = urlsplit(url)
    host = bind_host(parts.hostname or "127.0.0.1")
    try:
        with socket.create_connection((host, parts.port or 80), timeout=1):
            pass
    except OSError:
        return "none"
    try:
        reply = httpx.post(url.rstrip("/") + "/api/v0/version", timeout=3)
        answer = reply.json()
    except (httpx.HTTPError, ValueError):
        return "other"
    if reply.status_code == 200 and isinstance(answer, dict) and isinstance(answer.get("Version"), str):
        return "node"
    return "other"


def _taken(api_url: str) -> str:
    parts = urlsplit(api_url)
    return (
        f"cannot start the embedded IPFS node on {mask_url(api_url)}: the port is in use by something "
        f"that does not answer the Kubo RPC API. Move it with IPFS_API_URL=http://127.0.0.1:{free_port()} "
        f"(any free port), or stop what holds port {parts.port}"
    )
