"""Which browser pages may call the Kubo RPC: as Kubo decides it (go-ipfs-cmds' HTTP handler,
`allowOrigin`, `allowReferer`, `allowUserAgent`; Kubo's t0401-api-browser-security test).

A web page can send a cross-origin "simple" POST (form-encoded or multipart, no preflight) to
any address, loopback included; the browser only keeps the answer from the page. So an RPC that
changes things (add, pin/rm, repo/gc) must refuse such requests itself. Kubo allows, by default,
only the API's own origin (`http(s)://127.0.0.1:<port>`, `[::1]`, `localhost`) and answers
`403 - Forbidden` to any other Origin or Referer, and to a POST from a browser's user agent
that sends neither (a browser always sends one of them on a cross-origin POST, except in old
bugs). Clients that are not browsers (curl, Kubo's CLI, tidecast's httpx client) send no Origin
and are served.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import Scope

FORBIDDEN_BODY = "403 - Forbidden\n"
_LOCAL_NAMES = ("127.0.0.1", "[::1]", "localhost")


def allowed_origins(port: int) -> frozenset[str]:
    """Kubo's default: the API's own port on the loopback names, over http and https."""
    return frozenset(f"{scheme}://{name}:{port}" for scheme in ("http", "https") for name in _LOCAL_NAMES)


def browser_allowed(scope: Scope) -> bool:
    """Whether a request may reach the RPC: its Origin and Referer (when sent) are the node's own
    origin, and a POST without either does not come from a browser's user agent."""
    headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
    server = scope.get("server") or ("", 0)
    allowed = allowed_origins(int(server[1] or 0))
    origin = headers.get("origin", "")
    if origin and origin not in allowed:
        return False
    referer = headers.get("referer", "")
    if referer:
        try:
            parts = urlsplit(referer)
        except ValueError:
            return False  # something is there and it is not a URL: refuse, as Kubo does
        if f"{parts.scheme}://{parts.netloc}" not in allowed:
            return False
    if scope.get("method") == "POST" and not origin and not referer:
        # Kubo: a browser always sends one of them on a POST; one that did not is refused.
        return not headers.get("user-agent", "").startswith("Mozilla")
    return True
