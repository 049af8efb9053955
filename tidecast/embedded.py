"""Embedded parts: what `tidecast dev` brings up so a laptop needs no servers installed.

Each part stands in for a real engine and listens where that engine would (the dev SMTP
capture on SMTP_PORT, an EVM chain on RPC_URL's port, an IPFS node on IPFS_API_URL's
port). They share one small interface, so `tidecast dev` composes a list of parts instead of
growing a branch for each:

- `plan(settings)` decides whether the part is needed at all (the settings may point at a real
  engine elsewhere) and returns it, or None;
- `start()` / `stop()`;
- `configure(settings)` returns the settings in effect once it runs (the chain puts the
  addresses of the contracts it deployed there); `tidecast dev` builds its services from them;
- `endpoint` is where it listens, `setting` names what moves it (`SMTP_PORT`), so a port that
  is taken gives an error naming the setting to change;
- `routes()` are the pages it adds to the dev server under `/_dev/` (served only to a local
  Host: they show keys and reset links);
- `public_routes()` are what it serves on the dev server to everyone (the IPFS gateway's
  `/ipfs/`), outside `/_dev/`;
- `banner(base_url)` is its line in the start-up banner.

Each part lives with its domain (tidecast/mail/embedded.py, tidecast/chain/embedded.py,
tidecast/ipfs/embedded.py, tidecast/billing/embedded.py: localstripe, a fake of Stripe), so each
has one home; this module is the interface and the composition `tidecast dev` runs, and it is
the only one that imports them all.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from typing import Protocol

from starlette.routing import BaseRoute

from tidecast.billing.embedded import StripePart
from tidecast.chain.embedded import ChainPart
from tidecast.config import Settings
from tidecast.ipfs.embedded import IpfsPart
from tidecast.mail.embedded import MailCapture
from tidecast.net.sockets import PortTaken, port_in_use, port_taken_message

__all__ = ["EmbeddedPart", "PortTaken", "configure_all", "plan", "start_all", "stop_all"]


class EmbeddedPart(Protocol):
    name: str
    setting: str
    port: int

    @property
    def endpoint(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def configure(self, settings: Settings) -> Settings: ...

    def routes(self) -> list[BaseRoute]: ...

    def public_routes(self) -> list[BaseRoute]: ...

    def banner(self, base_url: str) -> str: ...


def plan(settings: Settings) -> list[EmbeddedPart]:
    """The parts these settings need, in start order."""
    found: list[EmbeddedPart | None] = [
        MailCapture.plan(settings),
        ChainPart.plan(settings),
        IpfsPart.plan(settings),
        StripePart.plan(settings),
    ]
    return [p for p in found if p is not None]


def configure_all(parts: Sequence[EmbeddedPart], settings: Settings) -> Settings:
    """The settings in effect once every (started) part has added what it provides."""
    for part in parts:
        settings = part.configure(settings)
    return settings


def start_all(parts: Sequence[EmbeddedPart]) -> None:
    """Start every part, or none: on a failure the ones started are stopped again."""
    started: list[EmbeddedPart] = []
    try:
        for part in parts:
            try:
                part.start()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE or port_in_use(part.port):
                    raise PortTaken(port_taken_message(part.name, part.endpoint, part.setting)) from exc
                raise
            started.append(part)
    except BaseException:
        stop_all(started)
        raise


def stop_all(parts: Sequence[EmbeddedPart]) -> None:
    for part in reversed(parts):
        part.stop()
