"""Where uploads and published media live: one interface (base.Storage), two implementations.

    open_storage(None or "file:///dir", local_root=...)  -> LocalStorage (the embedded default)
    open_storage("s3://bucket/prefix?endpoint=http://host:9000&region=eu-west-1&public_url=...")
                                                         -> S3Storage (boto3, imported then only)

The URL (TIDECAST_STORAGE_URL) never carries credentials: boto3's own chain supplies them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tidecast.errors import ConfigError, InvalidInput
from tidecast.storage.base import MissingObject, Storage, StoredObject, check_key, check_prefix
from tidecast.storage.local import LocalStorage

__all__ = [
    "LocalStorage",
    "MissingObject",
    "Storage",
    "StoredObject",
    "check_key",
    "check_prefix",
    "open_storage",
]

_S3_OPTIONS = {"endpoint", "region", "public_url"}


def open_storage(url: str | None, *, local_root: Path, public_base: str = "/streams") -> Storage:
    """The storage `url` names: unset or `file:` is a local directory (`local_root` when the URL
    gives no path), `s3://bucket/prefix?...` an S3-compatible store. ConfigError naming the
    setting otherwise."""
    if not url:
        return LocalStorage(local_root, public_base=public_base)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(parts.path) if parts.path else local_root, public_base=public_base)
    if parts.scheme != "s3":
        raise ConfigError(f"TIDECAST_STORAGE_URL: unknown scheme {parts.scheme!r} (file: or s3:)")
    if parts.username or parts.password:
        raise ConfigError(
            "TIDECAST_STORAGE_URL: credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or give the function a role"
        )
    if not parts.hostname:
        raise ConfigError("TIDECAST_STORAGE_URL: s3://BUCKET/PREFIX needs a bucket")
    options = parse_qs(parts.query, keep_blank_values=False)
    unknown = set(options) - _S3_OPTIONS
    if unknown:
        raise ConfigError(
            f"TIDECAST_STORAGE_URL: unknown option(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_S3_OPTIONS))})"
        )
    endpoint = options.get("endpoint", [None])[-1]
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigError(f"TIDECAST_STORAGE_URL: endpoint {endpoint!r} must be an http(s) URL")
    from tidecast.storage.s3 import S3Storage  # lazy: only an S3 configuration imports boto3

    try:
        return S3Storage(
            parts.hostname,
            parts.path.strip("/"),
            endpoint_url=endpoint,
            region=options.get("region", [None])[-1],
            public_base=options.get("public_url", [None])[-1],
        )
    except InvalidInput as exc:  # a prefix that is no key
        raise ConfigError(f"TIDECAST_STORAGE_URL: {exc.message}") from None
