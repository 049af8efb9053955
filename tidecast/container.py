"""The one place that wires services together (the reference's dependency injection).

`Services(settings)` is a container of *parts*: each service is built on first access, once,
under the container's lock, and kept for the container's life (on Lambda, a warm sandbox's
life, so connections and pools are reused across invocations). Each part's builder imports its
own module (`# lazy`), so a function that only reads streams never imports accounts, mail, SMTP, bcrypt or
the job queue, and never pays for them on a cold start.

Any part can be handed in instead of built (`create_services(settings, engine=..., outbox=...)`):
tests pass their own engines, transports and queues. Handlers reach the container through
`request.services`; there is no module-level container.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from tidecast.config import Settings, load_settings, mask_url
from tidecast.errors import ConfigError, Unavailable
from tidecast.imports import sane_import

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from tidecast.accounts.limits import AttemptLimit
    from tidecast.accounts.links import LinkService
    from tidecast.accounts.mail import AccountMail
    from tidecast.accounts.service import AccountService
    from tidecast.accounts.tokens import TokenIssuer
    from tidecast.accounts.wallets import WalletService
    from tidecast.billing.playbacks import CreditPlaybacks
    from tidecast.billing.service import BillingService
    from tidecast.billing.treasury import Treasury
    from tidecast.chain.service import BlockchainDataService
    from tidecast.chain.signer import ChainSigner
    from tidecast.chain.watcher import ChainWatcher
    from tidecast.db.claims import WorkPolicy
    from tidecast.event_bus import EventBus
    from tidecast.ipfs.service import IPFSService
    from tidecast.jobs import Jobs
    from tidecast.lib.passwords import PasswordHasher
    from tidecast.mail.email import EmailService
    from tidecast.mail.outbox import MailOutbox
    from tidecast.mail.smtp import SmtpTransport
    from tidecast.media.hls import HLSService
    from tidecast.media.keys import MediaKeys
    from tidecast.media.pipeline import Pipeline
    from tidecast.media.positions import PositionService
    from tidecast.media.probe import MediaLimits
    from tidecast.media.published import PublishedMedia
    from tidecast.media.streams import StreamService
    from tidecast.media.uploads import UploadService
    from tidecast.payments.playback import PlaybackService
    from tidecast.payments.status import PaymentStatusService
    from tidecast.payments.streams import PaymentReader, PaymentsService
    from tidecast.queue import Queue, QueueOutage, Workers
    from tidecast.retention import Retention
    from tidecast.storage import Storage

T = TypeVar("T")

#: Wake-up task names on the queues: each drains one table of durable work. JOBS_DRAIN and
#: JOB_TASK are on both queues, each running the job kinds of its pool (tidecast/jobs.py).
MAIL_DRAIN = "tidecast.mail.dispatch"
EVENTS_DRAIN = "tidecast.events.deliver"
JOBS_DRAIN = "tidecast.jobs.run_due"
JOB_TASK = "tidecast.jobs.run"
PRUNE_TASK = "tidecast.retention.prune"
UPLOADS_EXPIRE_TASK = "tidecast.uploads.expire"
MEDIA_EXPIRE_TASK = "tidecast.media.expire_failed"
METRICS_TASK = "tidecast.metrics.queue_depth"
CHAIN_DRAIN = "tidecast.chain.watch"
BILLING_RECONCILE = "tidecast.billing.reconcile"
#: The huey queue names of the two worker pools (one Redis server or SQLite file holds both).
QUEUE_NAMES = {"general": "tidecast", "media": "tidecast-media"}

log = logging.getLogger("tidecast.container")


class part(Generic[T]):
    """A service built on first access, once per container, under the container's lock."""

    def __init__(self, build: Callable[[Services], T]) -> None:
        self.build = build
        self.name = build.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> part[T]: ...
    @overload
    def __get__(self, obj: Services, owner: type) -> T: ...
    def __get__(self, obj: Services | None, owner: type) -> part[T] | T:
        if obj is None:
            return self
        built = obj._built
        if self.name in built:  # the warm path takes no lock
            return built[self.name]  # type: ignore[no-any-return]
        with obj._lock:  # re-entrant: a part's builder asks for the parts it needs
            if self.name not in built:
                built[self.name] = self.build(obj)
            return built[self.name]  # type: ignore[no-any-return]


# -- builders: each imports what it builds -------------------------------------------------


