"""The one place that wires services together (the reference's dependency injection).

`create_services(settings)` builds every service once; any collaborator can be passed in
(tests hand in their own engine, transport or job queue). Functions call `get_services()`,
which builds the container on first use and keeps it for the life of the process: on Lambda
that is a warm container's life, so connections and pools are reused across invocations.

The job queue is built on first use, not here: importing huey (which imports its Redis and
PostgreSQL storages) costs ~400 ms, and only requests that queue work should pay it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from tidecast.config import Settings, load_settings
from tidecast.db.claims import WorkPolicy
from tidecast.db.engine import build_engine
from tidecast.events import Event, EventBus
from tidecast.jobs import Jobs, build_huey
from tidecast.services.accounts import AccountService
from tidecast.services.email import EmailService
from tidecast.services.login_limit import LoginLimit
from tidecast.services.mail_outbox import MailOutbox
from tidecast.services.passwords import PasswordHasher
from tidecast.services.smtp import SmtpTransport
from tidecast.services.streams import StreamService
from tidecast.services.tokens import TokenIssuer
from tidecast.services.wallets import WalletService

MAIL_DRAIN = "tidecast.mail.dispatch"
EVENTS_DRAIN = "tidecast.events.deliver"


@dataclass
class Services:
    settings: Settings
    engine: Engine
    streams: StreamService
    outbox: MailOutbox
    email: EmailService
    events: EventBus
    accounts: AccountService
    wallets: WalletService
    jobs_factory: Callable[[], Jobs]
    _jobs: Jobs | None = field(default=None, repr=False)
    _jobs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def jobs(self) -> Jobs:
        if self._jobs is None:
            with self._jobs_lock:
                if self._jobs is None:
                    jobs = self.jobs_factory()
                    jobs.register(MAIL_DRAIN, self.outbox.dispatch_due)
                    jobs.register(EVENTS_DRAIN, self.events.deliver_due)
                    self._jobs = jobs
        return self._jobs

    def kick(self, name: str) -> None:
        self.jobs.kick(name)

    def close(self) -> None:
        self.engine.dispose()


def create_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    streams: StreamService | None = None,
    transport: SmtpTransport | None = None,
    outbox: MailOutbox | None = None,
    email: EmailService | None = None,
    events: EventBus | None = None,
    huey: Any = None,
) -> Services:
    """Build every service from `settings`; a collaborator passed in is used as it is (tests)."""
    engine = engine or build_engine(settings.effective_database_url)
    services: Services

    def kick(name: str) -> Callable[[], None]:
        return lambda: services.kick(name)

    outbox = outbox or MailOutbox(
        engine,
        transport or SmtpTransport.from_settings(settings),
        kick=kick(MAIL_DRAIN),
        policy=work_policy(settings, settings.tidecast_mail_max_attempts),
    )
    assert settings.jwt_secret is not None  # load_settings fills or demands it
    email = email or EmailService(
        engine,
        outbox,
        default_from=settings.email_from,
        public_url=settings.tidecast_public_url,
        secret=settings.jwt_secret.get_secret_value().encode(),
        template_dir=settings.tidecast_email_templates,
    )
    events = events or EventBus(
        engine,
        kick=kick(EVENTS_DRAIN),
        policy=work_policy(settings, settings.tidecast_event_max_attempts),
    )
    subscribe_mail(events, email)
    accounts = AccountService(
        engine,
        events,
        email,
        hasher=PasswordHasher(settings.tidecast_bcrypt_rounds),
        tokens=TokenIssuer(
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.tidecast_jwt_issuer,
            audience=settings.tidecast_jwt_audience,
            ttl_seconds=settings.tidecast_jwt_ttl_seconds,
        ),
        login_limit=LoginLimit(settings.tidecast_login_max_failures, settings.tidecast_login_window_seconds),
        verify_ttl=timedelta(seconds=settings.tidecast_verify_ttl_seconds),
        reset_ttl=timedelta(seconds=settings.tidecast_reset_ttl_seconds),
    )
    accounts.subscribe(events)
    services = Services(
        settings=settings,
        engine=engine,
        streams=streams or StreamService(engine),
        outbox=outbox,
        email=email,
        events=events,
        accounts=accounts,
        wallets=WalletService(
            engine,
            accounts,
            domain=settings.siwe_domain,
            origin=settings.tidecast_public_url,
            chain_id=settings.tidecast_chain_id,
        ),
        jobs_factory=lambda: Jobs(huey if huey is not None else build_huey(settings.effective_queue_url)),
    )
    return services


def work_policy(settings: Settings, max_attempts: int) -> WorkPolicy:
    return WorkPolicy(
        max_attempts=max_attempts,
        retry_base=settings.tidecast_retry_base_seconds,
        retry_max=settings.tidecast_retry_max_seconds,
        lease_seconds=settings.tidecast_lease_seconds,
    )


def subscribe_mail(events: EventBus, email: EmailService) -> None:
    """The mail the platform's events cause, beyond accounts' own (AccountService.subscribe).
    Each subscriber writes through the delivery's connection with the event id as idempotency
    key, so a redelivery queues nothing twice. `stream.started` has no subscriber yet."""

    def payment_confirmation(event: Event, conn: Connection) -> None:
        email.send_payment_confirmation(
            event.payload["user"],
            event.payload["payment"],
            conn=conn,
            idempotency_key=f"{event.id}:payment-confirmation",
        )

    events.subscribe("payment.created", "email.payment_confirmation", payment_confirmation)


_lock = threading.Lock()
_current: Services | None = None


def get_services() -> Services:
    """The process's container, built from the environment on first use."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = create_services(load_settings())
    return _current


def set_services(services: Services | None) -> Services | None:
    """Install a container (dev server, CLI, tests); returns the one it replaced."""
    global _current
    with _lock:
        previous, _current = _current, services
    return previous
