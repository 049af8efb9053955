"""/api/auth/* end to end: the function's handler on SQLite and PostgreSQL, mail on a real SMTP
server (aiosmtpd), wallets signing with real secp256k1 keys (eth-account)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import Engine, select, update

from tests.support.auth import (
    KEY,
    OTHER_KEY,
    PASSWORD,
    Reply,
    account_services,
    call,
    count,
    deliver,
    link_token,
    login,
    nonce,
    register,
    sign,
)
from tests.support.functions import bind_functions
from tests.support.smtp import SmtpServer
from tidecast.accounts.limits import AttemptLimit
from tidecast.accounts.wallets import STATEMENTS
from tidecast.container import Services
from tidecast.db.schema import (
    event_deliveries,
    events,
    rate_attempts,
    user_tokens,
    user_wallets,
    users,
    wallet_nonces,
)
from tidecast.db.times import now_utc
from tidecast.functions.models.auth import REGISTERED
from tidecast.lib.passwords import PasswordHasher


def user_row(engine: Engine, username: str = "ann") -> Any:
    with engine.connect() as conn:
        return conn.execute(select(users).where(users.c.username == username)).one()


# -- registration and email verification ------------------------------------------------------


def test_register_mails_a_link_that_verifies_once(svc: Services, smtp: SmtpServer, engine: Engine) -> None:
    created = register("Ann_1", "Ann@Example.COM")
    assert created.status == 202, created
    assert created.data == {
        "username": "ann_1",
        "email": "Ann@example.com",
        "message": REGISTERED.format(email="Ann@example.com"),
    }
    stored = user_row(engine, "ann_1")
    assert stored.email == "Ann@example.com" and stored.email_verified_at is None
    with engine.connect() as conn:
        event = conn.execute(select(events.c.name, events.c.payload)).one()
    assert stored.password_hash.startswith("$2b$04$") and PASSWORD not in stored.password_hash
    assert event.name == "user.registered" and "token" not in json.dumps(event.payload).lower()

    [mail] = deliver(svc, smtp, 1)
    assert mail.envelope_to == ["Ann@example.com"] and mail.message["Subject"] == "Welcome to tidecast!"
    token = link_token(mail, "verify-email")
    with engine.connect() as conn:
        hashes = conn.execute(select(user_tokens.c.token_hash)).scalars().all()
    assert token not in hashes and len(hashes) == 1  # only the digest is stored

    verified = call("POST", "verify-email", {"token": token})
    assert verified.status == 200 and verified.data["emailVerified"] is True
    again = call("POST", "verify-email", {"token": token})
    assert again.status == 400 and "already been used" in again.body["error"]
    me = call("GET", "me", token=login("ANN_1").body["token"])
    assert me.status == 200 and me.data["emailVerified"] is True and me.data["wallets"] == []


def test_a_redelivered_registration_event_keeps_the_mailed_link_valid(
    svc: Services, smtp: SmtpServer, engine: Engine
) -> None:
    assert register().status == 202
    [mail] = deliver(svc, smtp, 1)
    with engine.begin() as conn:  # at-least-once: the same delivery runs again
        conn.execute(update(event_deliveries).values(status="pending"))
    svc.events.deliver_due()
    svc.outbox.dispatch_due()
    assert len(smtp.handler.received) == 1
    assert call("POST", "verify-email", {"token": link_token(mail, "verify-email")}).status == 200


def test_verification_links_expire(svc: Services, smtp: SmtpServer, engine: Engine) -> None:
    register()
    [mail] = deliver(svc, smtp, 1)
    with engine.begin() as conn:
        conn.execute(update(user_tokens).values(expires_at=now_utc() - timedelta(seconds=1)))
    expired = call("POST", "verify-email", {"token": link_token(mail, "verify-email")})
    assert expired.status == 400 and "expired" in expired.body["error"]
    assert count(engine, users, users.c.email_verified_at.is_not(None)) == 0


def test_resend_verification_replaces_the_old_link(svc: Services, smtp: SmtpServer) -> None:
    register()
    token = login().body["token"]
    [welcome] = deliver(svc, smtp, 1)
    resent = call("POST", "resend-verification", token=token)
    assert resent.status == 202, resent
    fresh = deliver(svc, smtp, 2)[1]
    assert fresh.message["Subject"] == "Verify your email address"
    old = call("POST", "verify-email", {"token": link_token(welcome, "verify-email")})
    assert old.status == 400 and "replaced" in old.body["error"]
    assert call("POST", "verify-email", {"token": link_token(fresh, "verify-email")}).status == 200
    done = call("POST", "resend-verification", token=token)
    assert done.status == 409 and "already verified" in done.body["error"]
    assert call("POST", "resend-verification").status == 401


def test_a_taken_username_conflicts_case_insensitively(svc: Services, engine: Engine) -> None:
    assert register().status == 202
    for name in ("ANN", "ann"):
        reply = register(name, "other@example.com")
        assert reply.status == 409 and reply.body["code"] == "CONFLICT" and "Username" in reply.body["error"]
    assert count(engine, users) == 1 and count(engine, events) == 1


def test_a_taken_address_answers_like_a_new_one_and_mails_its_owner(
    svc: Services, smtp: SmtpServer, engine: Engine
) -> None:
    """Registration must not tell anybody which addresses have accounts: the same status and
    body as for a new address; the owner of the address is told instead."""
    assert register().status == 202
    deliver(svc, smtp, 1)  # ann's welcome
    fresh = register("carol", "carol@example.com")
    taken = register("bob", "ANN@example.com")
    assert taken.status == fresh.status == 202
    assert taken.data["message"].replace("ANN@example.com", "X") == fresh.data["message"].replace(
        "carol@example.com", "X"
    )
    assert set(taken.data) == set(fresh.data) == {"username", "email", "message"}
    assert count(engine, users) == 2  # ann and carol; no bob
    mails = deliver(svc, smtp, 3)
    notice = next(
        m for m in mails if m.envelope_to == ["ann@example.com"] and "tried" in m.message["Subject"]
    )
    text = notice.message.get_body(("plain",)).get_content()
    assert "ann" in text and "/account/" in text and "bob" not in text
    assert register("bob", "bob@example.com").status == 202  # the name bob was never taken


def test_registrations_are_limited_per_address(svc: Services, engine: Engine) -> None:
    svc.accounts.limits = AttemptLimit(login_max=10, login_window=900, register_max=3)
    for i in range(3):
        reply = call(
            "POST",
            "register",
            {"username": f"user{i}", "email": f"u{i}@example.com", "password": PASSWORD},
            ip="192.0.2.7",
        )
        assert reply.status == 202, reply
    again = call(
        "POST",
        "register",
        {"username": "user9", "email": "u9@example.com", "password": PASSWORD},
        ip="192.0.2.7",
    )
    assert again.status == 429 and "registrations" in again.body["error"]
    assert 1 <= int(again.headers["Retry-After"]) <= 3600
    assert count(engine, users) == 3
    other = call(
        "POST",
        "register",
        {"username": "user9", "email": "u9@example.com", "password": PASSWORD},
        ip="192.0.2.8",
    )
    assert other.status == 202


TEN_KB = "x" * 10_240


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "body is required"),
        ("not json", "Malformed JSON"),
        ("[1, 2]", "expected an object"),
        ("{}", "username: required"),
        ('{"username": "ann", "email": "ann@example.com"}', "password: required"),
        (
            json.dumps({"username": "ann", "email": "a@example.com", "password": PASSWORD, "role": "admin"}),
            "role",
        ),
        (json.dumps({"username": 123, "email": "a@example.com", "password": PASSWORD}), "username"),
        (json.dumps({"username": None, "email": "a@example.com", "password": PASSWORD}), "username"),
        (json.dumps({"username": "ann", "email": ["a@example.com"], "password": PASSWORD}), "email"),
        (json.dumps({"username": "ann", "email": "a@example.com", "password": 1234567890}), "password"),
        (json.dumps({"username": "", "email": "a@example.com", "password": PASSWORD}), "username"),
        (json.dumps({"username": "ab", "email": "a@example.com", "password": PASSWORD}), "3-32"),
        (json.dumps({"username": "a" * 33, "email": "a@example.com", "password": PASSWORD}), "3-32"),
        (json.dumps({"username": TEN_KB, "email": "a@example.com", "password": PASSWORD}), "username"),
        (
            json.dumps({"username": "\u0430nn", "email": "a@example.com", "password": PASSWORD}),
            "3-32",
        ),  # Cyrillic
        (
            json.dumps({"username": "\u212aelly", "email": "a@example.com", "password": PASSWORD}),
            "3-32",
        ),  # Kelvin
        (json.dumps({"username": "ann bob", "email": "a@example.com", "password": PASSWORD}), "3-32"),
        (json.dumps({"username": "ann", "email": "not-an-address", "password": PASSWORD}), "email"),
        (json.dumps({"username": "ann", "email": "", "password": PASSWORD}), "email"),
        (json.dumps({"username": "ann", "email": TEN_KB + "@example.com", "password": PASSWORD}), "email"),
        (json.dumps({"username": "ann", "email": "\u00e1nn@example.com", "password": PASSWORD}), "email"),
        (json.dumps({"username": "ann", "email": "a@example.com", "password": ""}), "password"),
        (json.dumps({"username": "ann", "email": "a@example.com", "password": "short"}), "at least 10"),
        (json.dumps({"username": "ann", "email": "a@example.com", "password": TEN_KB}), "password"),
        (json.dumps({"username": "ann", "email": "a@example.com", "password": "password123"}), "common"),
    ],
)
def test_bad_registrations_are_400_and_change_nothing(
    svc: Services, engine: Engine, raw: str, problem: str
) -> None:
    reply = call("POST", "register", raw=raw)
    assert reply.status == 400 and reply.body["code"] == "BAD_REQUEST", reply
    assert problem in reply.body["error"], reply.body["error"]
    assert count(engine, users) == 0 and count(engine, events) == 0


# -- login and tokens -------------------------------------------------------------------------


def test_login_answers_the_reference_body_with_a_full_token(svc: Services, engine: Engine) -> None:
    register()
    user = {"id": user_row(engine).id}
    for name in ("ann", "ANN", "ann@example.com", "Ann@Example.com"):
        reply = login(name)
        assert reply.status == 200, reply
        assert set(reply.body) == {"success", "token", "user"} and reply.body["success"] is True
        assert reply.body["user"] == {"id": user["id"], "username": "ann", "email": "ann@example.com"}
    secret = svc.settings.jwt_secret.get_secret_value()  # type: ignore[union-attr]
    claims = jwt.decode(reply.body["token"], secret, algorithms=["HS256"], audience="tidecast-api")
    assert set(claims) == {"userId", "username", "sub", "iat", "exp", "iss", "aud", "jti", "sv"}
    assert claims["userId"] == claims["sub"] == user["id"] and claims["iss"] == "tidecast"
    assert claims["exp"] - claims["iat"] == 24 * 3600


def test_unknown_user_and_wrong_password_are_the_same_401(svc: Services) -> None:
    register()
    unknown, wrong = login("nobody"), login("ann", "wrong horse battery")
    assert unknown.status == wrong.status == 401
    assert (
        unknown.body
        == wrong.body
        == {"success": False, "error": "Invalid credentials", "code": "UNAUTHORIZED"}
    )
    assert login("\u0430nn").status == 401  # a look-alike name is just an unknown name


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_login_refuses_other_methods(svc: Services, method: str) -> None:
    reply = call(method, "login")
    assert reply.status == 405 and "POST" in reply.headers["Allow"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "body is required"),
        ("{not json", "Malformed JSON"),
        ('"ann"', "expected an object"),
        ('{"username": "ann"}', "password: required"),
        ('{"password": "x"}', "username: required"),
        ('{"username": "ann", "password": "correct horse battery", "remember": true}', "remember"),
        ('{"username": ["ann"], "password": "correct horse battery"}', "username"),
        ('{"username": "ann", "password": 12345678901}', "password"),
        ('{"username": "", "password": "correct horse battery"}', "username"),
        ('{"username": "ann", "password": ""}', "password"),
        (json.dumps({"username": TEN_KB, "password": PASSWORD}), "username"),
        (json.dumps({"username": "ann", "password": TEN_KB}), "password"),
    ],
)
def test_bad_logins_are_400_and_count_nothing(svc: Services, engine: Engine, raw: str, problem: str) -> None:
    reply = call("POST", "login", raw=raw)
    assert reply.status == 400 and problem in reply.body["error"], reply
    assert count(engine, rate_attempts) == 0


def test_verify_takes_the_token_from_the_header_or_the_body(svc: Services) -> None:
    register()
    token = login().body["token"]
    by_header = call("POST", "verify", token=token)
    by_body = call("POST", "verify", {"token": token})
    assert by_header.status == by_body.status == 200 and by_header.data["username"] == "ann"
    assert by_header.data["jti"] == by_body.data["jti"]
    assert call("POST", "verify", {"token": token}, token=token).status == 200  # the same twice is fine
    other = login().body["token"]
    assert call("POST", "verify", {"token": other}, token=token).status == 400
    missing = call("POST", "verify")
    assert missing.status == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert call("POST", "verify", {"token": token, "extra": 1}).status == 400
    assert call("POST", "verify", {"token": token[:-2]}).status == 401
    assert call("POST", "verify", {"token": TEN_KB}).status == 400
    basic = call("POST", "verify", headers={"Authorization": "Basic YW5uOnB3"})
    assert basic.status == 401 and basic.headers["WWW-Authenticate"].startswith("Bearer")
    assert call("POST", "verify", {"token": token[:-2]}).headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_of_deleted_accounts_stop_working(svc: Services, engine: Engine) -> None:
    register()
    token = login().body["token"]
    with engine.begin() as conn:
        conn.execute(users.delete())
    reply = call("GET", "me", token=token)
    assert reply.status == 401 and "no longer exists" in reply.body["error"]


def test_me_requires_a_valid_token(svc: Services) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Token abc"},
        {"Authorization": "Bearer x.y.z"},
    ):
        reply = call("GET", "me", headers=headers)
        assert reply.status == 401 and reply.headers["WWW-Authenticate"] == 'Bearer realm="tidecast"', reply


# -- the login rate limit -----------------------------------------------------------------------


def test_rate_limit_per_name_holds_across_instances(engine: Engine, smtp: SmtpServer) -> None:
    env = {"TIDECAST_LOGIN_MAX_FAILURES": "3", "TIDECAST_LOGIN_WINDOW_SECONDS": "600"}
    first = account_services(engine, smtp, **env)
    second = account_services(engine, smtp, **env)  # another function instance
    bind_functions(first)
    register()
    register("bob", "bob@example.com")
    for i, instance in enumerate([first, second, first]):
        bind_functions(instance)
        assert login("ann", "wrong horse battery", ip=f"198.51.100.{i}").status == 401
    bind_functions(second)
    limited = login("ann", PASSWORD, ip="198.51.100.9")  # even the right password waits
    assert limited.status == 429 and limited.body["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 600
    # The lockout is per name typed: answering 429 for ann's address too would tell anybody
    # that ann@example.com belongs to the locked-out name ann.
    assert login("ann@example.com", PASSWORD, ip="198.51.100.9").status == 200
    assert login("bob", PASSWORD, ip="198.51.100.9").status == 200  # other accounts are not affected

    with engine.begin() as conn:  # the window passes
        conn.execute(update(rate_attempts).values(at=now_utc() - timedelta(seconds=601)))
    assert login("ann").status == 200
    assert login("ann", "wrong horse battery").status == 401  # counting starts again


def test_rate_limit_per_address_and_for_unknown_names(svc: Services) -> None:
    svc.accounts.limits = AttemptLimit(login_max=4, login_window=900, register_max=10)
    register()
    for i in range(4):
        assert login(f"nobody{i}", ip="192.0.2.1").status == 401
    blocked = login("ann", ip="192.0.2.1")
    assert blocked.status == 429 and "address" in blocked.body["error"]
    assert login("ann", ip="192.0.2.2").status == 200
    for i in range(4):
        assert login("ghost", ip=f"192.0.2.{10 + i}").status == 401
    assert login("ghost", ip="192.0.2.99").status == 429  # unknown names are limited too


# -- password reset ---------------------------------------------------------------------------


def test_forgot_password_is_202_for_everyone_and_mails_only_accounts(
    svc: Services, smtp: SmtpServer, engine: Engine
) -> None:
    register()
    deliver(svc, smtp, 1)  # the welcome mail
    unknown = call("POST", "forgot-password", {"email": "nobody@example.com"})
    known = call("POST", "forgot-password", {"email": "ANN@example.com"})
    assert unknown.status == known.status == 202 and unknown.body == known.body
    mails = deliver(svc, smtp, 2)
    time.sleep(0.2)
    svc.events.deliver_due()
    svc.outbox.dispatch_due()
    assert len(smtp.handler.received) == 2 and mails[1].envelope_to == ["ann@example.com"]
    assert mails[1].message["Subject"] == "Reset your tidecast password"
    assert count(engine, user_tokens, user_tokens.c.purpose == "reset_password") == 1


def test_reset_is_single_use_and_ends_older_tokens(svc: Services, smtp: SmtpServer, engine: Engine) -> None:
    register()
    old_session = login().body["token"]
    call("POST", "forgot-password", {"email": "ann@example.com"})
    call("POST", "forgot-password", {"email": "ann@example.com"})
    mails = deliver(svc, smtp, 3)
    first, second = (link_token(m, "reset-password") for m in mails[1:])

    replaced = call("POST", "reset-password", {"token": first, "password": "brand new passphrase"})
    assert replaced.status == 400 and "replaced" in replaced.body["error"]
    weak = call("POST", "reset-password", {"token": second, "password": "password1"})
    assert weak.status == 400 and "password" in weak.body["error"]
    done = call("POST", "reset-password", {"token": second, "password": "brand new passphrase"})
    assert done.status == 200 and done.data["emailVerified"] is True  # the link proved the address

    reused = call("POST", "reset-password", {"token": second, "password": "another new passphrase"})
    assert reused.status == 400 and "already been used" in reused.body["error"]
    revoked = call("GET", "me", token=old_session)
    assert revoked.status == 401 and "password was last changed" in revoked.body["error"]
    assert call("POST", "verify", token=old_session).status == 401
    assert login().status == 401
    fresh = login(password="brand new passphrase")
    assert fresh.status == 200 and call("GET", "me", token=fresh.body["token"]).status == 200
    notice = deliver(svc, smtp, 4)[3]  # the owner hears of the change
    assert notice.message["Subject"] == "Your tidecast password was changed"
    assert notice.envelope_to == ["ann@example.com"] and "/account/" in notice.message.as_string()


def test_expired_reset_links_are_refused(svc: Services, smtp: SmtpServer, engine: Engine) -> None:
    register()
    call("POST", "forgot-password", {"email": "ann@example.com"})
    mail = deliver(svc, smtp, 2)[1]
    with engine.begin() as conn:
        conn.execute(
            update(user_tokens)
            .where(user_tokens.c.purpose == "reset_password")
            .values(expires_at=now_utc() - timedelta(seconds=1))
        )
    reply = call(
        "POST", "reset-password", {"token": link_token(mail, "reset-password"), "password": "brand new pass"}
    )
    assert reply.status == 400 and "expired" in reply.body["error"]
    assert login().status == 200


@pytest.mark.parametrize(
    ("route", "raw", "problem"),
    [
        ("forgot-password", "", "body is required"),
        ("forgot-password", "{}", "email: required"),
        ("forgot-password", '{"email": 7}', "email"),
        ("forgot-password", '{"email": "not an address"}', "email"),
        ("forgot-password", json.dumps({"email": TEN_KB}), "email"),
        ("forgot-password", '{"email": "a@example.com", "x": 1}', "x: unexpected"),
        ("reset-password", '{"token": "abc"}', "password: required"),
        ("reset-password", json.dumps({"token": "a" * 43, "password": "brand new pass"}), "not valid"),
        ("reset-password", json.dumps({"token": TEN_KB, "password": "brand new pass"}), "token"),
        ("verify-email", "{}", "token: required"),
        ("verify-email", '{"token": ""}', "token"),
        ("verify-email", '{"token": "../../etc/passwd"}', "not valid"),
        ("verify-email", json.dumps({"token": "b" * 43}), "not valid"),
        ("verify-email", "nope", "Malformed JSON"),
    ],
)
def test_bad_link_requests_are_400_and_change_nothing(
    svc: Services, engine: Engine, route: str, raw: str, problem: str
) -> None:
    reply = call("POST", route, raw=raw)
    assert reply.status == 400 and problem in reply.body["error"], reply
    assert count(engine, events) == 0 and count(engine, user_tokens) == 0


# -- wallets (Sign-In with Ethereum) ------------------------------------------------------------


def test_link_a_wallet_then_sign_in_with_it(svc: Services, engine: Engine) -> None:
    register()
    token = login().body["token"]
    offer = nonce("link", KEY.address.lower(), token)
    assert offer["domain"] == "localhost:8888" and offer["chainId"] == svc.settings.tidecast_chain_id
    assert KEY.address in offer["message"] and f"Nonce: {offer['nonce']}" in offer["message"]
    linked = call(
        "POST", "wallet/link", {"message": offer["message"], "signature": sign(offer["message"])}, token=token
    )
    assert linked.status == 200 and linked.data["address"] == KEY.address, linked
    assert call("GET", "me", token=token).data["wallets"][0]["address"] == KEY.address

    signin = nonce("login", KEY.address)
    reply = call("POST", "wallet/login", {"message": signin["message"], "signature": sign(signin["message"])})
    assert reply.status == 200 and set(reply.body) == {"success", "token", "user"}
    assert reply.body["user"]["username"] == "ann"
    assert call("GET", "me", token=reply.body["token"]).status == 200

    replay = call(
        "POST", "wallet/login", {"message": signin["message"], "signature": sign(signin["message"])}
    )
    assert replay.status == 401 and "already been used" in replay.body["error"]
    relink = nonce("link", KEY.address, token)  # linking again is harmless
    again = call(
        "POST",
        "wallet/link",
        {"message": relink["message"], "signature": sign(relink["message"])},
        token=token,
    )
    assert again.status == 200 and count(engine, user_wallets) == 1


def test_wallet_proofs_that_must_fail(svc: Services, engine: Engine) -> None:
    register()
    register("bob", "bob@example.com")
    ann, bob = login().body["token"], login("bob").body["token"]

    def link(
        offer: dict[str, Any], message: str | None = None, account: Any = KEY, token: str = ann
    ) -> Reply:
        text = message if message is not None else offer["message"]
        return call("POST", "wallet/link", {"message": text, "signature": sign(text, account)}, token=token)

    offer = nonce("link", KEY.address, ann)
    other_domain = offer["message"].replace("localhost:8888 wants", "evil.example wants")
    assert "domain" in link(offer, other_domain).body["error"]
    other_chain = offer["message"].replace(f"Chain ID: {offer['chainId']}", "Chain ID: 1")
    assert "chain" in link(offer, other_chain).body["error"]
    wrong_key = link(offer, account=OTHER_KEY)
    assert wrong_key.status == 401 and "not made by" in wrong_key.body["error"]
    stolen = link(offer, token=bob)  # ann's nonce, bob's session
    assert stolen.status == 401 and "not issued" in stolen.body["error"]
    assert link(offer).status == 200  # the failures above did not use the nonce up

    expired = nonce("link", OTHER_KEY.address, ann)
    with engine.begin() as conn:
        conn.execute(
            update(wallet_nonces)
            .where(wallet_nonces.c.nonce == expired["nonce"])
            .values(expires_at=now_utc() - timedelta(seconds=1))
        )
    late = link(expired, account=OTHER_KEY)
    assert late.status == 401 and "expired" in late.body["error"]

    taken = link(nonce("link", KEY.address, bob), token=bob)
    assert taken.status == 409 and "another account" in taken.body["error"]
    login_nonce = nonce("login", KEY.address)
    wrong_purpose = link(login_nonce)  # a message signed for signing in
    assert wrong_purpose.status == 401 and "statement" in wrong_purpose.body["error"]
    relabelled = login_nonce["message"].replace(STATEMENTS["login"], STATEMENTS["link"])
    stolen_nonce = link(login_nonce, relabelled)  # the link statement on a login nonce
    assert stolen_nonce.status == 401 and "not issued for this link" in stolen_nonce.body["error"]
    unlinked = nonce("login", OTHER_KEY.address)
    nobody = call(
        "POST",
        "wallet/login",
        {"message": unlinked["message"], "signature": sign(unlinked["message"], OTHER_KEY)},
    )
    assert nobody.status == 401 and "No account" in nobody.body["error"]
    assert count(engine, user_wallets) == 1


@pytest.mark.parametrize(
    ("route", "body", "authed", "status", "problem"),
    [
        ("wallet/nonce", {"purpose": "link"}, False, 401, "login token"),
        ("wallet/nonce", {"purpose": "admin"}, False, 400, "purpose"),
        ("wallet/nonce", {"address": "0x1234"}, False, 400, "address"),
        ("wallet/nonce", {"address": TEN_KB}, False, 400, "address"),
        ("wallet/nonce", {"purpose": "login", "extra": True}, False, 400, "extra"),
        ("wallet/link", {"message": "hi", "signature": "0x00"}, False, 401, "Missing token"),
        ("wallet/link", {"message": "hi"}, True, 400, "signature: required"),
        ("wallet/link", {"message": "hi", "signature": "0x00"}, True, 400, "first line"),
        ("wallet/link", {"message": TEN_KB, "signature": "0x00"}, True, 400, "message"),
        ("wallet/login", {"message": 5, "signature": "0x00"}, False, 400, "message"),
        ("wallet/login", {"message": "", "signature": ""}, False, 400, "message"),
    ],
)
def test_bad_wallet_requests(svc: Services, engine: Engine, route, body, authed, status, problem) -> None:
    register()
    token = login().body["token"] if authed else None
    reply = call("POST", route, body, token=token)
    assert reply.status == status and problem in reply.body["error"], reply
    assert count(engine, wallet_nonces) == 0 and count(engine, user_wallets) == 0


def test_a_bad_signature_format_is_400(svc: Services) -> None:
    register()
    token = login().body["token"]
    offer = nonce("link", KEY.address, token)
    for signature in ("0x1234", "not hex", "0x" + "zz" * 65):
        reply = call(
            "POST", "wallet/link", {"message": offer["message"], "signature": signature}, token=token
        )
        assert reply.status == 400 and "signature" in reply.body["error"], reply


def test_every_auth_route_is_reachable_only_by_its_method(svc: Services) -> None:
    for route in ("register", "verify", "verify-email", "forgot-password", "reset-password", "wallet/login"):
        assert call("GET", route).status == 405, route
    assert call("POST", "me").status == 405
    assert call("POST", "nope").status == 404


def test_a_login_redoes_a_hash_made_at_an_older_cost(svc: Services, engine: Engine) -> None:
    register()
    svc.accounts.hasher = PasswordHasher(rounds=5)  # the operator raised TIDECAST_BCRYPT_ROUNDS
    assert login("ann", "wrong horse battery").status == 401
    with engine.connect() as conn:
        assert conn.execute(select(users.c.password_hash)).scalar_one().startswith("$2b$04$")
    assert login().status == 200
    with engine.connect() as conn:
        assert conn.execute(select(users.c.password_hash)).scalar_one().startswith("$2b$05$")
    assert login().status == 200


def test_an_account_deleted_before_its_welcome_mail_gets_none(
    svc: Services, smtp: SmtpServer, engine: Engine
) -> None:
    register()
    with engine.begin() as conn:
        conn.execute(users.delete())
    svc.events.deliver_due()
    svc.outbox.dispatch_due()
    [event] = svc.events.list()
    assert event["deliveries"][0]["status"] == "done" and smtp.handler.received == []
