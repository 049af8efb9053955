"""The key vault: each stream's HLS AES-128 content keys, sealed at rest.

A minimal stand-in for Part A's module, written to the shared interface only (issue 13, Part B
needs `store` to seed keys in its tests and `key` to release them); Part A's version replaces
this file on merge.

Each 16-byte key is sealed with AES-256-GCM under a key derived from TIDECAST_MEDIA_KEY_SECRET
(HKDF-SHA256, info "tidecast media keys v1"); the associated data is "<stream id>/<period>", so
a sealed row copied to another stream or period does not open. `wrapped` = nonce (12) ||
ciphertext and tag.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, delete, func, insert, select

from tidecast.db.schema import stream_keys
from tidecast.db.times import now_utc
from tidecast.errors import NotFound

INFO = b"tidecast media keys v1"
KEY_BYTES = 16
NONCE_BYTES = 12


class MediaKeys:
    def __init__(self, engine: Engine, secret: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        self._engine = engine
        sealing_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret)
        self._aead = AESGCM(sealing_key)

    @staticmethod
    def new_key() -> bytes:
        return os.urandom(KEY_BYTES)

    def seal(self, stream_id: str, period: int, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, f"{stream_id}/{period}".encode())

    def unseal(self, stream_id: str, period: int, wrapped: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], f"{stream_id}/{period}".encode()
            )
        except InvalidTag:
            raise ValueError(
                f"the key of {stream_id}/{period} does not open: TIDECAST_MEDIA_KEY_SECRET is not the one "
                "it was sealed with"
            ) from None

    def store(self, conn: Connection, stream_id: str, keys: Sequence[bytes]) -> None:
        """Replace the stream's keys with `keys` (period i = keys[i]), in the caller's transaction."""
        conn.execute(delete(stream_keys).where(stream_keys.c.stream_id == stream_id))
        now = now_utc()
        rows = [
            {"stream_id": stream_id, "period": i, "wrapped": self.seal(stream_id, i, k), "created_at": now}
            for i, k in enumerate(keys)
        ]
        if rows:
            conn.execute(insert(stream_keys), rows)

    def key(self, stream_id: str, period: int) -> bytes:
        if period < 0 or period > 2**31 - 1:
            raise NotFound("No such key period")
        with self._engine.connect() as conn:
            wrapped = conn.execute(
                select(stream_keys.c.wrapped).where(
                    (stream_keys.c.stream_id == stream_id) & (stream_keys.c.period == period)
                )
            ).scalar_one_or_none()
        if wrapped is None:
            raise NotFound("No such key period")
        return self.unseal(stream_id, period, bytes(wrapped))

    def count(self, stream_id: str) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(stream_keys).where(stream_keys.c.stream_id == stream_id)
                ).scalar_one()
            )
