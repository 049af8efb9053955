"""The key vault: each stream's HLS AES-128 content keys, sealed at rest in the database.

A content key (16 random bytes a key period, tidecast/media/encrypt.py) opens a slice of a
published stream that is public everywhere else (the site, IPFS gateways): the keys are the
product, so the database never holds one in the clear. Each is sealed with AES-256-GCM under a
key-encryption key derived from TIDECAST_MEDIA_KEY_SECRET (HKDF-SHA256, info
"tidecast media keys v1", so the same secret used for something else yields an unrelated key),
with the associated data `"<stream id>/<period>"`: a sealed row copied to another stream or
period does not open, and an altered row is caught by the tag. Stored as nonce (12 bytes, random)
|| ciphertext || tag (16 + 16 bytes).

A row that does not open is a ConfigError (a server fault, never the viewer's): the usual cause
is a TIDECAST_MEDIA_KEY_SECRET that is not the one the keys were sealed with.

Rotating the secret (it leaked, or policy): set the new one as TIDECAST_MEDIA_KEY_SECRET and the
old one in TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS, restart, and run `tidecast db reseal-keys`.
Keys open under the current secret first, then under each previous one, so every stream plays
throughout; new keys are sealed under the current one; `reseal` re-seals each row still under a
previous secret, in batches of short transactions, each row only if unchanged since it was read.
It is idempotent and resumable. When it reports nothing left under an old secret, drop that
secret from the list.

Keys are written in the caller's transaction (`store`), the one that publishes the stream
(tidecast/media/pipeline.py): a stream is never ready without its keys. A stream that plays while
it transcodes gains its keys as its playlists grow (`add`, each before a playlist names it); a
failed or restarted encode drops them (`drop`), so no key outlives what it encrypted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, tuple_, update

from tidecast.db.schema import stream_keys
from tidecast.db.times import now_utc
from tidecast.errors import ConfigError, InvalidInput, NotFound
from tidecast.media.streams import STREAM_ID

KEY_BYTES = 16
NONCE_BYTES = 12
HKDF_INFO = b"tidecast media keys v1"
MIN_SECRET_BYTES = 32
#: The column is a 32-bit INTEGER: a larger period is no period (and never reaches PostgreSQL,
#: which would answer "integer out of range" with an error, not a miss).
MAX_PERIOD = 2**31 - 1
#: Built once: every key request reads one (a SELECT built from expressions per call cost more
#: than the read itself; bench/keys_cpu.py).
_WRAPPED = select(stream_keys.c.wrapped).where(
    (stream_keys.c.stream_id == bindparam("stream")) & (stream_keys.c.period == bindparam("period"))
)


class MediaKeys:
    def __init__(self, engine: Engine, secret: bytes, *, previous: Sequence[bytes] = ()) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ConfigError(f"TIDECAST_MEDIA_KEY_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        if any(len(old) < MIN_SECRET_BYTES for old in previous):
            raise ConfigError(
                f"each of TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS must be at least {MIN_SECRET_BYTES} bytes"
            )
        self._engine = engine
        self._aead = AESGCM(derive_kek(secret))
        #: The previous secrets' sealing keys, tried in order after the current one.
        self._previous = [AESGCM(derive_kek(old)) for old in previous if old != secret]

    def new_key(self) -> bytes:
        return os.urandom(KEY_BYTES)

    def store(self, conn: Connection, stream_id: str, keys: Sequence[bytes]) -> None:
        """Seal and store `keys` (period 0, 1, ...) in the caller's transaction, replacing any
        the stream had (a re-run of its transcode made new ones)."""
        _check_stream(stream_id, InvalidInput)
        self.drop(conn, stream_id)
        self.add(conn, stream_id, keys)

    def add(self, conn: Connection, stream_id: str, keys: Sequence[bytes]) -> int:
        """Seal and store those of `keys` (period 0, 1, ...) the stream has no key for yet, in
        the caller's transaction: a stream that plays while it transcodes gains its keys as its
        playlists grow (tidecast/media/live.py). How many were added."""
        _check_stream(stream_id, InvalidInput)
        have = conn.execute(
            select(func.count()).select_from(stream_keys).where(stream_keys.c.stream_id == stream_id)
        ).scalar_one()
        new = list(enumerate(keys))[int(have) :]
        for period, key in new:
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise InvalidInput(f"key for period {period}: must be {KEY_BYTES} bytes")
        if new:
            now = now_utc()
            conn.execute(
                insert(stream_keys),
                [
                    {
                        "stream_id": stream_id,
                        "period": p,
                        "wrapped": self.seal(stream_id, p, k),
                        "created_at": now,
                    }
                    for p, k in new
                ],
            )
        return len(new)

    def drop(self, conn: Connection, stream_id: str) -> None:
        """Every key of the stream, in the caller's transaction (a failed or restarted encode's)."""
        conn.execute(delete(stream_keys).where(stream_keys.c.stream_id == stream_id))

    def key(self, stream_id: str, period: int) -> bytes:
        """The 16-byte content key of `stream_id`'s key period `period`; NotFound when there is
        none (an unknown stream, an unencrypted one, a period past its end or below 0)."""
        _check_stream(stream_id, NotFound)
        if isinstance(period, bool) or not isinstance(period, int) or not 0 <= period <= MAX_PERIOD:
            raise NotFound(f"No key period {period!r} for this stream")
        with self._engine.connect() as conn:
            wrapped = self.wrapped(conn, stream_id, period)
        return self.unwrap(stream_id, period, wrapped)

    def wrapped(self, conn: Connection, stream_id: str, period: int) -> bytes | None:
        """The sealed key of the period, read on the caller's connection (the key route reads
        it with the rest, one connection a request); None where `key` would say NotFound."""
        if not isinstance(stream_id, str) or not STREAM_ID.fullmatch(stream_id):
            return None
        if isinstance(period, bool) or not isinstance(period, int) or not 0 <= period <= MAX_PERIOD:
            return None
        found = conn.execute(_WRAPPED, {"stream": stream_id, "period": period}).scalar()
        return None if found is None else bytes(found)

    def unwrap(self, stream_id: str, period: int, wrapped: bytes | None) -> bytes:
        """`wrapped` opened; NotFound for None, in `key`'s words."""
        if wrapped is None:
            raise NotFound(f"No key period {period!r} for this stream")
        return self.open(stream_id, period, wrapped)

    def count(self, stream_id: str) -> int:
        if not isinstance(stream_id, str) or not STREAM_ID.fullmatch(stream_id):
            return 0
        with self._engine.connect() as conn:
            found = conn.execute(
                select(func.count()).select_from(stream_keys).where(stream_keys.c.stream_id == stream_id)
            ).scalar()
        return int(found or 0)

    # -- sealing -----------------------------------------------------------------------------

    def seal(self, stream_id: str, period: int, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, _aad(stream_id, period))

    def open(self, stream_id: str, period: int, wrapped: bytes) -> bytes:
        return self._open(stream_id, period, wrapped)[0]

    def _open(self, stream_id: str, period: int, wrapped: bytes) -> tuple[bytes, bool]:
        """The key, and whether it is sealed under the current secret."""
        for index, aead in enumerate([self._aead, *self._previous]):
            try:
                key = aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(stream_id, period))
            except (InvalidTag, ValueError):
                continue
            if len(key) != KEY_BYTES:  # pragma: no cover - only a row sealed by something else
                raise ConfigError(
                    f"the stored key of stream {stream_id} period {period} is not {KEY_BYTES} bytes"
                )
            return key, index == 0
        raise ConfigError(
            f"the stored key of stream {stream_id} period {period} does not open: "
            "TIDECAST_MEDIA_KEY_SECRET is not the secret it was sealed with, nor is any of "
            "TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS (or the row was altered)"
        )

    def reseal(self, *, batch: int = 500) -> dict[str, int]:
        """Re-seal every key still under a previous secret under the current one; counts of
        rows `resealed`, already `current`, and `unopenable` (left as they are: no secret given
        opens them)."""
        counts = {"resealed": 0, "current": 0, "unopenable": 0}
        after: tuple[str, int] = ("", -1)
        while True:
            with self._engine.connect() as conn:
                rows = conn.execute(
                    select(stream_keys.c.stream_id, stream_keys.c.period, stream_keys.c.wrapped)
                    .where(tuple_(stream_keys.c.stream_id, stream_keys.c.period) > tuple_(*after))
                    .order_by(stream_keys.c.stream_id, stream_keys.c.period)
                    .limit(batch)
                ).all()
            if not rows:
                return counts
            changes = []
            for row in rows:
                wrapped = bytes(row.wrapped)
                try:
                    key, current = self._open(row.stream_id, row.period, wrapped)
                except ConfigError:
                    counts["unopenable"] += 1
                    continue
                if current:
                    counts["current"] += 1
                else:
                    changes.append((row, wrapped, self.seal(row.stream_id, row.period, key)))
            with self._engine.begin() as conn:
                for row, old, new in changes:
                    # Only if unchanged since read: a re-run transcode may have replaced it.
                    done = conn.execute(
                        update(stream_keys)
                        .where(
                            (stream_keys.c.stream_id == row.stream_id)
                            & (stream_keys.c.period == row.period)
                            & (stream_keys.c.wrapped == old)
                        )
                        .values(wrapped=new)
                    ).rowcount
                    counts["resealed"] += done
            after = (rows[-1].stream_id, rows[-1].period)


def derive_kek(secret: bytes) -> bytes:
    """The AES-256 key-encryption key: HKDF-SHA256 of the secret (no salt: the secret is random
    and long; the info string binds the result to this use)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret)


def _aad(stream_id: str, period: int) -> bytes:
    return f"{stream_id}/{period}".encode()


def _check_stream(stream_id: str, error: type[InvalidInput] | type[NotFound]) -> None:
    # Never sent to the database when it cannot be a stream id (PostgreSQL refuses NULs).
    if not isinstance(stream_id, str) or not STREAM_ID.fullmatch(stream_id):
        raise error("Stream not found" if error is NotFound else "not a stream id")