def _engine(s: Services) -> Engine:
    from tidecast.db.engine import build_engine  # lazy

    return build_engine(s.settings.effective_database_url)


def _streams(s: Services) -> StreamService:
    from tidecast.chain.units import normalise  # lazy
    from tidecast.media.streams import StreamService  # lazy

    return StreamService(
        s.engine, events=_EventsOnFirstUse(s), default_price=normalise(s.settings.tidecast_default_price)
    )


def _positions(s: Services) -> PositionService:
    from tidecast.media.positions import PositionService  # lazy

    return PositionService(s.engine)


class _EventsOnFirstUse:
    """The container's event bus, built when a stream service first records an event: a
    function that only reads streams never builds the bus or imports it (a cold start)."""

    def __init__(self, s: Services) -> None:
        self._services = s

    def publish(self, conn: Connection, name: str, payload: dict[str, Any]) -> str:
        return self._services.events.publish(conn, name, payload)


def _transport(s: Services) -> SmtpTransport:
    from tidecast.mail.smtp import SmtpTransport  # lazy

    return SmtpTransport.from_settings(s.settings)


def _outbox(s: Services) -> MailOutbox:
    from tidecast.mail.outbox import MailOutbox  # lazy

    return MailOutbox(
        s.engine,
        s.transport,
        kick=lambda: s.queue.kick(MAIL_DRAIN),
        policy=work_policy(s.settings, 1),  # mail retries by time, not count (retry_for_seconds)
        retry_for_seconds=s.settings.tidecast_mail_retry_for_seconds,
    )


def _email(s: Services) -> EmailService:
    from tidecast.mail.email import EmailService  # lazy

    return EmailService(
        s.engine,
        s.outbox,
        default_from=s.settings.email_from,
        public_url=s.settings.tidecast_public_url,
        secret=s.settings.jwt_secret_value.encode(),
        template_dir=s.settings.tidecast_email_templates,
    )


def _events(s: Services) -> EventBus:
    from tidecast.event_bus import EventBus  # lazy

    bus = EventBus(
        s.engine,
        kick=lambda: s.queue.kick(EVENTS_DRAIN),
        policy=work_policy(s.settings, s.settings.tidecast_event_max_attempts),
    )
    subscribe_all(bus, s)
    return bus


def subscribe_all(bus: EventBus, s: Services) -> None:
    """Every event subscriber, in one place: (event, subscriber name, what runs).

    Publishing needs only the names (one delivery row per subscriber); what runs is looked up
    when a worker delivers, so a function that publishes `user.registered` never builds the
    mail services. A subscriber name is stable: pending deliveries are tracked by it.
    """

    from tidecast.event_bus import Event, Subscriber  # lazy

    def account_mail(method: str) -> Subscriber:
        return lambda event, conn: getattr(s.account_mail, method)(event, conn)

    bus.subscribe("user.registered", "email.welcome", account_mail("on_registered"))
    bus.subscribe(
        "user.registration_attempted", "email.account_exists", account_mail("on_registration_attempted")
    )
    bus.subscribe("user.verification_requested", "email.verification", account_mail("on_verification"))
    bus.subscribe("user.password_reset_requested", "email.password_reset", account_mail("on_reset_requested"))
    bus.subscribe("user.password_changed", "email.password_changed", account_mail("on_password_changed"))
    bus.subscribe("payment.created", "email.payment_confirmation", account_mail("on_payment_created"))

    def record_stream_start(event: Event, conn: Connection) -> None:
        from tidecast.media.stream_events import stream_id_of  # lazy

        s.chain_signer.record_stream_start(stream_id_of(event.payload))

    bus.subscribe("stream.started", "chain.record_stream_start", record_stream_start)

    def remove_stream_media(event: Event, conn: Connection) -> None:
        from tidecast.media.pipeline import remove_stream_media  # lazy
        from tidecast.media.stream_events import cid_of, stream_id_of  # lazy

        remove_stream_media(
            s.hls, s.ipfs, s.uploads, stream_id_of(event.payload), cid_of(event.payload), s.published
        )

    bus.subscribe("stream.deleted", "media.remove", remove_stream_media)


