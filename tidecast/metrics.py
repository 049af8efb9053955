"""The workers' backlog as a CloudWatch metric, which their ECS services scale on.

Every minute, one worker (the general pool's scheduler: a huey periodic task) counts each
pool's unfinished jobs (`Jobs.backlog`) and sends them as one CloudWatch embedded metric format
(EMF) document, over UDP, to the CloudWatch agent the task definition runs beside the worker
(`TIDECAST_METRICS_URL=udp://127.0.0.1:25888`, the agent's default EMF port). The agent turns it
into the metric `QueueDepth` in namespace `tidecast`, dimension `Pool`: what the template's
scaling rule divides by the running tasks (tidecast/deploy/worker.py). Unset, nothing is sent.

Why EMF through the agent, not `PutMetricData`: no AWS call and no credentials from the worker
for it, no CloudWatch model in the image's boto3, and a lost datagram costs one minute's point,
never a worker's time. The document is written here (a JSON object of a dozen keys) rather
than with aws-embedded-metrics, whose sinks are asyncio-only and which would add a dependency
for that object.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tidecast.errors import ConfigError

log = logging.getLogger(__name__)

NAMESPACE = "tidecast"
QUEUE_DEPTH = "QueueDepth"
DIMENSION = "Pool"
#: A datagram the agent takes whole: far above one document of two pools.
MAX_DATAGRAM = 60_000


def queue_depth_documents(backlog: Mapping[str, int], *, at_ms: int | None = None) -> list[dict[str, Any]]:
    """One EMF document per pool: `QueueDepth` (a count) with the dimension `Pool`."""
    stamp = int(time.time() * 1000) if at_ms is None else at_ms
    return [
        {
            "_aws": {
                "Timestamp": stamp,
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": [{"Name": QUEUE_DEPTH, "Unit": "Count"}],
                    }
                ],
            },
            DIMENSION: pool,
            QUEUE_DEPTH: int(depth),
        }
        for pool, depth in sorted(backlog.items())
    ]


class EmfSender:
    """Sends EMF documents to a CloudWatch agent: `udp://HOST:PORT` (one datagram a document)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "udp" or not parts.hostname or parts.port is None:
            raise ConfigError(f"TIDECAST_METRICS_URL: {url!r} is not udp://HOST:PORT")
        self.address = (parts.hostname, parts.port)

    def send(self, documents: list[dict[str, Any]]) -> int:
        """Send each document; how many went. A refused or unreachable agent is logged, never
        raised: a metric is not worth a worker's job."""
        sent = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for document in documents:
                data = json.dumps(document, separators=(",", ":")).encode()
                if len(data) > MAX_DATAGRAM:
                    log.warning("metrics: a document of %d bytes is too large to send", len(data))
                    continue
                try:
                    sock.sendto(data, self.address)
                    sent += 1
                except OSError as exc:
                    log.warning("metrics: could not send to %s:%d: %s", *self.address, exc)
        return sent
