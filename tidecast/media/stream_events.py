"""The payloads of the stream events: ids, not the API's JSON.

`stream.started` carries `{"streamId"}`: its subscriber (the chain's record of the stream)
needs only the id, and reads anything else from the database. `stream.deleted` carries
`{"streamId", "cid"}`: the row is gone by the time its subscriber runs, and the CID is what it
unpins (an id too: the content's). An event is a fact about the domain; the API's rendering of
a stream changes with the API and has no place in the event log.

Events recorded before this change carry `{"stream": <the stream's API JSON>}` and may still be
pending or dead-lettered (a retry replays them), so the readers below take both shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidecast.media.streams import Stream

STARTED = "stream.started"
DELETED = "stream.deleted"


def started(stream_id: str) -> dict[str, Any]:
    return {"streamId": stream_id}


def deleted(stream: Stream) -> dict[str, Any]:
    return {"streamId": stream.id, "cid": stream.cid}


def stream_id_of(payload: Mapping[str, Any]) -> str:
    """The stream an event is about. The old shape's `payload["stream"]["id"]` is read too:
    events stored before payloads carried ids are still delivered (and retried)."""
    if "streamId" in payload:
        return str(payload["streamId"])
    return str(payload["stream"]["id"])


def cid_of(payload: Mapping[str, Any]) -> str | None:
    """A deleted stream's CID (None: never published); the old shape's too."""
    cid = payload["cid"] if "streamId" in payload else payload["stream"].get("cid")
    return str(cid) if cid else None
