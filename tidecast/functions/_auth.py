"""`require_auth`: the one way a function demands a valid login token.

    @app.route("GET", "me")
    @require_auth
    def me(request: Request, user: Principal) -> Response: ...

A missing, malformed, expired or revoked token answers the standard 401 body (with
`WWW-Authenticate: Bearer`, which the edge adds to every 401) before the route's code runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tidecast.accounts.service import Principal
from tidecast.accounts.tokens import bearer_token
from tidecast.errors import NotAuthenticated
from tidecast.runtime import Request, Response


def authenticate(request: Request) -> Principal:
    """The principal behind the request's Bearer token, or the standard 401."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise NotAuthenticated("Missing token: send 'Authorization: Bearer <token>'")
    return request.services.accounts.authenticate(token)


def optional_principal(request: Request) -> Principal | None:
    """The principal when an Authorization header is sent (it must then be valid), else None."""
    return authenticate(request) if request.headers.get("authorization") else None


def require_auth(endpoint: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(endpoint)
    def guarded(request: Request, **params: Any) -> Response:
        return endpoint(request, authenticate(request), **params)

    return guarded
