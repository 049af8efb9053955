"""Where content on IPFS is served from: its own origin, `<cid>.ipfs.<domain>[:port]`, as Kubo's
subdomain gateway does (specs.ipfs.tech/http-gateways/subdomain-gateway).

A path gateway serves every CID on one origin, the site's: HTML in any CID (an identity CID
holds its content inside the CID, so anyone can make one) then runs as the site, with its
storage and its same-origin pages. On a subdomain each CID is an origin of its own. The label
is the CID in version 1, base32 (what a DNS label can carry: lower case), or base36 when base32
is over the 63 characters a label may hold; a CID too long for either has no origin and is
refused, as Kubo refuses it. An IP-literal host has no subdomains, so `127.0.0.1` and `[::1]`
send content to `localhost`'s (browsers resolve every `*.localhost` name to loopback).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

from multiformats import CID

from tidecast.errors import InvalidInput
from tidecast.ipfs.cids import parse_cid

MAX_LABEL = 63


def dns_label(cid: CID) -> str:
    """The CID as one DNS label: CIDv1 base32, else base36 (Kubo's order), else InvalidInput."""
    v1 = cid.set(version=1)
    for base in ("base32", "base36"):
        label = str(v1.encode(base))
        if len(label) <= MAX_LABEL:
            return label
    raise InvalidInput(
        f"CID incompatible with DNS label length limit of {MAX_LABEL}: it has no origin of its own "
        "to be served from (a CID this long holds its content inline; add the content instead)"
    )


def cid_of_label(label: str) -> CID:
    """The CID a subdomain label names (InvalidInput for anything else)."""
    return parse_cid(label)


def split_host(host: str) -> tuple[str, str]:
    """A Host header as (name, port), the port "" when there is none; IPv6 keeps its brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def gateway_domain(host_name: str) -> str:
    """The domain under which `<cid>.ipfs.` is put for a request that came to `host_name`."""
    try:
        ipaddress.ip_address(host_name.strip("[]"))
    except ValueError:
        return host_name or "localhost"
    return "localhost"


def subdomain_url(scheme: str, host: str, cid: CID, names: list[str], *, slash: bool, query: str) -> str:
    """`scheme://<label>.ipfs.<domain>[:port]/<names>[/][?query]` for a request to `host`."""
    name, port = split_host(host)
    netloc = f"{dns_label(cid)}.ipfs.{gateway_domain(name)}" + (f":{port}" if port else "")
    path = "/" + "/".join(quote(part, safe="") for part in names)
    if names and slash:
        path += "/"
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
