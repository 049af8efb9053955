"""GET /api/creators/:username: a creator's channel header (name, since when, videos ready).

The channel's videos are GET /api/streams?creator=<username>; this is the part of the page a
list cannot say (who, since when, how many) and the 404 for a name nobody has.
"""

from __future__ import annotations

from tidecast.container import from_environment
from tidecast.functions.models.streams import Channel
from tidecast.runtime import Function, Request, Response, ok
from tidecast.runtime.contract import Contract, Reply

app = Function("creators", services=from_environment)

USERNAME_PARAM = {"username": {"type": "string", "pattern": "^[A-Za-z0-9_]{3,32}$"}}


@app.route(
    "GET",
    "{username}",
    Contract(
        "getCreator",
        "A creator's channel: username, since when, how many videos are ready",
        (Reply(200, "The channel", Channel),),
        errors=(404,),
        path=USERNAME_PARAM,
    ),
)
def get_creator(request: Request, username: str) -> Response:
    return ok(Channel.from_domain(request.services.streams.owner_of_name(username)))


handler = app.handler
