"""A ready stream's files in the object store, where viewers fetch them when nothing is kept on
a function's or a worker's disk (TIDECAST_STORAGE_URL=s3://…).

The transcode still builds a stream in the worker's own directory (ffmpeg writes files, and the
IPFS add reads them); publishing then copies that directory to `streams/<id>/` in the store and
points the stream's URLs (master playlist, variants, thumbnail) at the store's public URL
(`Storage.url`: the bucket's address, or the `public_url` a CDN in front of it answers on). Key
URIs in the playlists stay the site's root-relative `/api/keys/…`: keys never enter the store,
and the player sends key requests to the site whatever origin served the playlist.

Objects are written with their type. A stream that plays while it transcodes is copied as it
grows (`put`: each segment once it is whole, then the playlist that lists it, revalidated on
every request), and in full when it is done (`publish`, without emptying what viewers are
watching). Segments, and everything of a finished stream, are immutable: a re-encode happens
only before `ready`, under the same prefix, which it empties first, so no segment of an earlier
attempt survives beside the new one's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tidecast.errors import InvalidInput
from tidecast.media.hls import check_name
from tidecast.storage import Storage

#: Where published streams live in the store.
PREFIX = "streams"
#: The types a player and a browser expect (Apple's HLS authoring spec, RFC 8216 §4).
TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
}
IMMUTABLE = "public, max-age=31536000, immutable"
#: A growing playlist (and the master that may yet be measured again): revalidated every time.
GROWING = "public, no-cache"


def stream_prefix(stream_id: str) -> str:
    return f"{PREFIX}/{check_name(stream_id)}/"


class PublishedMedia:
    def __init__(self, store: Storage, *, local_prefix: str = "/streams") -> None:
        self.store = store
        #: The URL prefix the HLS service answers for a stream built on local disk.
        self.local_prefix = local_prefix.rstrip("/")

    def publish(self, stream_id: str, root: Path, *, replace: bool = True) -> int:
        """Copy the stream built under `root` to the store; how many objects were written. A
        file of a type no player fetches is refused, not published.

        `replace`: what was there before goes first. Without (a stream that grew in the store
        while it was made, and viewers are watching it there): objects are overwritten in place,
        and a segment already there at its size is not copied again (segments never change
        once written; the encode that made them emptied the prefix when it started)."""
        files = sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if path.suffix not in TYPES:
                raise InvalidInput(f"stream {stream_id}: {path.name!r} is not media a player fetches")
        prefix = stream_prefix(stream_id)
        there: dict[str, int] = {}
        if replace:
            self.remove(stream_id)
        else:
            there = {item.key: item.size for item in self.store.list(prefix)}
        written = 0
        for path in files:
            key = prefix + path.relative_to(root).as_posix()
            if path.suffix == ".ts" and there.get(key) == path.stat().st_size:
                continue
            with path.open("rb") as body:
                self.store.put(key, body, content_type=TYPES[path.suffix], cache_control=IMMUTABLE)
            written += 1
        return written

    def put(self, stream_id: str, root: Path, relative: str) -> None:
        """One file of a stream that plays while it is made (tidecast/media/live.py): a segment
        as immutable, a playlist as something a player must ask for again (it grows)."""
        path = root / relative
        if path.suffix not in TYPES or ".." in Path(relative).parts:
            raise InvalidInput(f"stream {stream_id}: {relative!r} is not media a player fetches")
        cache = IMMUTABLE if path.suffix == ".ts" else GROWING
        with path.open("rb") as body:
            self.store.put(
                stream_prefix(stream_id) + Path(relative).as_posix(),
                body,
                content_type=TYPES[path.suffix],
                cache_control=cache,
            )

    def remove(self, stream_id: str) -> int:
        """Everything published under the stream; idempotent (deletes are retried)."""
        return self.store.delete_prefix(stream_prefix(stream_id))

    def relocate(self, stream_id: str, result: dict[str, Any], thumbnail: str) -> tuple[dict[str, Any], str]:
        """The HLS service's answer and thumbnail with their local URLs replaced by the store's."""
        moved = dict(result)
        moved["masterPlaylist"] = self.url(stream_id, result["masterPlaylist"])
        moved["variants"] = [
            {**v, "playlist": self.url(stream_id, v["playlist"])} for v in result["variants"]
        ]
        if result.get("thumbnail"):
            moved["thumbnail"] = self.url(stream_id, result["thumbnail"])
        if result.get("thumbnails"):
            moved["thumbnails"] = [self.url(stream_id, t) for t in result["thumbnails"]]
        return moved, self.url(stream_id, thumbnail)

    def url(self, stream_id: str, local_url: str) -> str:
        """Where the store serves what the HLS service named `local_url`."""
        base = f"{self.local_prefix}/{check_name(stream_id)}/"
        if not local_url.startswith(base):
            raise InvalidInput(f"stream {stream_id}: {local_url!r} is not one of its files")
        return self.store.url(stream_prefix(stream_id) + local_url.removeprefix(base))
