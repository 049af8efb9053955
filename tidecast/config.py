"""Settings from the environment (and a `.env` file), under the reference documents' names.

Values are validated at start: a malformed one stops the start with a message naming the
variable. In production every missing secret is named at once; in development a random
secret is generated once and kept under the data directory so restarts keep sessions valid.

A pydantic model fed by ~20 lines of environment reading, not pydantic-settings: on this
machine `import pydantic_settings` costs ~380 ms more than `import pydantic` (it pulls in
asyncio and every settings source), which every Lambda cold start would pay. The `.env`
reader (python-dotenv) is imported only when a `.env` file exists.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tidecast.errors import ConfigError, InvalidInput
from tidecast.files import private_dir

SIX_MB = 6 * 1024 * 1024
DEV_SECRETS_FILE = "dev-secrets.json"
#: Secrets production refuses to start without (values, never defaults).
REQUIRED_IN_PRODUCTION = ("JWT_SECRET", "DATABASE_URL", "TIDECAST_MEDIA_KEY_SECRET")
#: Payments are the product: production names these too (no default could be right).
CHAIN_REQUIRED_IN_PRODUCTION = (
    "PLATFORM_PRIVATE_KEY",
    "PAYMENT_STREAM_CONTRACT_ADDRESS",
    "TOKEN_ADDRESS",
    "STREAM_REGISTRY_ADDRESS",
)
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_PRIVATE_KEY = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
#: The order of secp256k1's group: a private key is an integer in [1, N).
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class Settings(BaseModel):
    """Every knob tidecast has; the field name upper-cased is its environment variable."""

    model_config = ConfigDict(extra="ignore")
    #: JWT_SECRET was generated for development (kept under the data directory), not given.
    _generated_secret: bool = PrivateAttr(default=False)
    #: Chain settings filled in by development (field name -> where from): the chain file, or
    #: the contracts `tidecast dev` deployed. A field set in the environment is never in here.
    _chain_sources: dict[str, str] = PrivateAttr(default_factory=dict)

    tidecast_env: Literal["development", "production"] = "development"
    tidecast_data_dir: Path = Path(".tidecast")
    database_url: str | None = None
    jwt_secret: SecretStr | None = None

    rpc_url: str = "http://localhost:8545"
    payment_stream_contract_address: str | None = None
    token_address: str | None = None
    #: StreamRegistry, where the platform records that a stream started.
    stream_registry_address: str | None = None
    #: The platform's key: the one sender StreamRegistry accepts. Development: demo account 1.
    platform_private_key: SecretStr | None = None
    #: The key `tidecast chain deploy` deploys with (development: demo account 0).
    deployer_private_key: SecretStr | None = None
    #: The embedded chain (`tidecast dev`): seconds of idleness before an empty block is mined,
    #: so block.timestamp keeps up with the clock (0: only blocks with transactions), and how
    #: many demo accounts it funds.
    tidecast_chain_block_seconds: int = Field(default=2, ge=0, le=3600)
    tidecast_demo_accounts: int = Field(default=10, ge=2, le=1000)
    #: The chain watcher (tidecast/chain/watcher.py): blocks behind the head before an
    #: event is processed (a reorganisation shallower than this never reaches the index), seconds
    #: between polls, the block it starts from on a new chain, and how long before a payment
    #: stream runs dry its sender is mailed.
    tidecast_chain_confirmations: int = Field(default=2, ge=0, le=1000)
    tidecast_chain_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    tidecast_chain_start_block: int = Field(default=0, ge=0)
    tidecast_low_balance_seconds: float = Field(default=600.0, gt=0)
    #: Seconds a JSON-RPC call to the node may take.
    tidecast_chain_timeout: float = Field(default=10.0, gt=0, le=300)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_secure: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    email_from: str = '"tidecast" <noreply@localhost>'
    #: Seconds an SMTP connect or reply may take before it counts as a transient failure.
    smtp_timeout: float = Field(default=10.0, gt=0, le=300)
    #: CA bundle trusted for the relay's certificate (beside the system store); tests use it.
    smtp_ca_file: Path | None = None
    #: A directory whose templates override the packaged ones by file name.
    tidecast_email_templates: Path | None = None
    #: Where links in mail point (verification, reset, one-click unsubscribe).
    tidecast_public_url: str = "http://localhost:8888"

    #: The job queue: `redis://host:port/db` at scale; unset, a SQLite file under the data dir.
    tidecast_queue_url: str | None = None
    #: Where the workers send their backlog each minute as the CloudWatch metric `QueueDepth`
    #: (tidecast/metrics.py): `udp://127.0.0.1:25888`, the CloudWatch agent beside the worker.
    #: Unset: not sent (a laptop, or a deployment that scales otherwise).
    tidecast_metrics_url: str | None = None
    #: Durable retries (mail and event deliveries): first delay, cap, and attempts before giving up.
    tidecast_retry_base_seconds: float = Field(default=2.0, gt=0)
    tidecast_retry_max_seconds: float = Field(default=900.0, gt=0)
    #: How long a mail is retried after transient failures (4xx, relay down) before it is
    #: `failed`; mail servers retry for days (Postfix: 5). A 5xx reply fails it at once.
    tidecast_mail_retry_for_seconds: float = Field(default=5 * 24 * 3600.0, gt=0)
    tidecast_event_max_attempts: int = Field(default=8, ge=1)
    #: Attempts of a long job that crash, are killed or fail for a reason of their own.
    tidecast_job_max_attempts: int = Field(default=3, ge=1)
    #: How long a long job is retried while an outside part (IPFS, the disk, the chain node)
    #: is down, with backoff capped at TIDECAST_RETRY_MAX_SECONDS, from when it was queued.
    tidecast_job_retry_for_seconds: float = Field(default=24 * 3600.0, gt=0)
    #: How long a worker owns claimed rows without renewing them. A live worker renews every
    #: quarter of this while it works; a dead worker's rows are taken over once it runs out.
    tidecast_lease_seconds: float = Field(default=20.0, ge=1)
    #: Finished records (sent mail, done deliveries and jobs, used links, old nonces) are
    #: deleted once older than this, by an hourly job; `tidecast db prune` does it by hand.
    tidecast_retention_days: float = Field(default=30.0, gt=0)

    #: Accounts (tidecast/accounts/service.py). bcrypt's cost: 2^rounds; 12 is ~0.25 s a hash here.
    tidecast_bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    #: Login tokens: lifetime, and the `iss`/`aud` claims they carry and must carry to be accepted.
    tidecast_jwt_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    tidecast_jwt_issuer: str = Field(default="tidecast", min_length=1)
    tidecast_jwt_audience: str = Field(default="tidecast-api", min_length=1)
    #: Lifetimes of the single-use links mailed for email verification and password reset.
    tidecast_verify_ttl_seconds: int = Field(default=48 * 3600, ge=60)
    tidecast_reset_ttl_seconds: int = Field(default=3600, ge=60)
    #: Failed logins allowed per account name and per source IP within the window, then 429.
    tidecast_login_max_failures: int = Field(default=10, ge=1)
    tidecast_login_window_seconds: int = Field(default=900, ge=1)
    #: Registrations accepted per source address an hour (taken or not), then 429.
    tidecast_register_max_per_hour: int = Field(default=10, ge=1)
    #: Sign-In with Ethereum: the chain id wallets must sign for, and the domain (host[:port]) a
    #: message must name; unset, the host of TIDECAST_PUBLIC_URL.
    tidecast_chain_id: int = Field(default=131277322940537, ge=1)
    tidecast_siwe_domain: str | None = None
    #: How a wallet that does not know the chain is offered it (EIP-3085, from GET
    #: /api/payments/config): its name, a JSON-RPC URL browsers may use (not the node tidecast
    #: itself talks to, which may be private) and a block explorer. Unset: the wallet is told to
    #: add the network by hand (in development, the dev server's chain page names its URL).
    tidecast_chain_name: str | None = Field(default=None, max_length=80)
    tidecast_public_rpc_url: str | None = None
    tidecast_block_explorer_url: str | None = None

    ipfs_api_url: str = "http://localhost:5001"
    ipfs_gateway: str = "https://gateway.ipfs.io"
    #: The embedded IPFS node: the largest `add` body it takes (bytes), then 413, nothing stored.
    tidecast_ipfs_max_add_bytes: int = Field(default=10 * 1024**3, ge=1)
    #: CID version of what tidecast adds: 0 is Kubo's default (`ipfs add` with no options), so
    #: content added by hand on the cluster and through tidecast has one address; 1 (raw
    #: leaves, base32) is what subdomain gateways need.
    tidecast_ipfs_cid_version: int = Field(default=0, ge=0, le=1)
    #: Seconds the IPFS client waits for the node (to connect, and for each read), not for a
    #: whole transfer; a block the node cannot find surfaces as Unavailable after this.
    tidecast_ipfs_timeout: float = Field(default=30.0, gt=0, le=3600)

    hls_output_dir: Path = Path("public/streams")
    #: Where uploads (and, later, published media) live: unset or `file:` keeps them in local
    #: directories (the data dir's `uploads`, HLS_OUTPUT_DIR); `s3://BUCKET/PREFIX?endpoint=URL&
    #: region=R&public_url=URL` puts them in an S3-compatible store (tidecast/storage). No
    #: credentials here: boto3's chain (a role, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
    tidecast_storage_url: str | None = None
    hls_segment_length: int = Field(default=10, ge=1, le=60)
    #: Resumable uploads (`POST /api/uploads`, tus 1.0): the largest video accepted (bytes),
    #: declared in Upload-Length; over it, 413 before anything is stored.
    tidecast_upload_max_bytes: int = Field(default=4 * 1024**3, ge=1)
    #: Unfinished uploads a user may hold at once; creating one more discards their
    #: longest-untouched one (tidecast/media/uploads.py), so disk per user is bounded.
    tidecast_upload_max_open: int = Field(default=5, ge=1, le=1000)
    #: On an object store, the completing PATCH probes the upload (downloading it) only up to
    #: this size, so the request stays within API Gateway's 29 s; a larger upload becomes a
    #: `processing` stream at once and the transcode worker's probe refuses it (the stream
    #: `failed`, with the same reason). A local directory always probes in the request.
    tidecast_upload_probe_max_bytes: int = Field(default=256 * 1024**2, ge=0)
    #: Hours an unfinished upload may go untouched before the hourly sweep deletes it.
    tidecast_upload_expiry_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    #: Per-account quotas (tidecast/media/quotas.py, PeerTube's videoQuota and
    #: videoQuotaDaily): bytes of video stored (unfinished uploads and the uploads of streams not
    #: deleted) and bytes uploaded in any 24 hours, by Upload-Length, checked when an upload is
    #: created and when it completes; over, 403 with the figures. -1: unlimited; 0: no uploads.
    tidecast_quota_storage_bytes: int = Field(default=100 * 1024**3, ge=-1)
    tidecast_quota_daily_bytes: int = Field(default=10 * 1024**3, ge=-1)
    #: Media limits (tidecast/media/probe.py), read from the headers when an upload completes
    #: and again before the transcode, never by decoding; over, the upload is refused naming the
    #: limit. 0 turns one off. Duration: 4 h holds any feature film and bounds a real encode.
    #: Pixels (width x height of the coded picture): DCI 4K, the largest common camera format;
    #: the ladder tops out far below, so more costs decoding for nothing (a 16000x16000 MJPEG
    #: took ffmpeg to 1.2 GB). Frames a second: 240 keeps phones' slow motion (the encode keeps
    #: 60 at most). Tracks (video, audio, subtitles, attachments): 64 holds a Blu-ray remux.
    tidecast_media_max_duration_seconds: float = Field(default=4 * 3600.0, ge=0)
    tidecast_media_max_pixels: int = Field(default=4096 * 2160, ge=0)
    tidecast_media_max_fps: float = Field(default=240.0, ge=0)
    tidecast_media_max_streams: int = Field(default=64, ge=0)
    #: The ffmpeg binary; unset, the one in the imageio-ffmpeg wheel (with libx264 and aac).
    ffmpeg_path: str | None = None
    #: The rendition ladder, tallest first: HEIGHTp:VIDEO[:AUDIO] bitrates (tidecast/media/ladder.py).
    tidecast_hls_ladder: str = "720p:2500k:128k,480p:1000k:96k,360p:500k:64k"
    #: x264's preset for every rung (medium: x264's default, the reference's) and ffmpeg's
    #: encoder threads (0: ffmpeg decides).
    tidecast_hls_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
    ] = "medium"
    tidecast_hls_threads: int = Field(default=0, ge=0, le=64)
    #: Pay-per-second playback. Published renditions are HLS AES-128 encrypted with a fresh key
    #: every this many segments (a key period); the keys are sealed in the database under a key
    #: derived from TIDECAST_MEDIA_KEY_SECRET (required in production; generated and kept under
    #: the data directory in development).
    tidecast_key_period_segments: int = Field(default=1, ge=1, le=1000)
    tidecast_media_key_secret: SecretStr | None = None
    #: Secrets the keys were sealed under before, comma-separated, while rotating: keys still
    #: open under them, and `tidecast db reseal-keys` moves every key to the current secret.
    tidecast_media_key_previous_secrets: SecretStr | None = None
    #: Seconds a payment stream read from the chain is reused when gating keys (0: every request
    #: reads the chain).
    tidecast_payment_cache_seconds: float = Field(default=2.0, ge=0, le=10)
    #: Key periods a viewer may fetch ahead of what their payment stream has paid for so far.
    #: 3: at the start of a stream hls.js asks for the keys of the period playing, the one it
    #: buffers and the next one's (it preloads a fragment's key); with 2 the site's player
    #: stalled a key period at every paid start. The site's player still stops within two key
    #: periods of a cancel (every key after it is refused); a client that hoards keys can hold
    #: at most three periods past what it paid for.
    tidecast_key_lookahead_periods: int = Field(default=3, ge=1, le=100)
    #: A new stream's price: whole platform tokens per second, a decimal string ("0.001").
    tidecast_default_price: str = Field(default="0.001", pattern=r"^[0-9]{1,30}(\.[0-9]{1,30})?$")

    #: Lambda refuses request payloads over 6 MB; the dev server holds the same line.
    tidecast_max_body_bytes: int = Field(default=SIX_MB, ge=1)
    #: Seconds a function may run before the runtime answers 504 (per function in netlify.toml).
    tidecast_function_timeout: float = Field(default=10.0, gt=0, le=900)
    #: The dev server: seconds a request body may take to arrive in full, then 408.
    tidecast_body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    #: The dev server and the embedded IPFS node: seconds a request's headers may take to
    #: arrive in full, then the connection is closed (slow clients must not hold connections).
    tidecast_header_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    #: Card payments (tidecast/billing): Stripe's secret API key, the webhook endpoint's signing
    #: secrets (comma-separated: during a rotation both the old and the new one verify), and
    #: the API's base URL (unset: Stripe's own; tests point it at a local fake).
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = None
    #: What a viewer may buy: the currency (ISO 4217, lower-case, as Stripe writes it) and the
    #: amounts in it, a list ("5,10,20") or a range ("5-200"), in whole currency units.
    tidecast_billing_currency: str = Field(default="usd", pattern=r"^[a-z]{3}$")
    tidecast_billing_amounts: str = "5,10,20"
    #: Platform tokens one whole currency unit buys (a decimal string: "100" makes $5.00 500 TIDE).
    tidecast_billing_rate: str = Field(default="100", pattern=r"^[0-9]{1,30}(\.[0-9]{1,30})?$")
    #: The treasury: the key that opens payment streams for viewers paying with credit.
    #: Development: demo account 9. Production refuses a well-known key, as for the platform key.
    treasury_private_key: SecretStr | None = None
    #: Seconds of the price a credit playback holds (and the treasury deposits) at most.
    tidecast_credit_hold_seconds: int = Field(default=3600, ge=60, le=30 * 24 * 3600)
    #: Below this many platform tokens in the treasury, operators are mailed (once a day).
    tidecast_treasury_low_balance: str = Field(default="1000", pattern=r"^[0-9]{1,30}(\.[0-9]{1,30})?$")
    #: Where operator alerts go (the treasury running low); unset, they are only logged.
    tidecast_operator_email: str | None = None

    #: The dev server: proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed.
    #: Unset, no forwarded header is believed, from anyone: the client is the TCP peer.
    tidecast_trusted_proxies: str | None = None

    @field_validator(
        "database_url",
        "payment_stream_contract_address",
        "token_address",
        "stream_registry_address",
        "platform_private_key",
        "deployer_private_key",
        "smtp_user",
        "smtp_ca_file",
        "tidecast_email_templates",
        "tidecast_queue_url",
        "tidecast_metrics_url",
        "tidecast_siwe_domain",
        "tidecast_trusted_proxies",
        "ffmpeg_path",
        "stripe_secret_key",
        "stripe_webhook_secret",
        "stripe_api_base",
        "treasury_private_key",
        "tidecast_operator_email",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return value or None

    @field_validator("payment_stream_contract_address", "token_address", "stream_registry_address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _ADDRESS.fullmatch(value):
            raise ValueError("must be an address: 0x and 40 hex digits")
        return value

    @field_validator("platform_private_key", "deployer_private_key", "treasury_private_key")
    @classmethod
    def _private_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        found = _PRIVATE_KEY.fullmatch(value.get_secret_value())
        if found is None or not 0 < int(found[1], 16) < _SECP256K1_N:
            raise ValueError("must be a secp256k1 private key: 64 hex digits (0x optional)")
        return SecretStr("0x" + found[1].lower())

    @field_validator("tidecast_hls_ladder")
    @classmethod
    def _ladder(cls, value: str) -> str:
        from tidecast.media.ladder import parse_ladder  # lazy: upward (pyproject ignore_imports)

        try:
            parse_ladder(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("tidecast_billing_amounts")
    @classmethod
    def _billing_amounts(cls, value: str, info: ValidationInfo) -> str:
        from tidecast.billing.amounts import Offer  # lazy: upward (pyproject ignore_imports)

        Offer.parse(value, info.data.get("tidecast_billing_currency") or "usd")  # ValueError: what is wrong
        return value

    @field_validator("stripe_api_base", "tidecast_public_rpc_url", "tidecast_block_explorer_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and (
            urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc
        ):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("tidecast_queue_url")
    @classmethod
    def _queue_scheme(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "sqlite"):
            raise ValueError("must be a redis://, rediss:// or sqlite:/// URL")
        return value

    @field_validator("tidecast_public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        # RFC 7518 3.2: an HS256 key must be at least as long as the hash (32 bytes).
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes (RFC 7518 section 3.2)")
        return value

    @field_validator("tidecast_media_key_secret")
    @classmethod
    def _media_key_secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        # The key-sealing key is derived from it (HKDF-SHA256): at least 32 bytes of input.
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @field_validator("tidecast_media_key_previous_secrets")
    @classmethod
    def _previous_media_key_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        # Blank is none: a deployment's secret carries the key, empty outside a rotation.
        if value is not None and not value.get_secret_value().strip():
            return None
        if value is not None:
            for number, secret in enumerate(value.get_secret_value().split(","), start=1):
                if len(secret.strip().encode()) < 32:
                    raise ValueError(f"secret {number} of the list must be at least 32 bytes")
        return value

    @field_validator("tidecast_trusted_proxies")
    @classmethod
    def _proxies(cls, value: str | None) -> str | None:
        for item in (value or "").split(","):
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)  # ValueError names the bad entry
        return value

    @property
    def trusted_proxies(self) -> list[str]:
        return [p.strip() for p in (self.tidecast_trusted_proxies or "").split(",") if p.strip()]

    @property
    def jwt_secret_value(self) -> str:
        """The signing secret; load_settings fills it (development) or demands it (production)."""
        if self.jwt_secret is None:
            raise ConfigError("JWT_SECRET is not set")
        return self.jwt_secret.get_secret_value()

    @property
    def media_key_secret_value(self) -> bytes:
        """The secret the media keys are sealed under; load_settings fills it (development) or
        demands it (production)."""
        if self.tidecast_media_key_secret is None:
            raise ConfigError("TIDECAST_MEDIA_KEY_SECRET is not set")
        return self.tidecast_media_key_secret.get_secret_value().encode()

    @property
    def media_key_previous_values(self) -> list[bytes]:
        """The secrets keys may still be sealed under (TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS)."""
        if self.tidecast_media_key_previous_secrets is None:
            return []
        listed = self.tidecast_media_key_previous_secrets.get_secret_value().split(",")
        return [secret.strip().encode() for secret in listed if secret.strip()]

    def with_public_url(self, url: str) -> Settings:
        """These settings with TIDECAST_PUBLIC_URL moved to `url`, unless it was set explicitly."""
        if "tidecast_public_url" in self.model_fields_set:
            return self
        return self._carry(self.model_copy(update={"tidecast_public_url": url.rstrip("/")}))

    def with_default(self, name: str, value: Any) -> Settings:
        """These settings with field `name` set to `value` unless the environment set it (an
        embedded part filling in where it serves, e.g. IPFS_GATEWAY)."""
        if name in self.model_fields_set:
            return self
        return self._carry(Settings.model_validate({**self.model_dump(), name: value}))

    def with_chain(self, values: dict[str, Any], source: str) -> Settings:
        """These settings with chain values (by field name; validated) filled in wherever the
        environment set none: the environment always wins. `source` says where they came
        from in `masked()` and `tidecast chain info`."""
        updates = {k: v for k, v in values.items() if not self.set_in_environment(k)}
        if not updates:
            return self
        moved = self._carry(Settings.model_validate({**self.model_dump(), **updates}))
        moved._chain_sources = {**self._chain_sources, **dict.fromkeys(updates, source)}
        return moved

    def _carry(self, moved: Settings) -> Settings:
        """`moved` with what these settings know beyond their values: which fields the
        environment set, and where derived ones came from."""
        moved.__pydantic_fields_set__ = set(self.model_fields_set)
        moved._generated_secret = self._generated_secret
        moved._chain_sources = dict(self._chain_sources)
        return moved

    def set_in_environment(self, name: str) -> bool:
        """Whether the environment (or `.env`) set field `name`."""
        return name in self.model_fields_set and name not in self._chain_sources

    def chain_source(self, name: str) -> str:
        """Where field `name`'s value came from: the environment, a chain source, or unset."""
        if self.set_in_environment(name):
            return "environment"
        if name in self._chain_sources:
            return self._chain_sources[name]
        return "default" if getattr(self, name) is not None else "unset"

    @property
    def siwe_domain(self) -> str:
        """The domain a Sign-In with Ethereum message must name (host[:port]): a browser's
        origin never carries the public URL's user-info, and it must never be shown."""
        return self.tidecast_siwe_domain or urlsplit(self.tidecast_public_url).netloc.rpartition("@")[2]

    @property
    def production(self) -> bool:
        return self.tidecast_env == "production"

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.tidecast_data_dir / 'tidecast.db').as_posix()}"

    @property
    def effective_queue_url(self) -> str:
        """TIDECAST_QUEUE_URL, or the embedded SQLite queue file under the data directory."""
        if self.tidecast_queue_url:
            return self.tidecast_queue_url
        return f"sqlite:///{(self.tidecast_data_dir / 'queue.db').as_posix()}"

    def masked(self) -> dict[str, str]:
        """Effective settings by environment variable name: secrets shown only as set, the
        credentials inside URLs masked, and a value derived from another says where from."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value: Any = getattr(self, name)
            if isinstance(value, SecretStr):
                shown = "******** (set)"
            elif value is None:
                shown = "(unset)"
            elif name in URL_FIELDS:
                shown = mask_url(str(value))
            else:
                shown = str(value)
            out[name.upper()] = shown
        if self._generated_secret:
            out["JWT_SECRET"] = f"******** (generated, kept in {self.tidecast_data_dir / DEV_SECRETS_FILE})"
        if "tidecast_public_url" not in self.model_fields_set:
            out["TIDECAST_PUBLIC_URL"] += " (default; `tidecast dev --port` moves it)"
        out["DATABASE_URL"] = mask_url(self.effective_database_url) + (
            "" if self.database_url else " (embedded default)"
        )
        out["TIDECAST_QUEUE_URL"] = mask_url(self.effective_queue_url) + (
            "" if self.tidecast_queue_url else " (embedded default)"
        )
        if self.tidecast_siwe_domain is None:
            out["TIDECAST_SIWE_DOMAIN"] = f"{self.siwe_domain} (the host of TIDECAST_PUBLIC_URL)"
        for name, source in self._chain_sources.items():
            shown = MASK if name in SECRET_FIELDS else out[name.upper()]
            out[name.upper()] = f"{shown} (from {source})"
        return out


#: Fields whose values are never shown, not even in an error about them.
SECRET_FIELDS = frozenset(
    name for name, f in Settings.model_fields.items() if SecretStr in (f.annotation, *get_args(f.annotation))
)


#: Settings holding URLs: their user-info and secret-looking parts are masked wherever shown.
URL_FIELDS = frozenset(
    {
        "database_url",
        "rpc_url",
        "ipfs_api_url",
        "ipfs_gateway",
        "tidecast_public_url",
        "tidecast_queue_url",
        "stripe_api_base",
    }
)
MASK = "********"
#: Query parameters whose values are credentials by their name (`?apikey=`, `?token=`, `?sig=`).
_SECRET_QUERY = re.compile(r"key|token|secret|pass|pwd|auth|sig|credential|session|access", re.IGNORECASE)
#: Path segments that look like an API key (Infura's `/v3/<id>`, Alchemy's `/v2/<key>`): long
#: runs of letters and digits mixing both.
_SECRET_SEGMENT = re.compile(r"(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{20,}")


def mask_url(url: str) -> str:
    """`url` with its password (or a user name standing alone, which is often a token),
    secret-looking query values and key-like path segments replaced by ********.

    Used wherever a URL setting is printed or logged; anything unparsable is masked whole.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return MASK
    if not parts.scheme or (not parts.netloc and "@" in url):
        # `user:pass@host` without `//` parses as scheme `user` and path `pass@host`.
        return MASK if "@" in url else url
    netloc = parts.netloc
    if "@" in netloc:
        user = parts.username or ""  # as written in the URL: still percent-encoded
        userinfo = f"{quote(user, safe='%')}:{MASK}" if parts.password is not None else MASK
        netloc = f"{userinfo}@{netloc.rpartition('@')[2]}"
    path = parts.path
    if parts.scheme.partition("+")[0] != "sqlite":  # an SQLite URL's path is a file's, not a key
        path = "/".join(MASK if _SECRET_SEGMENT.fullmatch(seg) else seg for seg in path.split("/"))
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _SECRET_QUERY.search(k) else v) for k, v in pairs], safe="*")
    if (netloc, path, query) == (parts.netloc, parts.path, parts.query):
        return url
    # Not urlunsplit: it drops the `//` of an empty authority (`sqlite:///file`).
    return (
        f"{parts.scheme}://{netloc}{path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def load_settings(*, env_file: str | None = ".env", overrides: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and complete the settings, or raise ConfigError naming each bad variable.

    The environment wins over `.env` (relative to the working directory); `env_file=None`
    ignores the file. `overrides` (by variable name, as the environment spells them) win over
    both and are read exactly as the environment is: tests pass their settings here rather than
    setting process-wide variables.
    """
    values = _read_environment(env_file)
    for key, value in (overrides or {}).items():
        if key.lower() not in Settings.model_fields:
            raise ConfigError(f"{key} is not a tidecast setting")
        values[key.lower()] = value
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            raw = err.get("input")
            if name.lower() in SECRET_FIELDS:
                got = "the value is hidden"
            elif name.lower() in URL_FIELDS and isinstance(raw, str):
                got = f"got {mask_url(raw)!r}"
            else:
                got = f"got {raw!r}"
            problems.append(f"{name}: {err['msg']} ({got})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None

    if settings.production:
        required = (*REQUIRED_IN_PRODUCTION, *CHAIN_REQUIRED_IN_PRODUCTION)
        missing = [n for n in required if getattr(settings, n.lower()) is None]
        if settings.smtp_user and settings.smtp_password is None:
            missing.append("SMTP_PASSWORD")
        if missing:
            raise ConfigError("production mode needs these set in the environment: " + ", ".join(missing))
        _refuse_demo_keys(settings)
        return settings
    if settings.jwt_secret is None:
        settings.jwt_secret = SecretStr(_dev_secret(settings.tidecast_data_dir, "JWT_SECRET"))
        settings._generated_secret = True
    if settings.tidecast_media_key_secret is None:
        settings.tidecast_media_key_secret = SecretStr(
            _dev_secret(settings.tidecast_data_dir, "TIDECAST_MEDIA_KEY_SECRET")
        )
    return _with_chain_file(settings)


def _refuse_demo_keys(settings: Settings) -> None:
    """Production with a key everyone knows (the development mnemonic's) is a mistake."""
    from tidecast.chain.devnet import WELL_KNOWN_KEYS  # lazy: upward (pyproject ignore_imports)

    for name in ("platform_private_key", "deployer_private_key", "treasury_private_key"):
        key = getattr(settings, name)
        if key is not None and key.get_secret_value() in WELL_KNOWN_KEYS:
            raise ConfigError(
                f"{name.upper()} is a well-known development key (Anvil's and Hardhat's test "
                "mnemonic); production needs a key of its own"
            )


def _with_chain_file(settings: Settings) -> Settings:
    """Development: the contracts `tidecast dev` deployed, from the chain file it wrote, when
    that file is about the node at RPC_URL (the same URL: settings load without network calls).
    Values set in the environment win; a damaged file is ignored."""
    from tidecast.chain.devnet import (  # lazy: upward (pyproject ignore_imports)
        chain_file_path,
        read_chain_file,
    )

    found = read_chain_file(settings.tidecast_data_dir)
    if found is None or found.rpc_url.rstrip("/") != settings.rpc_url.rstrip("/"):
        return settings
    try:
        return settings.with_chain(found.settings_values(), str(chain_file_path(settings.tidecast_data_dir)))
    except ValidationError:
        return settings


def _read_environment(env_file: str | None) -> dict[str, str]:
    """Settings values by field name: `.env` first, the process environment over it."""
    fields = Settings.model_fields
    values: dict[str, str] = {}
    if env_file is not None and os.path.isfile(env_file):
        from dotenv import dotenv_values  # lazy: python-dotenv (~35 ms) only if a .env file exists

        for key, value in dotenv_values(env_file).items():
            if key.lower() in fields and value is not None:
                values[key.lower()] = value
    for key, value in os.environ.items():
        if key.lower() in fields:
            values[key.lower()] = value
    return values


def _dev_secret(data_dir: Path, name: str) -> str:
    """A random secret made once per checkout and kept (0600) so restarts keep it."""
    path = data_dir / DEV_SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    if name not in stored:
        stored[name] = secrets.token_urlsafe(48)
        private_dir(data_dir)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh)
        os.replace(tmp, path)
    return stored[name]
