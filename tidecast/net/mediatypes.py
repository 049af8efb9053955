"""Media types the standard library guesses wrong or not at all (Python's `mimetypes` serves
`.ts` as a Qt translation file): registered by every server that sends published media, the dev
server and the IPFS gateway."""

from __future__ import annotations

import mimetypes

#: By file extension.
MEDIA_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".webmanifest": "application/manifest+json",
}


def register_media_types() -> None:
    for ext, ctype in MEDIA_TYPES.items():
        mimetypes.add_type(ctype, ext)