def _jobs(s: Services) -> Jobs:
    """Long jobs; each kind's handler is wired here when a part brings one (the video
    pipeline's transcode)."""
    from tidecast.jobs import MEDIA, Jobs  # lazy
    from tidecast.media.uploads import TRANSCODE  # lazy

    jobs = Jobs(
        s.engine,
        kick=lambda job_id, pool: queue_of(s, pool).run(JOB_TASK, job_id),
        policy=work_policy(s.settings, s.settings.tidecast_job_max_attempts),
        retry_for=s.settings.tidecast_job_retry_for_seconds,
    )
    jobs.handle(
        TRANSCODE,
        lambda job: s.pipeline.transcode(job),
        on_failure=lambda job, reason: s.pipeline.failed(job, reason),
        on_retry=lambda conn, job: s.pipeline.retried(conn, job),
        pool=MEDIA,
    )
    return jobs


def _uploads(s: Services) -> UploadService:
    from tidecast.media.quotas import Quotas  # lazy
    from tidecast.media.uploads import UploadService  # lazy

    return UploadService(
        s.engine,
        s.settings.tidecast_data_dir / "uploads",
        max_bytes=s.settings.tidecast_upload_max_bytes,
        max_open=s.settings.tidecast_upload_max_open,
        probe_max_bytes=s.settings.tidecast_upload_probe_max_bytes,
        expiry=timedelta(hours=s.settings.tidecast_upload_expiry_hours),
        jobs=s.jobs,
        default_price=s.streams.default_price,  # normalised once, where streams are made
        limits=media_limits(s.settings),
        quotas=Quotas(
            storage_bytes=s.settings.tidecast_quota_storage_bytes,
            daily_bytes=s.settings.tidecast_quota_daily_bytes,
        ),
        objects=s.objects,
    )


def _objects(s: Services) -> Storage | None:
    """The object store TIDECAST_STORAGE_URL names, or None on local directories (unset or
    `file:`), where uploads and media keep today's files and paths."""
    url = s.settings.tidecast_storage_url
    if not url or url.startswith("file:"):
        return None
    from tidecast.storage import open_storage  # lazy: only an object-store configuration

    return open_storage(url, local_root=s.settings.tidecast_data_dir)


def _published(s: Services) -> PublishedMedia | None:
    """Ready streams in the object store, or None where the site serves HLS_OUTPUT_DIR."""
    if s.objects is None:
        return None
    from tidecast.media.published import PublishedMedia  # lazy: only an object-store configuration

    return PublishedMedia(s.objects, local_prefix=s.hls.url_prefix)


def _pipeline(s: Services) -> Pipeline:
    from tidecast.media.pipeline import Pipeline  # lazy

    return Pipeline(
        s.engine,
        hls=s.hls,
        ipfs=s.ipfs,
        events=s.events,
        uploads=s.uploads,
        media_keys=s.media_keys,
        key_period_segments=s.settings.tidecast_key_period_segments,
        published=s.published,
    )


def _media_keys(s: Services) -> MediaKeys:
    from tidecast.media.keys import MediaKeys  # lazy

    return MediaKeys(
        s.engine, s.settings.media_key_secret_value, previous=s.settings.media_key_previous_values
    )


def _queue_outage(s: Services) -> QueueOutage:
    """One per process, shared by both pools' queues (one server): an outage is said once."""
    from tidecast.queue import QueueOutage  # lazy

    return QueueOutage(mask_url(s.settings.effective_queue_url))


def _queue(s: Services) -> Queue:
    """The general pool's queue: mail, events, the chain watcher, jobs of general kinds, and
    the hourly chores."""
    from tidecast.jobs import GENERAL  # lazy
    from tidecast.queue import Queue, build_huey  # lazy

    huey = build_huey(s.settings.effective_queue_url, name=QUEUE_NAMES[GENERAL])
    queue = Queue(huey, outage=s.queue_outage)
    queue.register(MAIL_DRAIN, lambda: s.outbox.dispatch_due())
    queue.register(EVENTS_DRAIN, lambda: s.events.deliver_due())
    queue.register(JOBS_DRAIN, lambda: s.jobs.run_due(GENERAL))
    queue.register(CHAIN_DRAIN, lambda: s.watcher.drain())
    queue.register(BILLING_RECONCILE, lambda: reconcile_billing(s))
    queue.register_periodic(
        BILLING_RECONCILE + ".minutely", lambda: reconcile_billing(s), hour="*", minute="*"
    )
    queue.register_item(JOB_TASK, run_jobs(s, queue, GENERAL))
    queue.register_periodic(PRUNE_TASK, lambda: s.retention.prune(), hour="*", minute="17")
    queue.register_periodic(UPLOADS_EXPIRE_TASK, lambda: s.uploads.expire(), hour="*", minute="47")
    queue.register_periodic(
        MEDIA_EXPIRE_TASK,
        lambda: s.pipeline.expire_failed(timedelta(days=s.settings.tidecast_retention_days)),
        hour="*",
        minute="37",
    )
    if s.settings.tidecast_metrics_url:
        queue.register_periodic(METRICS_TASK, lambda: publish_queue_depth(s), hour="*", minute="*")
    return queue


