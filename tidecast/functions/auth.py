"""/api/auth/*: accounts (reference: "Authentication Services").

Login answers exactly the reference's body, `{"success": true, "token", "user"}`; the other
routes answer the standard `{"success": true, "data": ...}`. Bodies are strict: undeclared
fields, wrong types and over-long strings are a 400 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from tidecast.accounts import service as accounts
from tidecast.accounts.links import LINK_TOKEN
from tidecast.accounts.service import EMAIL_MAX, USERNAME, Principal
from tidecast.accounts.tokens import bearer_token
from tidecast.container import from_environment
from tidecast.errors import InvalidInput, NotAuthenticated
from tidecast.functions._auth import optional_principal, require_auth
from tidecast.functions.models.auth import Claims, Login, Me, Nonce, Registered, User, Wallet
from tidecast.functions.models.common import Notice
from tidecast.lib import passwords
from tidecast.lib.siwe import MAX_MESSAGE_CHARS
from tidecast.runtime import Function, Request, Response, json_response, ok
from tidecast.runtime.contract import Contract, Link, Reply
from tidecast.runtime.validation import Body, parse_body

app = Function("auth", services=from_environment)

# Caps on what is read at all, for fields that are looked up rather than ruled on (a login's
# name, a token): anything longer cannot match.
Text = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=320)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Message = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS)]
# The services' rules, published: the schema tells a client what the service will refuse. The
# services keep their own checks (and messages) for callers that are not this edge. A pattern is
# published only (json_schema_extra), not enforced here: the service's refusal names the rule in
# words ("3-32 characters…", "not valid", "the first line…"), where the model's would print a
# regular expression; the answer is the same 400 either way.
Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=320,  # the cap on what is read at all (Short); the pattern is the rule
        json_schema_extra={"pattern": rf"^{USERNAME.pattern}$"},
        description="3-32 characters of A-Z, a-z, 0-9 and _ (stored lower-case)",
    ),
]
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=EMAIL_MAX,
        json_schema_extra={"format": "email"},
        description="An email address (RFC 5322 syntax, ASCII local part)",
    ),
]
# The rest of the password policy (4 different characters, not a common password, not the
# username or the address, at most 72 bytes in UTF-8) is not a JSON Schema rule: a 400 names it.
Password = Annotated[
    str,
    Field(
        min_length=passwords.MIN_LENGTH,
        max_length=passwords.MAX_BYTES,
        description=f"At least {passwords.MIN_LENGTH} characters, at most {passwords.MAX_BYTES} bytes "
        f"in UTF-8, {passwords.MIN_DISTINCT} or more different characters; not a common password, "
        "not containing the username or the address",
    ),
]
LinkToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=4096,  # the cap on what is read at all (Token); the pattern is the rule
        json_schema_extra={"pattern": rf"^{LINK_TOKEN.pattern}$"},
        description="The token of the mail's link",
    ),
]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="An Ethereum address")]
Signature = Annotated[
    str,
    Field(
        min_length=1,
        max_length=320,  # the cap on what is read at all (Short); the pattern is the rule
        json_schema_extra={"pattern": r"^0x[0-9a-fA-F]{130}$"},
        description="65 bytes (r, s, v) as 0x and 130 hex digits",
    ),
]


class RegisterBody(Body):
    username: Username
    email: Email
    password: Password


class LoginBody(Body):
    username: Short  # a username or an email address
    password: Text


class NoBody(Body):
    """A route that takes no input: no body, or `{}`; anything else is refused like any body."""


class TokenBody(Body):
    token: Token


class VerifyBody(Body):
    token: LinkToken


class EmailBody(Body):
    email: Email


class ResetBody(Body):
    token: LinkToken
    password: Password


class NonceBody(Body):
    purpose: Literal["link", "login"] = "login"
    address: Address | None = None


class SignedBody(Body):
    message: Message
    signature: Signature


def login_response(login: accounts.Login) -> Response:
    return json_response(Login.from_domain(login).model_dump(mode="json"))


LOGIN = Reply(200, "Logged in: the token and the user", Login, envelope=False)
#: The stateful chain: register, log in with what was registered, check the token, read me.
AFTER_LOGIN = {
    200: {
        "VerifyToken": Link("verifyToken", request_body={"token": "$response.body#/token"}),
    }
}


@app.route(
    "POST",
    "register",
    Contract(
        "register",
        "Create an account (a verification mail follows)",
        (Reply(202, "Accepted; the same answer whether or not the address is taken", Registered),),
        errors=(409, 429),
        body=RegisterBody,
        links={
            202: {
                "Login": Link(
                    "login",
                    request_body={
                        "username": "$request.body#/username",
                        "password": "$request.body#/password",
                    },
                )
            }
        },
    ),
)
def register(request: Request) -> Response:
    body = parse_body(request, RegisterBody)
    accounts = request.services.accounts
    registered = accounts.register(body.username, body.email, body.password, request.source_ip)
    return ok(Registered.from_domain(registered), status=202)


@app.route(
    "POST",
    "login",
    Contract(
        "login",
        "Log in with a username or email address and a password",
        (LOGIN,),
        errors=(401, 429),
        body=LoginBody,
        links=AFTER_LOGIN,
    ),
)
def login(request: Request) -> Response:
    body = parse_body(request, LoginBody)
    return login_response(request.services.accounts.login(body.username, body.password, request.source_ip))


@app.route(
    "POST",
    "verify",
    Contract(
        "verifyToken",
        "The claims of a valid login token (sent as the Bearer or as {token})",
        (Reply(200, "The token's claims", Claims),),
        errors=(401,),
        auth="optional",
        body=TokenBody,
        body_required=False,
    ),
)
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
    return ok(Claims.model_validate(request.services.accounts.authenticate(token).claims))


@app.route(
    "GET",
    "me",
    Contract("me", "The logged-in user, with linked wallets", (Reply(200, "The user", Me),), auth="bearer"),
)
@require_auth
def me(request: Request, user: Principal) -> Response:
    return ok(Me.from_domain(request.services.accounts.me(user.user_id)))


@app.route(
    "POST",
    "verify-email",
    Contract(
        "verifyEmail",
        "Confirm an email address with the token its mail carried",
        (Reply(200, "The user, verified", User),),
        errors=(401, 409),
        body=VerifyBody,
    ),
)
def verify_email(request: Request) -> Response:
    return ok(User.from_domain(request.services.accounts.verify_email(parse_body(request, VerifyBody).token)))


@app.route(
    "POST",
    "resend-verification",
    Contract(
        "resendVerification",
        "Send the verification mail again",
        (Reply(202, "A new link is on its way", Notice),),
        errors=(409, 429),
        auth="bearer",
        body=NoBody,
        body_required=False,
    ),
)
@require_auth
def resend_verification(request: Request, user: Principal) -> Response:
    if request.body:
        parse_body(request, NoBody)
    request.services.accounts.request_verification(user.user_id)
    return ok(Notice(message="A new verification link is on its way"), status=202)


@app.route(
    "POST",
    "forgot-password",
    Contract(
        "forgotPassword",
        "Mail a password reset link (the same answer for unknown addresses)",
        (Reply(202, "Accepted", Notice),),
        errors=(429,),
        body=EmailBody,
    ),
)
def forgot_password(request: Request) -> Response:
    request.services.accounts.request_password_reset(parse_body(request, EmailBody).email)
    return ok(Notice(message="If an account uses that address, a reset link is on its way"), status=202)


@app.route(
    "POST",
    "reset-password",
    Contract(
        "resetPassword",
        "Set a new password with the token the reset mail carried (ends every session)",
        (Reply(200, "The user", User),),
        errors=(401,),
        body=ResetBody,
    ),
)
def reset_password(request: Request) -> Response:
    body = parse_body(request, ResetBody)
    return ok(User.from_domain(request.services.accounts.reset_password(body.token, body.password)))


@app.route(
    "POST",
    "wallet/nonce",
    Contract(
        "walletNonce",
        "A nonce for a Sign-In with Ethereum message (purpose 'link' needs a login)",
        (Reply(201, "The nonce and the message's fields", Nonce),),
        auth="optional",
        errors=(401,),
        body=NonceBody,
        body_required=False,
    ),
)
def wallet_nonce(request: Request) -> Response:
    """A nonce for a Sign-In with Ethereum message: `link` needs a login token, `login` not."""
    body = parse_body(request, NonceBody) if request.body else NonceBody()
    principal = optional_principal(request) if body.purpose == "link" else None
    user_id = principal.user_id if principal else None
    return ok(
        Nonce.from_domain(request.services.wallets.nonce(body.purpose, user_id, body.address)), status=201
    )


@app.route(
    "POST",
    "wallet/link",
    Contract(
        "walletLink",
        "Link the wallet that signed a 'link' message to the logged-in account",
        (Reply(200, "The linked wallet", Wallet),),
        errors=(409,),
        auth="bearer",
        body=SignedBody,
    ),
)
@require_auth
def wallet_link(request: Request, user: Principal) -> Response:
    body = parse_body(request, SignedBody)
    return ok(Wallet.from_domain(request.services.wallets.link(user.user_id, body.message, body.signature)))


@app.route(
    "DELETE",
    "wallets/{address}",
    Contract(
        "walletUnlink",
        "Unlink one of the logged-in account's wallets",
        (Reply(200, "The wallet unlinked", Wallet),),
        errors=(400, 404),
        auth="bearer",
        path={"address": {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}},
    ),
)
@require_auth
def wallet_unlink(request: Request, user: Principal, address: str) -> Response:
    return ok(Wallet.from_domain(request.services.wallets.unlink(user.user_id, address)))


@app.route(
    "POST",
    "wallet/login",
    Contract(
        "walletLogin",
        "Log in with a signed 'login' message from a linked wallet",
        (LOGIN,),
        errors=(401,),
        body=SignedBody,
        links=AFTER_LOGIN,
    ),
)
def wallet_login(request: Request) -> Response:
    body = parse_body(request, SignedBody)
    return login_response(request.services.wallets.login(body.message, body.signature))


handler = app.handler
