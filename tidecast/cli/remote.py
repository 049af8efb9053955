"""What the commands that talk to a running platform share (`tidecast upload`, `tidecast wallet`):
its address, the login token, and the typed client (tidecast.client) they call it through.

These commands are clients of the platform's public API, as a browser or a script is; they never
open its database. The address is `--url` (or TIDECAST_URL; default the dev server's
http://localhost:8888) and the login token `--token` (or TIDECAST_TOKEN): a login token lives a
day and is what `curl -H "Authorization: Bearer …"` sends anyway, unlike a private key, which
these commands take only from an environment variable or a file.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from tidecast.cli import common

if TYPE_CHECKING:
    from tidecast.client import Tidecast

Url = Annotated[
    str,
    typer.Option("--url", envvar="TIDECAST_URL", help="The platform's address."),
]
Token = Annotated[
    str,
    typer.Option("--token", envvar="TIDECAST_TOKEN", help="A login token (POST /api/auth/login)."),
]
DEFAULT_URL = "http://localhost:8888"


@contextmanager
def platform(url: str, token: str, *, timeout: float = 60) -> Iterator[Tidecast]:
    """The platform at `url` as the account of `token`; whatever it answers that is not what was
    asked (its `{error, code}` with the request id, or no answer at all) exits 1 in one line."""
    from tidecast.client import Tidecast, TidecastError, Unreachable  # lazy

    try:
        client = Tidecast(url, token or None, timeout=timeout)
    except ValueError as exc:
        raise common.fail(f"tidecast: --url: {exc}") from None
    try:
        with client:
            yield client
    except Unreachable as exc:
        raise common.fail(
            f"tidecast: {url} does not answer ({exc.__cause__ or exc}); is `make dev` running?", code=1
        ) from None
    except TidecastError as exc:
        raise common.fail(f"tidecast: {exc}", code=1) from None