def reconcile_billing(s: Services) -> None:
    """The worker's minutely pass over card-paid playback (tidecast/billing/playbacks.py), when
    there is a treasury and a payment contract to act with. A part that does not answer (a node
    away) is a warning and waits for the next minute; a charge or a balance that does not add up
    is an error (operators alarm on it)."""
    settings = s.settings
    if treasury_key(settings) is None or not (
        settings.payment_stream_contract_address and settings.token_address
    ):
        return
    try:
        report = s.credit.reconcile()
    except Unavailable as exc:
        log.warning("billing reconcile: %s", exc.message)
        return
    if report.errors:
        log.warning("billing reconcile could not finish: %s", "; ".join(report.errors))
    if report.mismatches or report.balance_mismatches:
        log.error(
            "billing reconcile found problems: %s", "; ".join(report.mismatches + report.balance_mismatches)
        )


def publish_queue_depth(s: Services) -> int:
    """Each pool's backlog to the CloudWatch agent (TIDECAST_METRICS_URL); documents sent."""
    from tidecast.jobs import POOLS  # lazy
    from tidecast.metrics import EmfSender, queue_depth_documents  # lazy: workers only

    url = s.settings.tidecast_metrics_url
    if not url:
        return 0
    return EmfSender(url).send(queue_depth_documents({pool: s.jobs.backlog(pool) for pool in POOLS}))


def _media_queue(s: Services) -> Queue:
    """The media pool's queue: jobs of media kinds (transcodes) only."""
    from tidecast.jobs import MEDIA  # lazy
    from tidecast.queue import Queue, build_huey  # lazy

    huey = build_huey(s.settings.effective_queue_url, name=QUEUE_NAMES[MEDIA])
    queue = Queue(huey, outage=s.queue_outage)
    queue.register(JOBS_DRAIN, lambda: s.jobs.run_due(MEDIA))
    queue.register_item(JOB_TASK, run_jobs(s, queue, MEDIA))
    return queue


def run_jobs(s: Services, queue: Queue, pool: str) -> Callable[[str], None]:
    """The wake-up of one job of `pool` by its id. A job that failed in it waits for its
    backoff: the pool's drain is woken then, not at the next minute's sweep."""

    def run(job_id: str) -> None:
        s.jobs.run(job_id, pool)
        queue.follow_up(JOBS_DRAIN, s.jobs.seconds_to_next(pool))

    return run


def queue_of(s: Services, pool: str) -> Queue:
    """The queue of worker pool `pool`."""
    from tidecast.jobs import MEDIA  # lazy

    return s.media_queue if pool == MEDIA else s.queue


def build_workers(s: Services, *, general: int, media: int) -> Workers:
    """The consumers `tidecast worker` (and `tidecast dev`, in its process) runs: `general`
    threads on the general queue and `media` threads on the media queue (0: not this pool)."""
    from tidecast.jobs import GENERAL, MEDIA  # lazy
    from tidecast.queue import Workers  # lazy

    pools = [(GENERAL, general), (MEDIA, media)]
    return Workers([(name, queue_of(s, name), n) for name, n in pools if n > 0])


def _retention(s: Services) -> Retention:
    from tidecast.retention import Retention  # lazy

    return Retention(s.engine, keep_days=s.settings.tidecast_retention_days)


def _hasher(s: Services) -> PasswordHasher:
    from tidecast.lib.passwords import PasswordHasher  # lazy

    return PasswordHasher(s.settings.tidecast_bcrypt_rounds)


def _tokens(s: Services) -> TokenIssuer:
    from tidecast.accounts.tokens import TokenIssuer  # lazy

    return TokenIssuer(
        secret=s.settings.jwt_secret_value,
        issuer=s.settings.tidecast_jwt_issuer,
        audience=s.settings.tidecast_jwt_audience,
        ttl_seconds=s.settings.tidecast_jwt_ttl_seconds,
    )


