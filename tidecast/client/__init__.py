"""tidecast's typed Python client.

    from tidecast.client import Tidecast

    with Tidecast("http://localhost:8888") as tc:
        tc.login("alice", "correct horse battery staple")
        for stream in tc.streams(status="ready"):
            print(stream.id, stream.title)

`Tidecast` wraps the package openapi-python-client generates from openapi.json (_generated,
never edited by hand: `tidecast api client` remakes it); its methods return the generated
models and raise ApiError (status, `error`, `code`) or Unreachable, both TidecastError.
"""

from tidecast.client._client import CHUNK_BYTES, VIDEO_TYPES, Tidecast
from tidecast.client._errors import ApiError, TidecastError, Unreachable
from tidecast.client._generated.models import Me, Playback, PublicUser, Stream, Wallet
from tidecast.client._siwe import RefusedToSign

__all__ = [
    "CHUNK_BYTES",
    "VIDEO_TYPES",
    "ApiError",
    "Me",
    "Playback",
    "PublicUser",
    "RefusedToSign",
    "Stream",
    "Tidecast",
    "TidecastError",
    "Unreachable",
    "Wallet",
]
