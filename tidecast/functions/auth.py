"""/api/auth/*: accounts (reference: "Authentication Services").

Login answers exactly the reference's body, `{"success": true, "token", "user"}`; the other
routes answer the standard `{"success": true, "data": ...}`. Bodies are strict: undeclared
fields, wrong types and over-long strings are a 400 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from tidecast.accounts.service import Principal
from tidecast.accounts.tokens import bearer_token
from tidecast.container import from_environment
from tidecast.errors import InvalidInput, NotAuthenticated
from tidecast.functions._auth import optional_principal, require_auth
from tidecast.runtime import Function, Request, Response, json_response, ok
from tidecast.runtime.validation import Body, parse_body

app = Function("auth", services=from_environment)

# Caps on what is read at all; the rules (username pattern, password policy) come after.
Text = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=320)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Message = Annotated[str, StringConstraints(min_length=1, max_length=8192)]


class RegisterBody(Body):
    username: Short
    email: Short
    password: Text


class LoginBody(Body):
    username: Short  # a username or an email address
    password: Text


class NoBody(Body):
    """A route that takes no input: no body, or `{}`; anything else is refused like any body."""


class TokenBody(Body):
    token: Token


class EmailBody(Body):
    email: Short


class ResetBody(Body):
    token: Token
    password: Text


class NonceBody(Body):
    purpose: Literal["link", "login"] = "login"
    address: Short | None = None


class SignedBody(Body):
    message: Message
    signature: Short


def login_response(token: str, user: dict[str, Any]) -> Response:
    return json_response({"success": True, "token": token, "user": user})


@app.route("POST", "register")
def register(request: Request) -> Response:
    body = parse_body(request, RegisterBody)
    accounts = request.services.accounts
    return ok(accounts.register(body.username, body.email, body.password, request.source_ip), status=202)


@app.route("POST", "login")
def login(request: Request) -> Response:
    body = parse_body(request, LoginBody)
    token, user = request.services.accounts.login(body.username, body.password, request.source_ip)
    return login_response(token, user)


@app.route("POST", "verify")
def verify(request: Request) -> Response:
    """The claims of a valid token, sent as `Authorization: Bearer` or as `{"token"}`."""
    body = parse_body(request, TokenBody) if request.body else None
    header = request.headers.get("authorization")
    token = bearer_token(header) if header else None
    if body is not None:
        if token is not None and body.token != token:
            raise InvalidInput("Send the token once: in the Authorization header or in the body")
        token = body.token
    if token is None:
        raise NotAuthenticated("Missing token: send 'Authorization: Bearer <token>' or {\"token\": ...}")
    return ok(request.services.accounts.authenticate(token).claims)


@app.route("GET", "me")
@require_auth
def me(request: Request, user: Principal) -> Response:
    return ok(request.services.accounts.me(user.user_id))


@app.route("POST", "verify-email")
def verify_email(request: Request) -> Response:
    return ok(request.services.accounts.verify_email(parse_body(request, TokenBody).token))


@app.route("POST", "resend-verification")
@require_auth
def resend_verification(request: Request, user: Principal) -> Response:
    if request.body:
        parse_body(request, NoBody)
    request.services.accounts.request_verification(user.user_id)
    return ok({"message": "A new verification link is on its way"}, status=202)


@app.route("POST", "forgot-password")
def forgot_password(request: Request) -> Response:
    request.services.accounts.request_password_reset(parse_body(request, EmailBody).email)
    return ok({"message": "If an account uses that address, a reset link is on its way"}, status=202)


@app.route("POST", "reset-password")
def reset_password(request: Request) -> Response:
    body = parse_body(request, ResetBody)
    return ok(request.services.accounts.reset_password(body.token, body.password))


@app.route("POST", "wallet/nonce")
def wallet_nonce(request: Request) -> Response:
    """A nonce for a Sign-In with Ethereum message: `link` needs a login token, `login` not."""
    body = parse_body(request, NonceBody) if request.body else NonceBody()
    principal = optional_principal(request) if body.purpose == "link" else None
    user_id = principal.user_id if principal else None
    return ok(request.services.wallets.nonce(body.purpose, user_id, body.address), status=201)


@app.route("POST", "wallet/link")
@require_auth
def wallet_link(request: Request, user: Principal) -> Response:
    body = parse_body(request, SignedBody)
    return ok(request.services.wallets.link(user.user_id, body.message, body.signature))


@app.route("POST", "wallet/login")
def wallet_login(request: Request) -> Response:
    body = parse_body(request, SignedBody)
    token, user = request.services.wallets.login(body.message, body.signature)
    return login_response(token, user)


handler = app.handler