def _limits(s: Services) -> AttemptLimit:
    from tidecast.accounts.limits import AttemptLimit  # lazy

    return AttemptLimit(
        login_max=s.settings.tidecast_login_max_failures,
        login_window=s.settings.tidecast_login_window_seconds,
        register_max=s.settings.tidecast_register_max_per_hour,
    )


def _links(s: Services) -> LinkService:
    from tidecast.accounts.links import LinkService  # lazy

    return LinkService(
        verify_ttl=timedelta(seconds=s.settings.tidecast_verify_ttl_seconds),
        reset_ttl=timedelta(seconds=s.settings.tidecast_reset_ttl_seconds),
    )


def _accounts(s: Services) -> AccountService:
    from tidecast.accounts.service import AccountService  # lazy

    return AccountService(
        s.engine, s.events, hasher=s.hasher, tokens=s.tokens, limits=s.limits, links=s.links
    )


def _account_mail(s: Services) -> AccountMail:
    from tidecast.accounts.mail import AccountMail  # lazy

    return AccountMail(s.email, s.links, s.limits)


def _chain(s: Services) -> BlockchainDataService:
    """The chain reader: every part that reads the chain gets this one, and it cannot sign."""
    from tidecast.chain.index import ChainIndex  # lazy
    from tidecast.chain.service import BlockchainDataService  # lazy

    return BlockchainDataService(
        s.settings.rpc_url,
        payment_stream_address=s.settings.payment_stream_contract_address,
        token_address=s.settings.token_address,
        registry_address=s.settings.stream_registry_address,
        timeout=s.settings.tidecast_chain_timeout,
        index=ChainIndex(s.engine),
    )


def _chain_signer(s: Services) -> ChainSigner:
    """The only part holding the platform key: the `stream.started` subscriber and the
    `tidecast payments` commands sign through it, over the reader's connection and boundary."""
    from tidecast.chain.signer import ChainSigner  # lazy

    key = s.settings.platform_private_key
    return ChainSigner(s.chain, platform_key=key.get_secret_value() if key is not None else None)


def _ipfs(s: Services) -> IPFSService:
    from tidecast.ipfs.service import IPFSService  # lazy

    return IPFSService(
        s.settings.ipfs_api_url,
        gateway=s.settings.ipfs_gateway,
        cid_version=s.settings.tidecast_ipfs_cid_version,
        timeout=s.settings.tidecast_ipfs_timeout,
    )


def _hls(s: Services) -> HLSService:
    from tidecast.media.ffmpeg import ffmpeg_path  # lazy
    from tidecast.media.hls import HLSService  # lazy
    from tidecast.media.ladder import parse_ladder  # lazy

    return HLSService(
        s.settings.hls_output_dir,
        ffmpeg=ffmpeg_path(s.settings.ffmpeg_path),
        segment_length=s.settings.hls_segment_length,
        ladder=parse_ladder(s.settings.tidecast_hls_ladder),
        preset=s.settings.tidecast_hls_preset,
        threads=s.settings.tidecast_hls_threads,
        limits=media_limits(s.settings),
    )


def _watcher(s: Services) -> ChainWatcher:
    from tidecast.chain.watcher import ChainWatcher  # lazy

    return ChainWatcher(
        s.engine,
        s.chain,
        s.events,
        s.email,
        confirmations=s.settings.tidecast_chain_confirmations,
        poll_seconds=s.settings.tidecast_chain_poll_seconds,
        low_balance_seconds=s.settings.tidecast_low_balance_seconds,
        start_block=s.settings.tidecast_chain_start_block,
    )


def _payment_status(s: Services) -> PaymentStatusService:
    from tidecast.payments.status import PaymentStatusService  # lazy

    return PaymentStatusService(s.engine, s.chain)


def _wallets(s: Services) -> WalletService:
    from tidecast.accounts.wallets import WalletService  # lazy

    return WalletService(
        s.engine,
        s.accounts,
        domain=s.settings.siwe_domain,
        origin=s.settings.tidecast_public_url,
        chain_id=s.settings.tidecast_chain_id,
    )


def _payment_reader(s: Services) -> PaymentReader:
    from tidecast.payments.streams import PaymentReader  # lazy

    return PaymentReader(s.chain, ttl=s.settings.tidecast_payment_cache_seconds)


def _payments(s: Services) -> PaymentsService:
    from tidecast.payments.streams import (
        Network,  # lazy
        PaymentsService,  # lazy
    )

    settings = s.settings
    network = None
    if settings.tidecast_public_rpc_url:
        network = Network(
            name=settings.tidecast_chain_name or f"tidecast (chain {settings.tidecast_chain_id})",
            rpc_urls=(settings.tidecast_public_rpc_url,),
            explorer_urls=(settings.tidecast_block_explorer_url,)
            if settings.tidecast_block_explorer_url
            else (),
        )
    return PaymentsService(
        s.engine, s.chain, s.payment_reader, development=not settings.production, network=network
    )


def treasury_key(settings: Settings) -> str | None:
    """TREASURY_PRIVATE_KEY, or in development demo account 9 (funded by every dev chain)."""
    if settings.treasury_private_key is not None:
        return settings.treasury_private_key.get_secret_value()
    if settings.production:
        return None
    from tidecast.chain.devnet import TREASURY_INDEX, demo_accounts  # lazy: derives keys (eth-account)

    return demo_accounts(TREASURY_INDEX + 1)[TREASURY_INDEX].private_key


def _treasury(s: Services) -> Treasury:
    from tidecast.billing.treasury import Treasury  # lazy

    key = treasury_key(s.settings)
    if key is None:
        raise ConfigError(
            "Card payments need TREASURY_PRIVATE_KEY (the wallet that pays creators for card credit)"
        )
    return Treasury(s.chain, s.chain_signer, s.engine, key)


def _credit(s: Services) -> CreditPlaybacks:
    from tidecast.billing.playbacks import CreditPlaybacks  # lazy

    return CreditPlaybacks(
        s.engine,
        s.payment_reader,
        s.treasury,
        hold_seconds=s.settings.tidecast_credit_hold_seconds,
        low_balance=s.settings.tidecast_treasury_low_balance,
        alert=lambda funds, threshold, token: treasury_alert(s, funds, threshold, token),
    )


def treasury_alert(s: Services, funds: int, threshold: int, token: Any) -> None:
    """Mail the operators that the treasury runs low: once a day while it does."""
    from tidecast.billing.treasury import low_balance_mail  # lazy

    low_balance_mail(s.email, s.settings.tidecast_operator_email, s.treasury.address, funds, threshold, token)


def _billing(s: Services) -> BillingService:
    """Card payments. Production refuses to build it without Stripe's secrets and a treasury:
    the billing function then fails to start, naming them, rather than half-working."""
    from tidecast.billing.amounts import Offer  # lazy
    from tidecast.billing.gateway import StripeGateway  # lazy
    from tidecast.billing.service import BillingService  # lazy

    settings = s.settings
    missing = [
        name
        for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "TREASURY_PRIVATE_KEY")
        if getattr(settings, name.lower()) is None
    ]
    if settings.production and missing:
        raise ConfigError("card payments need these set in the environment: " + ", ".join(missing))
    secret = settings.stripe_secret_key.get_secret_value() if settings.stripe_secret_key else ""
    hooks = settings.stripe_webhook_secret.get_secret_value() if settings.stripe_webhook_secret else ""
    gateway = StripeGateway(
        secret, [h.strip() for h in hooks.split(",") if h.strip()], api_base=settings.stripe_api_base
    )
    return BillingService(
        s.engine,
        s.chain,
        gateway,
        offer=Offer.parse(settings.tidecast_billing_amounts, settings.tidecast_billing_currency),
        rate=settings.tidecast_billing_rate,
        public_url=settings.tidecast_public_url,
        kick_reconcile=lambda: s.queue.kick(BILLING_RECONCILE),
    )


def _playback(s: Services) -> PlaybackService:
    from tidecast.payments.playback import PlaybackService  # lazy
    from tidecast.payments.playback_tokens import PlaybackTokens  # lazy

    key = treasury_key(s.settings)
    return PlaybackService(
        s.engine,
        reader=s.payment_reader,
        media_keys=s.media_keys,
        tokens=PlaybackTokens(s.settings.jwt_secret_value),
        token_address=s.settings.token_address,
        lookahead_periods=s.settings.tidecast_key_lookahead_periods,
        configured_chain_id=s.settings.tidecast_chain_id,
        treasury_address=_address_of(key) if key is not None else None,
    )


def _address_of(key: str) -> str:
    return str(sane_import("eth_account").Account.from_key(key).address)


class Services:
    """The container. Attribute access builds a part; `given` parts are used as they are."""

    engine = part(_engine)
    streams = part(_streams)
    positions = part(_positions)
    transport = part(_transport)
    outbox = part(_outbox)
    email = part(_email)
    events = part(_events)
    jobs = part(_jobs)
    queue = part(_queue)
    media_queue = part(_media_queue)
    queue_outage = part(_queue_outage)
    retention = part(_retention)
    hasher = part(_hasher)
    tokens = part(_tokens)
    limits = part(_limits)
    links = part(_links)
    accounts = part(_accounts)
    account_mail = part(_account_mail)
    wallets = part(_wallets)
    chain = part(_chain)
    chain_signer = part(_chain_signer)
    watcher = part(_watcher)
    payment_status = part(_payment_status)
    ipfs = part(_ipfs)
    hls = part(_hls)
    objects = part(_objects)
    published = part(_published)
    uploads = part(_uploads)
    pipeline = part(_pipeline)
    media_keys = part(_media_keys)
    payment_reader = part(_payment_reader)
    payments = part(_payments)
    playback = part(_playback)
    treasury = part(_treasury)
    credit = part(_credit)
    billing = part(_billing)

    def __init__(self, settings: Settings, **given: Any) -> None:
        unknown = sorted(set(given) - set(PARTS))
        if unknown:
            raise TypeError(f"unknown parts {unknown}; the container has {sorted(PARTS)}")
        self.settings = settings
        self._built: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        self._lock = threading.RLock()

    def built(self) -> list[str]:
        """The parts built (or handed in) so far."""
        return sorted(self._built)

    def warm(self) -> list[str]:
        """What a first request would pay for, paid now: SnapStart's init, before the snapshot
        (tidecast/runtime/snapstart.py). The modules requests import lazily (PyJWT, web3 and
        eth-account, redis for a Redis queue, boto3 for S3 storage; each lazy import says what
        it costs), then the engine, with one connection opened and given back so the dialect's
        first-connect queries are done. A database that does not answer is logged, not raised:
        a snapshot without a warm pool is still a snapshot. The modules imported, by name."""
        from sqlalchemy.exc import (
            SQLAlchemyError,
        )  # lazy: the container imports no SQLAlchemy until a part needs it

        wanted = ["jwt", "eth_account", "web3"]
        if (self.settings.tidecast_queue_url or "").startswith("redis"):
            wanted.append("redis")
        if (self.settings.tidecast_storage_url or "").startswith("s3:"):
            wanted.append("boto3")
        imported = []
        for name in wanted:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError:  # a package left out of this deployment
                continue
            imported.append(name)
        try:
            with self.engine.connect():
                imported.append(self.engine.dialect.driver)
        except (SQLAlchemyError, Unavailable, OSError) as exc:  # the snapshot goes on, cold
            log.warning("warming: the database did not answer (%s)", type(exc).__name__)
        return imported

    def close(self) -> None:
        """Release what the built parts hold (database connections)."""
        engine = self._built.get("engine")
        if engine is not None:
            engine.dispose()
        ipfs = self._built.get("ipfs")
        if ipfs is not None:
            ipfs.close()


#: Every part's name: what `create_services` accepts.
PARTS = tuple(name for name, value in vars(Services).items() if isinstance(value, part))


def create_services(settings: Settings, **given: Any) -> Services:
    """A container for `settings`; any part passed in is used as it is (tests)."""
    return Services(settings, **given)


def from_environment() -> Services:
    """A container for the settings in the environment: what a deployed function builds on its
    first request (`Function(name, services=from_environment)`)."""
    return Services(load_settings())


def media_limits(settings: Settings) -> MediaLimits:
    """What a video may be (TIDECAST_MEDIA_MAX_*), for the upload's probe and the transcode's."""
    from tidecast.media.probe import MediaLimits  # lazy

    return MediaLimits(
        max_duration=settings.tidecast_media_max_duration_seconds,
        max_pixels=settings.tidecast_media_max_pixels,
        max_fps=settings.tidecast_media_max_fps,
        max_streams=settings.tidecast_media_max_streams,
    )


def work_policy(settings: Settings, max_attempts: int) -> WorkPolicy:
    from tidecast.db.claims import WorkPolicy  # lazy

    return WorkPolicy(
        max_attempts=max_attempts,
        retry_base=settings.tidecast_retry_base_seconds,
        retry_max=settings.tidecast_retry_max_seconds,
        lease_seconds=settings.tidecast_lease_seconds,
    )
